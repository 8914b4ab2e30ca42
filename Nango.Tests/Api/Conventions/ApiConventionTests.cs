using System.Net;
using System.Text.Json.Nodes;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Conventions;

/// <summary>Cross-cutting wire conventions (reference §0.3, §0.4): CORS for browsers, identifier rules in paths.</summary>
[Trait("Category", "Integration")]
public sealed class ApiConventionTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    [Fact]
    public async Task A_browser_preflight_is_allowed_with_Nango_headers_and_cached_for_ten_minutes()
    {
        using var client = new HttpClient { BaseAddress = factory.ServerUrl };
        using var request = new HttpRequestMessage(HttpMethod.Options, "/connections");
        request.Headers.Add("Origin", "https://app.example.com");
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,provider-config-key,connection-id");

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var allowed = response.Headers.GetValues("Access-Control-Allow-Headers").Single();
        Assert.Contains("Provider-Config-Key", allowed, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Connection-Id", allowed, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("600", response.Headers.GetValues("Access-Control-Max-Age").Single());
    }

    [Fact]
    public async Task Responses_to_browsers_expose_the_rate_limit_and_signature_headers()
    {
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/integrations");
        request.Headers.Add("Origin", "https://app.example.com");

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var exposed = response.Headers.GetValues("Access-Control-Expose-Headers").Single();
        Assert.Contains("X-Nango-Signature", exposed, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-RateLimit-Remaining", exposed, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/integrations/bad%21key", "uniqueKey")]
    [InlineData("/connections/bad%3Cid%3E?provider_config_key=github", "connectionId")]
    [InlineData("/connection/bad%3Cid%3E?provider_config_key=github", "connectionId")]
    public async Task A_malformed_identifier_in_the_path_is_400_invalid_uri_params(string path, string field)
    {
        using var client = factory.CreateApiClient();

        var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("invalid_uri_params", (string?)body["error"]!["code"]);
        Assert.Equal(field, (string?)body["error"]!["errors"]![0]!["path"]![0]);
    }

    [Fact]
    public async Task Nango_client_flag_headers_and_unknown_headers_are_accepted()
    {
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/integrations");
        request.Headers.Add("Nango-Is-Sync", "false");
        request.Headers.Add("Nango-Is-Script", "false");
        request.Headers.Add("Nango-Is-Dry-Run", "false");
        request.Headers.Add("X-Something-Else", "whatever");

        var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
