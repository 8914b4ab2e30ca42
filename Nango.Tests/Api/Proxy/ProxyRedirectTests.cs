using System.Globalization;
using System.Net;
using Nango.Tests.Api.Proxy.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// Redirects are followed by the proxy itself, at most five, and a redirect to another host loses the credentials
/// unless the caller asks to keep them (<c>Forward-Headers-On-Redirect</c>). Where a redirect may lead is the SSRF
/// guard's business: see <see cref="ProxySsrfTests"/>.
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyRedirectTests(ProxyWorld world) : IDisposable
{
    private readonly HttpClient _api = world.Web.CreateApiClient();

    public void Dispose() => _api.Dispose();

    /// <summary>Hops <c>{path}/0</c> … <c>{path}/{redirects - 1}</c> redirect to the next; <c>{path}/{redirects}</c> answers.</summary>
    private void Chain(string path, int redirects)
    {
        for (var hop = 0; hop < redirects; hop++)
        {
            var next = $"/api-key{path}/{(hop + 1).ToString(CultureInfo.InvariantCulture)}";
            world.Upstream.On($"/api-key{path}/{hop.ToString(CultureInfo.InvariantCulture)}", (context, _, _) =>
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = next;
                return Task.CompletedTask;
            });
        }
    }

    [Fact]
    public async Task Five_redirects_are_followed_and_the_final_answer_returned()
    {
        var path = ProxyCalls.UniquePath("chain-5");
        Chain(path, redirects: 5);

        var response = await _api.ProxyAsync(HttpMethod.Get, path + "/0", ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        var echoed = await response.JsonBodyAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"/api-key{path}/5", (string?)echoed["path"]);
        // Same host all the way: the credentials go along.
        Assert.All(world.Upstream.ReceivedUnder("/api-key" + path), r => Assert.Equal("Bearer " + ProxyWorld.ApiKeyValue, r.Header("authorization")));
    }

    [Fact]
    public async Task A_sixth_redirect_is_not_followed()
    {
        var path = ProxyCalls.UniquePath("chain-6");
        Chain(path, redirects: 6);

        var response = await _api.ProxyAsync(HttpMethod.Get, path + "/0", ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(6, world.Upstream.ReceivedUnder("/api-key" + path).Count);
        Assert.Empty(world.Upstream.Received($"/api-key{path}/6"));
    }

    [Fact]
    public async Task A_redirect_to_another_host_drops_the_credentials()
    {
        var (path, target) = CrossHostRedirect("cross-host");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var landed = Assert.Single(world.Upstream.Received(target));
        Assert.StartsWith("localhost:", landed.Header("host"), StringComparison.Ordinal);
        Assert.False(landed.HasHeader("authorization"), "The credentials followed a redirect to another host.");
    }

    [Fact]
    public async Task Forward_headers_on_redirect_keeps_the_credentials_on_another_host()
    {
        var (path, target) = CrossHostRedirect("cross-host-forwarded");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, [("Forward-Headers-On-Redirect", "true")]);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var landed = Assert.Single(world.Upstream.Received(target));
        Assert.Equal("Bearer " + ProxyWorld.ApiKeyValue, landed.Header("authorization"));
    }

    /// <summary>A redirect from 127.0.0.1 to <c>localhost</c>: the same listener under another host name.</summary>
    private (string Path, string Target) CrossHostRedirect(string name)
    {
        var path = ProxyCalls.UniquePath(name);
        var target = "/elsewhere" + path;
        var location = $"http://localhost:{world.Upstream.Port.ToString(CultureInfo.InvariantCulture)}{target}";
        world.Upstream.On("/api-key" + path, (context, _, _) =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = location;
            return Task.CompletedTask;
        });
        return (path, target);
    }
}
