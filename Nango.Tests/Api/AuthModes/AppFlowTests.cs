using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.AuthModes;

/// <summary>The APP (GitHub App style) popup: install page with our state, back to <c>/app-auth/connect</c>, installation token with the app JWT.</summary>
[Trait("Category", "Integration")]
public sealed class AppFlowTests(AuthModesWorld world) : IClassFixture<AuthModesWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Install_then_callback_gets_an_installation_token_with_the_app_jwt(bool base64Key)
    {
        using var rsa = RSA.Create(2048);
        var appId = Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        world.Provider.TrustRsaKey(appId, rsa);
        var pem = rsa.ExportRSAPrivateKeyPem();
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.App, new
        {
            type = "APP",
            app_id = appId,
            app_link = new Uri(world.Provider.BaseUrl, "apps/test-app").ToString(),
            private_key = base64Key ? Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)) : pem,
        });
        using var browser = AuthModesWorld.Browser();
        var connectionId = "app-" + appId;

        var start = await browser.GetAsync(world.AuthUrl($"/oauth/connect/{integration}", connectionId), Ct);
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var install = start.Headers.Location!;
        Assert.Equal(new Uri(world.Provider.BaseUrl, "apps/test-app/installations/new").ToString(), install.GetLeftPart(UriPartial.Path));
        var state = QueryHelpers.ParseQuery(install.Query)["state"].ToString();
        var done = await browser.GetAsync(new Uri(world.Web.ServerUrl, $"/app-auth/connect?installation_id=777{appId}&setup_action=install&state={state}"), Ct);

        Assert.True(done.StatusCode == HttpStatusCode.OK, await done.Content.ReadAsStringAsync(Ct));
        var issued = world.Provider.LastInstallationToken!.Value;
        Assert.Equal("777" + appId, issued.Installation);
        Assert.Equal(appId, (string?)issued.JwtPayload["iss"]);
        Assert.InRange((long)issued.JwtPayload["exp"]! - (long)issued.JwtPayload["iat"]!, 60, 660);
        using var api = world.Web.CreateApiClient();
        var connection = await (await api.GetAsync($"/connection/{connectionId}?provider_config_key={integration}", Ct)).ReadJsonAsync();
        var credentials = connection["credentials"]!;
        Assert.Equal("APP", (string?)credentials["type"]);
        Assert.Equal(issued.Token, (string?)credentials["access_token"]);
        Assert.Equal(issued.Token, (string?)credentials["raw"]!["token"]);
        Assert.NotNull(credentials["expires_at"]);
        Assert.Equal(3, ((string)credentials["jwtToken"]!).Split('.').Length);
        Assert.Equal("777" + appId, (string?)connection["connection_config"]!["installation_id"]);
        Assert.Equal(appId, (string?)connection["connection_config"]!["app_id"]);
        await world.AssertRecordedAsync(integration, connectionId, "APP");
    }

    [Fact]
    public async Task A_request_for_owner_approval_is_refused()
    {
        using var rsa = RSA.Create(2048);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.App, new
        {
            type = "APP", app_id = "42", app_link = "https://example.invalid/apps/x", private_key = rsa.ExportRSAPrivateKeyPem(),
        });
        using var browser = AuthModesWorld.Browser();
        var start = await browser.GetAsync(world.AuthUrl($"/oauth/connect/{integration}", "app-request"), Ct);
        var state = QueryHelpers.ParseQuery(start.Headers.Location!.Query)["state"].ToString();

        var done = await browser.GetAsync(new Uri(world.Web.ServerUrl, $"/app-auth/connect?setup_action=request&state={state}"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, done.StatusCode);
        Assert.Contains("wrong_auth_mode", await done.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_install_from_the_provider_side_without_state_goes_back_where_it_came_from()
    {
        using var browser = AuthModesWorld.Browser();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(world.Web.ServerUrl, "/app-auth/connect?installation_id=1&setup_action=install"));
        request.Headers.Referrer = new Uri("https://provider.example/settings/installations");

        var response = await browser.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("https://provider.example/settings/installations", response.Headers.Location!.ToString());
    }
}
