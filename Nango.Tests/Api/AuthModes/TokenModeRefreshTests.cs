using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure.AuthModes;

namespace Nango.Tests.Api.AuthModes;

/// <summary><c>force_refresh</c> on connections whose tokens Nango makes: JWT re-signed, TWO_STEP refreshed or re-requested, APP re-requested.</summary>
[Trait("Category", "Integration")]
public sealed class TokenModeRefreshTests(AuthModesWorld world) : IClassFixture<AuthModesWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_jwt_connection_is_re_signed_from_its_stored_fields()
    {
        using var rsa = RSA.Create(2048);
        var keyId = "kid-" + Guid.NewGuid().ToString("N")[..8];
        world.Provider.TrustRsaKey(keyId, rsa);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.JwtRsa);
        using var client = new HttpClient();
        var created = await client.PostAsJsonAsync(world.AuthUrl($"/auth/jwt/{integration}", "jwt-refresh"),
            new { issuer = "issuer-r", keyId, privateKey = rsa.ExportPkcs8PrivateKeyPem() }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var before = await CredentialsAsync(integration, "jwt-refresh");
        // iat has one-second resolution: let it move so the new token differs.
        await Task.Delay(TimeSpan.FromSeconds(1.1), Ct);

        var after = await CredentialsAsync(integration, "jwt-refresh", force: true);

        Assert.NotEqual((string?)before["token"], (string?)after["token"]);
        Assert.Equal("issuer-r", (string?)after["issuer"]);
        Assert.Equal((string?)before["privateKey"], (string?)after["privateKey"]);
        Assert.True(DateTimeOffset.Parse((string)after["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture)
            > DateTimeOffset.Parse((string)before["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_two_step_connection_with_a_refresh_token_uses_the_refresh_url()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.TwoStep);
        using var client = new HttpClient();
        var created = await client.PostAsJsonAsync(world.AuthUrl($"/auth/two-step/{integration}", "two-step-refresh"), new
        {
            username = FakeProviderServer.TwoStepUser, password = FakeProviderServer.TwoStepPassword, apiKey = FakeProviderServer.TwoStepApiKey,
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var before = await CredentialsAsync(integration, "two-step-refresh");
        var refreshes = world.Provider.TwoStepRefreshRequests;

        var after = await CredentialsAsync(integration, "two-step-refresh", force: true);

        Assert.Equal(refreshes + 1, world.Provider.TwoStepRefreshRequests);
        Assert.NotEqual((string?)before["token"], (string?)after["token"]);
        Assert.NotEqual((string?)before["refresh_token"], (string?)after["refresh_token"]);
        Assert.Equal(FakeProviderServer.TwoStepPassword, (string?)after["password"]);
    }

    [Fact]
    public async Task A_two_step_connection_without_refresh_asks_again_with_its_fields()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.TwoStepForm);
        using var client = new HttpClient();
        var created = await client.PostAsJsonAsync(world.AuthUrl($"/auth/two-step/{integration}", "two-step-again"),
            new { username = FakeProviderServer.TwoStepUser, password = FakeProviderServer.TwoStepPassword }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var before = await CredentialsAsync(integration, "two-step-again");

        var after = await CredentialsAsync(integration, "two-step-again", force: true);

        Assert.StartsWith("form-token-", (string?)after["token"], StringComparison.Ordinal);
        Assert.NotEqual((string?)before["token"], (string?)after["token"]);
    }

    [Fact]
    public async Task An_app_connection_gets_a_new_installation_token()
    {
        using var rsa = RSA.Create(2048);
        var appId = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        world.Provider.TrustRsaKey(appId, rsa);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.App, new
        {
            type = "APP", app_id = appId, app_link = new Uri(world.Provider.BaseUrl, "apps/r").ToString(), private_key = rsa.ExportRSAPrivateKeyPem(),
        });
        using var browser = AuthModesWorld.Browser();
        var start = await browser.GetAsync(world.AuthUrl($"/oauth/connect/{integration}", "app-refresh"), Ct);
        var state = QueryHelpers.ParseQuery(start.Headers.Location!.Query)["state"].ToString();
        var done = await browser.GetAsync(new Uri(world.Web.ServerUrl, $"/app-auth/connect?installation_id=55&setup_action=install&state={state}"), Ct);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var before = await CredentialsAsync(integration, "app-refresh");
        var requests = world.Provider.InstallationTokenRequests;

        var after = await CredentialsAsync(integration, "app-refresh", force: true);

        Assert.Equal(requests + 1, world.Provider.InstallationTokenRequests);
        Assert.NotEqual((string?)before["access_token"], (string?)after["access_token"]);
        Assert.Equal("APP", (string?)after["type"]);
    }

    [Fact]
    public async Task A_failed_app_refresh_is_a_424_and_keeps_the_old_token()
    {
        using var rsa = RSA.Create(2048);
        using var otherKey = RSA.Create(2048);
        var appId = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        world.Provider.TrustRsaKey(appId, rsa);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.App, new
        {
            type = "APP", app_id = appId, app_link = new Uri(world.Provider.BaseUrl, "apps/f").ToString(), private_key = rsa.ExportRSAPrivateKeyPem(),
        });
        using var browser = AuthModesWorld.Browser();
        var start = await browser.GetAsync(world.AuthUrl($"/oauth/connect/{integration}", "app-fails"), Ct);
        var state = QueryHelpers.ParseQuery(start.Headers.Location!.Query)["state"].ToString();
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(new Uri(world.Web.ServerUrl, $"/app-auth/connect?installation_id=66&setup_action=install&state={state}"), Ct)).StatusCode);
        var before = await CredentialsAsync(integration, "app-fails");
        // The provider no longer trusts the app's key (rotated on its side).
        world.Provider.TrustRsaKey(appId, otherKey);

        using var api = world.Web.CreateApiClient();
        var failed = await api.GetAsync($"/connection/app-fails?provider_config_key={integration}&force_refresh=true", Ct);

        var error = await failed.AssertErrorAsync(HttpStatusCode.FailedDependency, "refresh_token_external_error");
        Assert.Contains("401", (string?)error["message"], StringComparison.Ordinal);
        world.Provider.TrustRsaKey(appId, rsa);
        await Task.Delay(TimeSpan.FromSeconds(0.1), Ct);
        var stored = await api.GetAsync($"/connection/app-fails?provider_config_key={integration}", Ct);
        Assert.Equal((string?)before["access_token"], (string?)(await stored.ReadJsonAsync())["credentials"]!["access_token"]);
    }

    private async Task<JsonNode> CredentialsAsync(string integration, string connectionId, bool force = false)
    {
        using var api = world.Web.CreateApiClient();
        var response = await api.GetAsync($"/connection/{connectionId}?provider_config_key={integration}&refresh_token=true{(force ? "&force_refresh=true" : "")}", Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return (await response.ReadJsonAsync())["credentials"]!;
    }
}
