using System.Net;
using Microsoft.AspNetCore.WebUtilities;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.AuthModes;

/// <summary>The OAuth 1.0a popup flow end to end against a provider that checks every signature.</summary>
[Trait("Category", "Integration")]
public sealed class OAuth1FlowTests(AuthModesWorld world) : IClassFixture<AuthModesWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connect_gets_temporary_credentials_redirects_to_authorize_and_stores_token_credentials()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.OAuth1, new { type = "OAUTH1", client_id = key, client_secret = secret, scopes = "read,write" });
        using var browser = AuthModesWorld.Browser();

        var hops = await AuthModesWorld.FollowAsync(browser, world.AuthUrl($"/oauth/connect/{integration}", "oauth1-user"));

        Assert.Equal(3, hops.Count);
        var authorize = hops[0].Headers.Location!;
        Assert.StartsWith(world.Provider.OAuth1AuthorizeUrl.ToString(), authorize.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, hops[^1].StatusCode);
        Assert.Equal("write", world.Provider.LastRequestTokenForm["x_auth_access_type"]);
        Assert.Equal("never", world.Provider.LastAuthorizeQuery["expiration"]);
        Assert.Equal("read,write", world.Provider.LastAuthorizeQuery["scope"]);
        var callback = QueryHelpers.ParseQuery(hops[1].Headers.Location!.Query);
        Assert.True(callback.ContainsKey("state"));

        var credentials = await CredentialsAsync(integration, "oauth1-user");
        var issued = world.Provider.LastIssuedToken!.Value;
        Assert.Equal("OAUTH1", (string?)credentials["type"]);
        Assert.Equal(issued.Token, (string?)credentials["oauth_token"]);
        Assert.Equal(issued.Secret, (string?)credentials["oauth_token_secret"]);
        Assert.Equal("test-user", (string?)credentials["raw"]!["screen_name"]);
        await world.AssertRecordedAsync(integration, "oauth1-user", "OAUTH1");
    }

    [Fact]
    public async Task A_plaintext_provider_gets_the_secrets_as_the_signature()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.OAuth1PlainText, new { type = "OAUTH1", client_id = key, client_secret = secret });
        using var browser = AuthModesWorld.Browser();

        var hops = await AuthModesWorld.FollowAsync(browser, world.AuthUrl($"/oauth/connect/{integration}", "plaintext-user"));

        Assert.Equal(HttpStatusCode.OK, hops[^1].StatusCode);
        Assert.Equal(world.Provider.LastIssuedToken!.Value.Token, (string?)(await CredentialsAsync(integration, "plaintext-user"))["oauth_token"]);
    }

    [Fact]
    public async Task A_callback_without_state_finds_its_session_by_the_temporary_token()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.OAuth1, new { type = "OAUTH1", client_id = key, client_secret = secret });
        using var browser = AuthModesWorld.Browser();
        world.Provider.DropCallbackQuery = true;
        try
        {
            var hops = await AuthModesWorld.FollowAsync(browser, world.AuthUrl($"/oauth/connect/{integration}", "no-state"));

            Assert.DoesNotContain("state=", hops[1].Headers.Location!.Query, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, hops[^1].StatusCode);
        }
        finally
        {
            world.Provider.DropCallbackQuery = false;
        }
        Assert.Equal(world.Provider.LastIssuedToken!.Value.Token, (string?)(await CredentialsAsync(integration, "no-state"))["oauth_token"]);
    }

    [Fact]
    public async Task A_replayed_callback_is_refused_and_exchanges_nothing()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.OAuth1, new { type = "OAUTH1", client_id = key, client_secret = secret });
        using var browser = AuthModesWorld.Browser();
        var hops = await AuthModesWorld.FollowAsync(browser, world.AuthUrl($"/oauth/connect/{integration}", "replayed"));
        var callback = new Uri(world.Web.ServerUrl, hops[1].Headers.Location!);
        var exchanges = world.Provider.AccessTokenRequests;

        var replay = await browser.GetAsync(callback, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Contains("invalid_state", await replay.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(exchanges, world.Provider.AccessTokenRequests);
    }

    [Fact]
    public async Task A_callback_whose_token_does_not_match_its_state_is_refused()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.OAuth1, new { type = "OAUTH1", client_id = key, client_secret = secret });
        using var browser = AuthModesWorld.Browser();
        var start = await browser.GetAsync(world.AuthUrl($"/oauth/connect/{integration}", "mismatch"), Ct);
        var authorize = await browser.GetAsync(start.Headers.Location!, Ct);
        var callback = authorize.Headers.Location!.ToString();
        var token = QueryHelpers.ParseQuery(new Uri(callback).Query)["oauth_token"].ToString();

        var forged = await browser.GetAsync(callback.Replace(token, "rt-someone-else", StringComparison.Ordinal), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("invalid_state", await forged.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_consumer_secret_fails_at_the_temporary_credentials_request()
    {
        var (key, _) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.OAuth1, new { type = "OAUTH1", client_id = key, client_secret = "not-the-secret" });
        using var browser = AuthModesWorld.Browser();

        var response = await browser.GetAsync(world.AuthUrl($"/oauth/connect/{integration}", "bad-secret"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("request_token_failed", page, StringComparison.Ordinal);
        Assert.Contains("signature_invalid", page, StringComparison.Ordinal);
    }

    private async Task<System.Text.Json.Nodes.JsonNode> CredentialsAsync(string integration, string connectionId)
    {
        using var api = world.Web.CreateApiClient();
        var response = await api.GetAsync($"/connection/{connectionId}?provider_config_key={integration}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync())["credentials"]!;
    }
}
