using System.Net;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Integrations;

/// <summary>Rejected integration requests answer Nango's envelope and leave the database exactly as it was.</summary>
[Trait("Category", "Integration")]
public sealed class IntegrationBadInputTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    private Task<string> SnapshotAsync() => DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken);

    [Theory]
    [InlineData("POST", "/integrations", """{"provider":"github","unique_key":""")]
    [InlineData("POST", "/integrations", "{provider: 'github'}")]
    [InlineData("PATCH", "/integrations/bad-json", """{"display_name":"x",}""")]
    public async Task Malformed_json_is_400_invalid_body(string method, string path, string body)
    {
        using var client = factory.CreateApiClient();
        await client.CreateIntegrationAsync("bad-json-" + Guid.NewGuid().ToString("N")[..6]);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(new HttpMethod(method), path, body);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("""{"unique_key":"no-provider"}""", "provider")]
    [InlineData("""{"provider":"github"}""", "unique_key")]
    [InlineData("""{"provider":"github","unique_key":"bad!key"}""", "unique_key")]
    [InlineData("""{"provider":"github","unique_key":"has/slash"}""", "unique_key")]
    [InlineData("""{"provider":"no-such-provider","unique_key":"unknown-provider"}""", "provider")]
    [InlineData("""{"provider":"bad provider!","unique_key":"bad-provider"}""", "provider")]
    [InlineData("""{"provider":"github","unique_key":"bad-type","credentials":{"type":"PASSWORD"}}""", "credentials.type")]
    [InlineData("""{"provider":"github","unique_key":"wrong-mode","credentials":{"type":"APP","app_id":"1","private_key":"k"}}""", "credentials.type")]
    [InlineData("""{"provider":"github","unique_key":"no-secret","credentials":{"type":"OAUTH2","client_id":"id"}}""", "credentials.client_secret")]
    public async Task Create_body_failing_validation_is_400_invalid_body_with_the_offending_path(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/integrations", body);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains(path, error.IssuePaths());
        Assert.All(error["errors"]!.AsArray(), issue =>
        {
            Assert.False(string.IsNullOrEmpty((string?)issue!["code"]));
            Assert.False(string.IsNullOrEmpty((string?)issue["message"]));
        });
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Create_with_a_unique_key_already_taken_is_409_duplicate_provider_config_and_keeps_the_first()
    {
        using var client = factory.CreateApiClient();
        await client.CreateIntegrationAsync("taken-key");
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/integrations", new { provider = "slack", unique_key = "taken-key" });

        var error = await response.AssertErrorAsync(HttpStatusCode.Conflict, "duplicate_provider_config");
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"code":"invalid_string","message":"Unique key already exists","path":["unique_key"]}]"""),
            error["errors"]));
        Assert.Equal(before, await SnapshotAsync());
        var kept = await (await client.GetAsync("/integrations/taken-key", TestContext.Current.CancellationToken)).ReadJsonAsync();
        Assert.Equal("github", (string?)kept["data"]!["provider"]);
    }

    [Fact]
    public async Task Rename_to_a_unique_key_already_taken_is_409_duplicate_provider_config_and_renames_nothing()
    {
        using var client = factory.CreateApiClient();
        await client.CreateIntegrationAsync("rename-source");
        await client.CreateIntegrationAsync("rename-target");
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Patch, "/integrations/rename-source", new { unique_key = "rename-target", display_name = "Changed" });

        var error = await response.AssertErrorAsync(HttpStatusCode.Conflict, "duplicate_provider_config");
        Assert.Equal("uniqueKey is already used by another integration", (string?)error["message"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("""{"unique_key":"bad!key"}""", "unique_key")]
    [InlineData("""{"credentials":{"type":"NOPE"}}""", "credentials.type")]
    [InlineData("""{"credentials":{"type":"OAUTH2","client_secret":"s"}}""", "credentials.client_id")]
    public async Task Patch_body_failing_validation_is_400_invalid_body_and_changes_nothing(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var key = "patch-invalid-" + Guid.NewGuid().ToString("N")[..6];
        await client.CreateIntegrationAsync(key);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Patch, "/integrations/" + key, body);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains(path, error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("GET", "/integrations/never-created", null)]
    [InlineData("PATCH", "/integrations/never-created", """{"display_name":"x"}""")]
    [InlineData("DELETE", "/integrations/never-created", null)]
    public async Task Unknown_integration_is_404_not_found(string method, string path, string? body)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(new HttpMethod(method), path, body);

        var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal("Integration does not exist", (string?)error["message"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Unknown_include_is_400_invalid_query_params()
    {
        using var client = factory.CreateApiClient();
        await client.CreateIntegrationAsync("include-probe");

        var response = await client.GetAsync("/integrations/include-probe?include=secrets", TestContext.Current.CancellationToken);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.Contains("include", error.IssuePaths());
    }

    [Theory]
    [InlineData("POST", "/integrations", "text/plain")]
    [InlineData("POST", "/integrations", "application/x-www-form-urlencoded")]
    [InlineData("PATCH", "/integrations/content-type-probe", "text/xml")]
    public async Task Body_that_is_not_json_is_415_invalid_content_type(string method, string path, string contentType)
    {
        using var client = factory.CreateApiClient();
        if (method == "PATCH")
        {
            await client.CreateIntegrationAsync("content-type-probe");
        }
        var before = await SnapshotAsync();

        var response = await client.SendAsync(new HttpMethod(method), path, """{"provider":"github","unique_key":"ct","display_name":"x"}""", contentType);

        var error = await response.AssertErrorAsync(HttpStatusCode.UnsupportedMediaType, "invalid_content_type");
        Assert.Equal("Content-Type header must be application/json", (string?)error["message"]);
        Assert.Equal(before, await SnapshotAsync());
    }
}
