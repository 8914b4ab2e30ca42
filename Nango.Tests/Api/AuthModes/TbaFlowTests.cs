using System.Net;
using System.Net.Http.Json;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.AuthModes;

/// <summary><c>POST /auth/tba/:key</c>: token credentials checked with an OAuth 1 (HMAC-SHA256, realm) signed verification call.</summary>
[Trait("Category", "Integration")]
public sealed class TbaFlowTests(AuthModesWorld world) : IClassFixture<AuthModesWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Valid_token_credentials_are_verified_with_a_signed_call_and_saved()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.Tba, new { type = "TBA", client_id = key, client_secret = secret });
        var (tokenId, tokenSecret) = world.Provider.AddTbaToken(key);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(
            world.AuthUrl($"/auth/tba/{integration}", "tba-user", "&params[accountId]=TSTDRV123"), new { token_id = tokenId, token_secret = tokenSecret }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var body = await response.ReadJsonAsync();
        Assert.Equal("tba-user", (string?)body["connectionId"]);
        Assert.Equal("TSTDRV123", world.Provider.LastApiHeader["realm"]);
        Assert.Equal("HMAC-SHA256", world.Provider.LastApiHeader["oauth_signature_method"]);
        using var api = world.Web.CreateApiClient();
        var connection = await (await api.GetAsync($"/connection/tba-user?provider_config_key={integration}", Ct)).ReadJsonAsync();
        var credentials = connection["credentials"]!;
        Assert.Equal("TBA", (string?)credentials["type"]);
        Assert.Equal(tokenId, (string?)credentials["token_id"]);
        Assert.Equal(tokenSecret, (string?)credentials["token_secret"]);
        Assert.Null(credentials["config_override"]);
        Assert.Equal("TSTDRV123", (string?)connection["connection_config"]!["accountId"]);
        await world.AssertRecordedAsync(integration, "tba-user", "TBA");
    }

    [Fact]
    public async Task A_wrong_token_secret_fails_the_check_and_saves_nothing()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.Tba, new { type = "TBA", client_id = key, client_secret = secret });
        var (tokenId, _) = world.Provider.AddTbaToken(key);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/tba/{integration}", "tba-wrong"), new { token_id = tokenId, token_secret = "wrong" }, Ct);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "connection_test_failed");
        using var api = world.Web.CreateApiClient();
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/connection/tba-wrong?provider_config_key={integration}", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_consumer_override_signs_the_check_and_is_kept_in_config_override()
    {
        var integrationConsumer = world.Provider.AddConsumer();
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.Tba, new { type = "TBA", client_id = integrationConsumer.Key, client_secret = integrationConsumer.Secret });
        var (tokenId, tokenSecret) = world.Provider.AddTbaToken(key);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/tba/{integration}", "tba-override"),
            new { token_id = tokenId, token_secret = tokenSecret, oauth_client_id_override = key, oauth_client_secret_override = secret }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        using var api = world.Web.CreateApiClient();
        var credentials = (await (await api.GetAsync($"/connection/tba-override?provider_config_key={integration}", Ct)).ReadJsonAsync())["credentials"]!;
        Assert.Equal(key, (string?)credentials["config_override"]!["client_id"]);
        Assert.Equal(secret, (string?)credentials["config_override"]!["client_secret"]);
    }

    [Fact]
    public async Task Missing_token_fields_are_an_invalid_body()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.Tba, new { type = "TBA", client_id = key, client_secret = secret });
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/tba/{integration}", "tba-empty"), new { token_id = "only-id" }, Ct);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
    }

    [Fact]
    public async Task A_provider_of_another_mode_is_refused()
    {
        var (key, secret) = world.Provider.AddConsumer();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.OAuth1, new { type = "OAUTH1", client_id = key, client_secret = secret });
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/tba/{integration}", "tba-mode"), new { token_id = "a", token_secret = "b" }, Ct);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_auth_mode");
    }
}
