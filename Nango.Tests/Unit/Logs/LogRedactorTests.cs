using System.Text.Json.Nodes;
using Nango.Core.Logs;

namespace Nango.Tests.Unit.Logs;

public sealed class LogRedactorTests
{
    [Theory]
    [InlineData("Authorization")]
    [InlineData("proxy-authorization")]
    [InlineData("Cookie")]
    [InlineData("Set-Cookie")]
    [InlineData("X-Api-Key")]
    [InlineData("X-Refresh-Token")]
    [InlineData("X-Client-Secret")]
    [InlineData("X-Hub-Signature-256")]
    [InlineData("Stripe-ApiKey")]
    [InlineData("X-Password")]
    public void Sensitive_headers_are_redacted(string name)
    {
        var redacted = LogRedactor.RedactHeaders(new Dictionary<string, string> { [name] = "s3cr3t", ["Accept"] = "application/json" })!;

        Assert.Equal(LogRedactor.Redacted, redacted[name]);
        Assert.Equal("application/json", redacted["Accept"]);
    }

    [Fact]
    public void Json_bodies_lose_every_secret_key_at_any_depth()
    {
        var body = """{"access_token":"a1","refresh_token":"r1","client_secret":"c1","password":"p1","api_key":"k1","apiKey":"k2","token":"t1","secret":"s1","nested":{"items":[{"id_token":"i1","name":"kept"}]},"count":3}""";

        var redacted = JsonNode.Parse(LogRedactor.RedactBody(body, 10_000)!)!;

        foreach (var key in new[] { "access_token", "refresh_token", "client_secret", "password", "api_key", "apiKey", "token", "secret" })
        {
            Assert.Equal(LogRedactor.Redacted, (string?)redacted[key]);
        }
        Assert.Equal(LogRedactor.Redacted, (string?)redacted["nested"]!["items"]![0]!["id_token"]);
        Assert.Equal("kept", (string?)redacted["nested"]!["items"]![0]!["name"]);
        Assert.Equal(3, (int)redacted["count"]!);
    }

    [Fact]
    public void Form_bodies_and_query_strings_are_redacted_by_key()
    {
        Assert.Equal(
            "grant_type=refresh_token&refresh_token=%5BREDACTED%5D&client_secret=%5BREDACTED%5D",
            LogRedactor.RedactBody("grant_type=refresh_token&refresh_token=r-123&client_secret=abc", 10_000));
        Assert.Equal(
            "https://api.example.com/x?page=2&access_token=%5BREDACTED%5D#top",
            LogRedactor.RedactUrl("https://api.example.com/x?page=2&access_token=abc#top"));
    }

    [Fact]
    public void Plain_text_is_kept_and_long_bodies_are_cut()
    {
        Assert.Equal("hello world", LogRedactor.RedactBody("hello world", 100));
        Assert.Equal("not json {", LogRedactor.RedactBody("not json {", 100));
        Assert.StartsWith("aaaaa", LogRedactor.RedactBody(new string('a', 50), 5), StringComparison.Ordinal);
        Assert.EndsWith("[truncated]", LogRedactor.RedactBody(new string('a', 50), 5), StringComparison.Ordinal);
    }

    [Fact]
    public void Meta_is_copied_not_shared()
    {
        var meta = new JsonObject { ["apiKey"] = "k", ["model"] = "Issue" };

        var redacted = LogRedactor.RedactJson(meta)!;
        meta["model"] = "changed later";

        Assert.Equal(LogRedactor.Redacted, (string?)redacted["apiKey"]);
        Assert.Equal("Issue", (string?)redacted["model"]);
    }
}
