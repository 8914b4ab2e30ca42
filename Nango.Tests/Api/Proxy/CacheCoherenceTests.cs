using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Tests.Api.Proxy.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// Secret keys and the proxy's connection reads are cached per instance (for a minute in this world, far longer than
/// these tests wait): a change must be seen at once by the instance that made it and, through Postgres NOTIFY, within
/// moments by another instance on the same database that had the old row cached.
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class CacheCoherenceTests(ProxyWorld world) : IAsyncLifetime
{
    /// <summary>How long the other instance may take: a NOTIFY round trip, with room for a loaded machine; far below the ttl.</summary>
    private static readonly TimeSpan OtherInstanceBound = TimeSpan.FromSeconds(10);

    private NangoWebFactory _second = null!;
    private HttpClient _first = null!;
    private HttpClient _other = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _second = await world.StartSecondInstanceAsync();
        _first = world.Web.CreateApiClient();
        _other = _second.CreateApiClient(world.Web.SecretKey);
    }

    public async ValueTask DisposeAsync()
    {
        _first.Dispose();
        _other.Dispose();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task A_rotated_secret_key_is_refused_at_once_here_and_within_moments_on_the_other_instance()
    {
        var key = await world.Web.CreateOtherAccountAsync();
        using var firstWithKey = world.Web.CreateApiClient(key);
        using var otherWithKey = _second.CreateApiClient(key);
        // Both instances have now looked the key up, so both hold it.
        Assert.Equal(HttpStatusCode.OK, (await firstWithKey.GetAsync("/integrations", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await otherWithKey.GetAsync("/integrations", Ct)).StatusCode);

        var environment = await world.Web.GetEnvironmentAsync(key);
        var newKey = await world.Web.Services.GetRequiredService<EnvironmentService>().RotateSecretKeyAsync(environment, Ct);

        var here = await firstWithKey.GetAsync("/integrations", Ct);
        await here.AssertErrorAsync(HttpStatusCode.Unauthorized, "unknown_account");
        await EventuallyAsync(async () => (await otherWithKey.GetAsync("/integrations", Ct)).StatusCode == HttpStatusCode.Unauthorized);
        using var otherWithNewKey = _second.CreateApiClient(newKey);
        Assert.Equal(HttpStatusCode.OK, (await otherWithNewKey.GetAsync("/integrations", Ct)).StatusCode);
    }

    [Fact]
    public async Task Replaced_credentials_are_sent_at_once_by_this_instance_and_within_moments_by_the_other()
    {
        const string connectionId = "cache-replaced";
        await world.ImportAsync(ProxyCatalog.ApiKey, connectionId, new { type = "API_KEY", apiKey = "key-before" });
        var path = ProxyCalls.UniquePath("replaced");
        await (await _first.ProxyGetAsync(path, ProxyCatalog.ApiKey, connectionId)).AssertStatusAsync(HttpStatusCode.OK);
        await (await _other.ProxyGetAsync(path, ProxyCatalog.ApiKey, connectionId)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.All(world.Upstream.Received("/api-key" + path), r => Assert.Equal("Bearer key-before", r.Header("authorization")));

        await (await _first.DeleteAsync($"/connection/{connectionId}?provider_config_key={ProxyCatalog.ApiKey}", Ct)).AssertStatusAsync(HttpStatusCode.OK);
        await world.ImportAsync(ProxyCatalog.ApiKey, connectionId, new { type = "API_KEY", apiKey = "key-after" });

        var afterPath = ProxyCalls.UniquePath("replaced-after");
        await (await _first.ProxyGetAsync(afterPath, ProxyCatalog.ApiKey, connectionId)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer key-after", Assert.Single(world.Upstream.Received("/api-key" + afterPath)).Header("authorization"));
        var otherPath = ProxyCalls.UniquePath("replaced-other");
        await EventuallyAsync(async () =>
        {
            await (await _other.ProxyGetAsync(otherPath, ProxyCatalog.ApiKey, connectionId)).AssertStatusAsync(HttpStatusCode.OK);
            return world.Upstream.Received("/api-key" + otherPath)[^1].Header("authorization") == "Bearer key-after";
        });
    }

    [Fact]
    public async Task A_deleted_connection_is_unknown_at_once_here_and_within_moments_on_the_other_instance()
    {
        const string connectionId = "cache-deleted";
        await world.ImportAsync(ProxyCatalog.ApiKey, connectionId, new { type = "API_KEY", apiKey = "key-deleted" });
        var path = ProxyCalls.UniquePath("deleted");
        await (await _first.ProxyGetAsync(path, ProxyCatalog.ApiKey, connectionId)).AssertStatusAsync(HttpStatusCode.OK);
        await (await _other.ProxyGetAsync(path, ProxyCatalog.ApiKey, connectionId)).AssertStatusAsync(HttpStatusCode.OK);

        await (await _first.DeleteAsync($"/connection/{connectionId}?provider_config_key={ProxyCatalog.ApiKey}", Ct)).AssertStatusAsync(HttpStatusCode.OK);

        await (await _first.ProxyGetAsync(path, ProxyCatalog.ApiKey, connectionId)).AssertErrorAsync(HttpStatusCode.NotFound, "unknown_connection");
        await EventuallyAsync(async () => (await _other.ProxyGetAsync(path, ProxyCatalog.ApiKey, connectionId)).StatusCode == HttpStatusCode.NotFound);
        Assert.Equal(2, world.Upstream.Received("/api-key" + path).Count);
    }

    [Fact]
    public async Task A_cached_token_that_comes_within_the_refresh_buffer_is_refreshed_before_the_next_call()
    {
        // Fresh for a few seconds more than the 15-minute buffer: the first call uses (and caches) it as it is.
        const string connectionId = "cache-expiring";
        var margin = TimeSpan.FromSeconds(8);
        var expiresAt = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(15) + margin;
        await world.ImportAsync(ProxyCatalog.OAuth2, connectionId, new
        {
            type = "OAUTH2",
            access_token = "cached-access-token",
            refresh_token = "refresh-token-the-provider-does-not-know",
            expires_at = expiresAt.ToString("O"),
        });
        var path = ProxyCalls.UniquePath("expiring-cached");
        await (await _first.ProxyGetAsync(path, ProxyCatalog.OAuth2, connectionId)).AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal("Bearer cached-access-token", Assert.Single(world.Upstream.Received("/oauth2" + path)).Header("authorization"));

        await Task.Delay(expiresAt - TimeSpan.FromMinutes(15) - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1), Ct);
        var refused = await _first.ProxyGetAsync(path, ProxyCatalog.OAuth2, connectionId);

        // The refresh was tried before the call (the provider refuses this refresh token), so the API was not called.
        Assert.Equal(HttpStatusCode.FailedDependency, refused.StatusCode);
        Assert.Single(world.Upstream.Received("/oauth2" + path));
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTimeOffset.UtcNow + OtherInstanceBound;
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Not seen by the other instance within {OtherInstanceBound.TotalSeconds:0} s.");
            await Task.Delay(50, Ct);
        }
    }
}
