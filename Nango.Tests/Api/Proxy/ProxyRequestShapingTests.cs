using System.Net;
using Nango.Tests.Api.Proxy.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// How the proxy builds the provider's request from the caller's: the target URL (base URL interpolated, <c>A || B</c>
/// fallbacks, path and query string as sent), the provider's header and query templates, the caller's
/// <c>Nango-Proxy-*</c> headers, and what it must not pass on (hop-by-hop and Nango's own headers).
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyRequestShapingTests(ProxyWorld world) : IDisposable
{
    private static readonly string[] _nangoHeaders =
        ["connection-id", "provider-config-key", "retries", "retry-on", "base-url-override", "nango-activity-log-id", "nango-is-sync", "nango-is-dry-run"];

    private static readonly string[] _hopByHopRequestHeaders = ["keep-alive", "upgrade", "proxy-authorization", "te", "trailer", "transfer-encoding"];

    private readonly HttpClient _api = world.Web.CreateApiClient();

    public void Dispose() => _api.Dispose();

    private async Task<UpstreamRequest> OnlyRequestAsync(HttpResponseMessage response, string upstreamPath)
    {
        await response.AssertStatusAsync(HttpStatusCode.OK);
        return Assert.Single(world.Upstream.Received(upstreamPath));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    [InlineData("HEAD")]
    [InlineData("OPTIONS")]
    public async Task Every_method_reaches_the_provider_as_sent(string method)
    {
        var path = ProxyCalls.UniquePath("method-" + method.ToLowerInvariant());
        using var body = method is "GET" or "HEAD" or "OPTIONS" ? null : ProxyCalls.Json(new { method });

        var response = await _api.ProxyAsync(new HttpMethod(method), path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, content: body);

        var received = await OnlyRequestAsync(response, "/api-key" + path);
        Assert.Equal(method, received.Method);
        if (body is not null)
        {
            Assert.Equal($$"""{"method":"{{method}}"}""", received.BodyText);
            Assert.Equal("application/json; charset=utf-8", received.Header("content-type"));
        }
    }

    [Fact]
    public async Task The_base_url_takes_the_first_branch_of_a_fallback_when_its_config_is_set()
    {
        var path = ProxyCalls.UniquePath("fallback");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.Fallback, "with-region");

        await OnlyRequestAsync(response, "/fallback/eu/v1" + path);
    }

    [Fact]
    public async Task The_base_url_takes_the_second_branch_of_a_fallback_when_its_config_is_missing()
    {
        var path = ProxyCalls.UniquePath("fallback");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.Fallback, "without-region");

        var received = await OnlyRequestAsync(response, "/fallback/global/v1" + path);
        Assert.Equal("Bearer " + ProxyWorld.ApiKeyValue, received.Header("authorization"));
    }

    [Fact]
    public async Task The_base_url_is_interpolated_from_the_credentials()
    {
        var path = ProxyCalls.UniquePath("getMe");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.KeyInUrl, ProxyWorld.ConnectionId);

        await OnlyRequestAsync(response, "/key-in-url/bot4242:key-in-url" + path);
    }

    [Fact]
    public async Task Provider_header_and_query_templates_are_interpolated_and_the_callers_query_is_kept()
    {
        var path = ProxyCalls.UniquePath("templates");

        var response = await _api.ProxyAsync(HttpMethod.Get, path + "?page=2&q=a%20b", ProxyCatalog.Templates, ProxyWorld.ConnectionId);

        var received = await OnlyRequestAsync(response, "/templates" + path);
        Assert.Equal(ProxyWorld.ApiKeyValue, received.Header("x-api-key"));
        Assert.Equal("tenant-acme", received.Header("x-tenant"));
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(received.RawQuery);
        Assert.Equal(ProxyWorld.ApiKeyValue, query["api_key"].ToString());
        Assert.Equal("acme", query["tenant"].ToString());
        Assert.Equal("2", query["page"].ToString());
        Assert.Equal("a b", query["q"].ToString());
    }

    [Fact]
    public async Task Nango_proxy_headers_are_forwarded_without_their_prefix_and_override_provider_headers()
    {
        var path = ProxyCalls.UniquePath("headers");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId,
        [
            ("Nango-Proxy-X-Provider-Header", "caller-value"),
            ("Nango-Proxy-X-Custom", "custom value, with comma"),
            ("nango-proxy-x-lower-prefix", "lower"),
            ("Nango-Proxy-Accept", "application/vnd.github+json"),
        ]);

        var received = await OnlyRequestAsync(response, "/api-key" + path);
        Assert.Equal("caller-value", received.Header("x-provider-header"));
        Assert.Equal("custom value, with comma", received.Header("x-custom"));
        Assert.Equal("lower", received.Header("x-lower-prefix"));
        Assert.Equal("application/vnd.github+json", received.Header("accept"));
        Assert.DoesNotContain(received.Headers.Keys, name => name.StartsWith("nango-proxy-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nangos_own_headers_and_the_secret_key_are_not_forwarded()
    {
        var path = ProxyCalls.UniquePath("own-headers");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId,
        [
            ("Retries", "1"),
            ("Retry-On", "409"),
            ("Base-Url-Override", ""),
            ("Nango-Activity-Log-Id", ""),
            ("Nango-Is-Sync", "false"),
            ("Nango-Is-Dry-Run", "false"),
        ]);

        var received = await OnlyRequestAsync(response, "/api-key" + path);
        Assert.DoesNotContain(_nangoHeaders, received.HasHeader);
        Assert.DoesNotContain(received.Headers.Values, v => v.Contains(world.Web.SecretKey, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Hop_by_hop_headers_are_not_forwarded_to_the_provider()
    {
        var path = ProxyCalls.UniquePath("hop-request");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId,
        [
            ("Nango-Proxy-Keep-Alive", "timeout=600"),
            ("Nango-Proxy-Upgrade", "websocket"),
            ("Nango-Proxy-Proxy-Authorization", "Basic c3B5OnNweQ=="),
            ("Nango-Proxy-TE", "trailers"),
            ("Nango-Proxy-Trailer", "X-Checksum"),
            ("Nango-Proxy-Transfer-Encoding", "chunked"),
            ("Nango-Proxy-Connection", "upgrade"),
            ("Nango-Proxy-X-Kept", "yes"),
        ]);

        var received = await OnlyRequestAsync(response, "/api-key" + path);
        Assert.Equal("yes", received.Header("x-kept"));
        Assert.DoesNotContain(_hopByHopRequestHeaders, received.HasHeader);
        Assert.DoesNotContain("upgrade", received.Header("connection") ?? "", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Hop_by_hop_and_cors_headers_of_the_provider_are_not_passed_back()
    {
        var path = ProxyCalls.UniquePath("hop-response");
        world.Upstream.On("/api-key" + path, (context, _, _) => ProxyUpstream.JsonAsync(context, 200, new { ok = true },
            ("Keep-Alive", "timeout=600"),
            ("Proxy-Authenticate", "Basic realm=\"upstream\""),
            ("Trailer", "X-Checksum"),
            ("Access-Control-Allow-Origin", "https://evil.example"),
            ("Access-Control-Allow-Credentials", "true"),
            ("X-Upstream-Id", "up-123"),
            ("ETag", "\"v1\""),
            ("Cache-Control", "private, max-age=60")));

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("up-123", response.Header("X-Upstream-Id"));
        Assert.Equal("\"v1\"", response.Header("ETag"));
        Assert.Equal("private, max-age=60", response.Header("Cache-Control"));
        Assert.Null(response.Header("Keep-Alive"));
        Assert.Null(response.Header("Proxy-Authenticate"));
        Assert.Null(response.Header("Trailer"));
        Assert.Null(response.Header("Access-Control-Allow-Credentials"));
        Assert.NotEqual("https://evil.example", response.Header("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task The_query_string_reaches_the_provider_exactly_as_sent()
    {
        var path = ProxyCalls.UniquePath("query");
        const string query = "?b=2&a=1&a=3&empty=&flag&enc=a%20b%2Fc%2B%26&plus=a+b&utf=%C3%A9&list[]=x&list[]=y";
        Assert.EndsWith(query, new Uri(world.Web.ServerUrl, "/proxy" + path + query).PathAndQuery, StringComparison.Ordinal);

        var response = await _api.ProxyAsync(HttpMethod.Get, path + query, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        var received = await OnlyRequestAsync(response, "/api-key" + path);
        Assert.Equal(query, received.RawQuery);
    }

    [Fact]
    public async Task Encoded_characters_in_the_path_reach_the_provider_still_encoded()
    {
        // GitLab addresses projects as group%2Fproject; decoding the slash would call another resource.
        var path = ProxyCalls.UniquePath("projects");
        Assert.EndsWith("/group%2Fproject/files/a%20b.txt", new Uri(world.Web.ServerUrl, "/proxy" + path + "/group%2Fproject/files/a%20b.txt").PathAndQuery, StringComparison.Ordinal);

        var response = await _api.ProxyAsync(HttpMethod.Get, path + "/group%2Fproject/files/a%20b.txt", ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var received = Assert.Single(world.Upstream.ReceivedUnder("/api-key" + path));
        Assert.Equal("/api-key" + path + "/group%2Fproject/files/a%20b.txt", received.RawTarget);
    }
}
