using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Connections;
using Nango.Tests.Api.Auth.Support;
using Nango.Tests.Api.Proxy.Support;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// Credentials that go stale: an OAuth 2 connection made through the real provider (OpenIddict, rotating refresh
/// tokens) is refreshed before a call when its token expires soon, and after a 401 before the retry; a refresh that
/// fails answers 424 without calling the provider's API.
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyCredentialRefreshTests(ProxyWorld world) : IAsyncLifetime
{
    private readonly HttpClient _api = world.Web.CreateApiClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        world.OAuth.AccessTokenLifetime = TimeSpan.FromHours(1);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        world.OAuth.AccessTokenLifetime = TimeSpan.FromHours(1);
        _api.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Connects through the provider's sign-in (the legacy public-key popup) and returns the stored access token.</summary>
    private async Task<string> ConnectAsync(string connectionId)
    {
        var publicKey = await world.PublicKeyAsync();
        using var popup = new AuthPopup();
        var (page, _) = await popup.RunAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, ProxyCatalog.OAuth2, $"public_key={publicKey}&connection_id={connectionId}"));
        Assert.True(page.Succeeded, $"{page.Status} {page.ErrorType}: {page.ErrorMessage}");
        return await StoredAccessTokenAsync(connectionId);
    }

    private async Task<string> StoredAccessTokenAsync(string connectionId)
    {
        var result = await world.Web.Services.GetRequiredService<ConnectionService>()
            .GetAsync(world.Environment, ProxyCatalog.OAuth2, connectionId, markFetched: false, Ct);
        Assert.NotNull(result.Connection);
        return (string)result.Connection.Credentials["access_token"]!;
    }

    private async Task AssertProviderAcceptsAsync(string accessToken)
    {
        using var providerApi = new HttpClient();
        providerApi.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        Assert.Equal(HttpStatusCode.OK, (await providerApi.GetAsync(world.OAuth.ApiBaseUrl + "/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_token_expiring_within_the_buffer_is_refreshed_before_the_call()
    {
        // Five minutes is inside the 15-minute buffer: the token counts as expiring from the start.
        world.OAuth.AccessTokenLifetime = TimeSpan.FromMinutes(5);
        var before = await ConnectAsync("proxy-expiring");
        world.OAuth.Counters.Reset();
        var path = ProxyCalls.UniquePath("expiring");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.OAuth2, "proxy-expiring");

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var after = await StoredAccessTokenAsync("proxy-expiring");
        Assert.NotEqual(before, after);
        Assert.Equal("Bearer " + after, Assert.Single(world.Upstream.Received("/oauth2" + path)).Header("authorization"));
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("refresh_token"));
        await AssertProviderAcceptsAsync(after);
    }

    [Fact]
    public async Task A_401_refreshes_the_credentials_and_the_retry_carries_the_new_token()
    {
        var before = await ConnectAsync("proxy-revoked");
        world.OAuth.Counters.Reset();
        var path = ProxyCalls.UniquePath("revoked");
        // The provider has stopped accepting the token it issued (revoked, or expired early).
        world.Upstream.On("/oauth2" + path, async (context, request, _) =>
        {
            if (request.Header("authorization") == "Bearer " + before)
            {
                await ProxyUpstream.JsonAsync(context, 401, new { error = "invalid_token" });
                return;
            }
            await ProxyUpstream.EchoAsync(context, request);
        });

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.OAuth2, "proxy-revoked", [("Retries", "2")]);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var after = await StoredAccessTokenAsync("proxy-revoked");
        Assert.NotEqual(before, after);
        Assert.Equal(["Bearer " + before, "Bearer " + after], world.Upstream.Received("/oauth2" + path).Select(r => r.Header("authorization")));
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("refresh_token"));
        await AssertProviderAcceptsAsync(after);
    }

    [Fact]
    public async Task A_401_without_retries_is_handed_back_as_the_provider_sent_it()
    {
        var path = ProxyCalls.UniquePath("unauthorized");
        world.Upstream.On("/oauth2" + path, (context, _, _) => ProxyUpstream.JsonAsync(context, 401, new { error = "invalid_token", detail = "no" }));

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.OAuth2, ProxyWorld.ConnectionId);

        Assert.Equal("""{"error":"invalid_token","detail":"no"}""", await response.AssertStatusAsync(HttpStatusCode.Unauthorized));
        Assert.Single(world.Upstream.Received("/oauth2" + path));
    }

    [Fact]
    public async Task A_failed_refresh_answers_424_with_the_refresh_error_and_never_calls_the_provider()
    {
        var path = ProxyCalls.UniquePath("refresh-failed");

        // The imported token expired an hour ago and the token endpoint is a closed port.
        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.OAuth2Down, ProxyWorld.ConnectionId, [("Retries", "3")]);

        var error = await response.AssertErrorAsync(HttpStatusCode.FailedDependency, "refresh_token_external_error");
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
        Assert.Empty(world.Upstream.ReceivedUnder("/oauth2-down"));
        // GET /connections/:id now reports the same failure (and backs off instead of trying again).
        var connection = await _api.GetAsync($"/connections/{ProxyWorld.ConnectionId}?provider_config_key={ProxyCatalog.OAuth2Down}", Ct);
        await connection.AssertErrorAsync(HttpStatusCode.FailedDependency, "connection_refresh_backoff");
        var listed = await (await _api.GetAsync($"/connections?connectionId={ProxyWorld.ConnectionId}&integrationId={ProxyCatalog.OAuth2Down}", Ct)).ReadJsonAsync();
        var item = Assert.Single(listed["connections"]!.AsArray())!;
        Assert.Equal("auth", (string?)Assert.Single(item["errors"]!.AsArray())!["type"]);
    }
}
