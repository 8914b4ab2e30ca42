using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser.ConnectUi;

/// <summary>
/// The Connect UI as a customer's app uses it: the official <c>@nangohq/frontend</c> 0.71.10 on another origin
/// opens it with <c>openConnectUI</c> (or runs <c>nango.auth</c> itself), the end user completes a real OAuth login
/// or a verified API key, and the backend then sees the connection through <c>@nangohq/node</c>.
/// </summary>
[Trait("Category", "Browser")]
public sealed class ConnectUiBrowserTests(ConnectUiWorld world) : IClassFixture<ConnectUiWorld>
{
    /// <summary>
    /// Booting a Blazor circuit inside a frame and following a popup through two servers' redirects take seconds
    /// on a loaded two-core machine; these waits are generous so that only a real failure fails.
    /// </summary>
    private const float SlowStep = 45_000;

    private static readonly LocatorAssertionsToBeVisibleOptions _booted = new() { Timeout = SlowStep };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Connect_UI_opened_by_the_frontend_SDK_connects_through_the_OAuth_popup()
    {
        var session = await NodeClient.RunAsync("connect-ui.mjs", world.Web.ServerUrl, world.Web.SecretKey, new Dictionary<string, string>
        {
            ["COMMAND"] = "create-session",
            ["END_USER_ID"] = "oauth-end-user",
            ["ALLOWED"] = $"{ConnectUiWorld.OAuthIntegration},{ConnectUiWorld.ApiKeyIntegration}",
        }, Ct);
        var page = await OpenAppAsync((string)session["token"]!);

        await page.ClickAsync("#open-connect-ui");
        var frame = page.FrameLocator("#connect-ui");
        await Assertions.Expect(frame.GetByTestId("connect-list")).ToBeVisibleAsync(_booted);
        await Assertions.Expect(frame.GetByTestId("connect-integration")).ToHaveCountAsync(2, new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("connect-integration").First).ToContainTextAsync("Test OAuth2", new() { Timeout = SlowStep });
        await Infrastructure.Browser.ScreenshotAsync(page, "connect-ui-list");

        await frame.Locator($"[data-integration={ConnectUiWorld.OAuthIntegration}]").ClickAsync();
        await Assertions.Expect(frame.GetByTestId("connect-no-fields")).ToBeVisibleAsync(new() { Timeout = SlowStep });
        var popup = await page.Context.RunAndWaitForPageAsync(() => frame.GetByTestId("connect-submit").ClickAsync());
        await Assertions.Expect(frame.GetByTestId("connect-waiting")).ToBeVisibleAsync(new() { Timeout = SlowStep });
        await SignInToProviderAsync(popup);

        var connect = await WaitForEventAsync(page, "connect");
        Assert.Equal(ConnectUiWorld.OAuthIntegration, (string?)connect["payload"]!["providerConfigKey"]);
        var connectionId = (string)connect["payload"]!["connectionId"]!;
        await Assertions.Expect(frame.GetByTestId("connect-success")).ToBeVisibleAsync(_booted);
        await Infrastructure.Browser.ScreenshotAsync(page, "connect-ui-success");
        var types = (await EventsAsync(page)).Select(e => (string?)e!["type"]).ToList();
        Assert.Equal("ready", types[0]);
        Assert.Contains("settings_changed", types);

        var backend = await NodeClient.RunAsync("connect-ui.mjs", world.Web.ServerUrl, world.Web.SecretKey, new Dictionary<string, string>
        {
            ["COMMAND"] = "connection",
            ["PROVIDER_CONFIG_KEY"] = ConnectUiWorld.OAuthIntegration,
            ["CONNECTION_ID"] = connectionId,
        }, Ct);
        var listed = Assert.Single(backend["connections"]!.AsArray());
        Assert.Equal(ConnectUiWorld.OAuthIntegration, (string?)listed!["provider_config_key"]);
        Assert.Equal("oauth-end-user", (string?)listed["end_user"]!["id"]);
        Assert.False(string.IsNullOrEmpty((string?)backend["token"]));
        Assert.Equal("OAUTH2", (string?)backend["credentials_type"]);

        await frame.GetByTestId("connect-finish").ClickAsync();
        await Assertions.Expect(page.Locator("#connect-ui")).ToHaveCountAsync(0, new() { Timeout = SlowStep });
        Assert.Equal("close", (string?)(await EventsAsync(page)).Last()!["type"]);
    }

    [Fact]
    public async Task Connect_UI_checks_the_API_key_form_shows_a_refused_key_and_connects_with_a_good_one()
    {
        var token = await world.CreateSessionAsync("api-key-user", ConnectUiWorld.ApiKeyIntegration);
        var page = await OpenAppAsync(token);

        await page.ClickAsync("#open-connect-ui");
        var frame = page.FrameLocator("#connect-ui");
        // One allowed integration: straight to its form, with no way back to a list.
        var form = frame.GetByTestId("connect-form");
        await Assertions.Expect(form).ToBeVisibleAsync(_booted);
        await Assertions.Expect(frame.GetByTestId("connect-back")).ToHaveCountAsync(0, new() { Timeout = SlowStep });
        var apiKey = frame.Locator("#connect-input-credentials-apiKey");
        await Assertions.Expect(apiKey).ToHaveAttributeAsync("type", "password", new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("field-params-workspace").GetByTestId("field-prefix")).ToHaveTextAsync("https://", new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("field-params-workspace").GetByTestId("field-suffix")).ToHaveTextAsync(".example.com", new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("connect-docs")).ToHaveAttributeAsync("href", "https://docs.example.com/test-api-key/connect", new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("connect-submit")).ToBeDisabledAsync(new() { Timeout = SlowStep });

        await apiKey.FillAsync("not a key");
        await frame.Locator("#connect-input-params-workspace").FillAsync("acme");
        await Assertions.Expect(frame.GetByTestId("field-credentials-apiKey")).ToContainTextAsync("Incorrect API Key", new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("connect-submit")).ToBeDisabledAsync(new() { Timeout = SlowStep });
        await Infrastructure.Browser.ScreenshotAsync(page, "connect-ui-form");

        await apiKey.FillAsync("key-refused7");
        await frame.GetByTestId("connect-submit").ClickAsync();
        var failure = frame.GetByTestId("connect-failure");
        await Assertions.Expect(failure).ToBeVisibleAsync(_booted);
        await Assertions.Expect(failure).ToHaveAttributeAsync("data-error-type", "connection_test_failed", new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("connect-failure-message")).ToContainTextAsync("Test API Key refused these credentials", new() { Timeout = SlowStep });
        await Infrastructure.Browser.ScreenshotAsync(page, "connect-ui-error");
        var error = await WaitForEventAsync(page, "error");
        Assert.Equal("connection_test_failed", (string?)error["payload"]!["errorType"]);

        await frame.GetByTestId("connect-retry").ClickAsync();
        await Assertions.Expect(frame.Locator("#connect-input-params-workspace")).ToHaveValueAsync("acme", new() { Timeout = SlowStep });
        await apiKey.FillAsync(ApiKeyProvider.AcceptedKey);
        await frame.GetByTestId("connect-submit").ClickAsync();
        var connect = await WaitForEventAsync(page, "connect");
        await Assertions.Expect(frame.GetByTestId("connect-success")).ToBeVisibleAsync(_booted);

        var connectionId = (string)connect["payload"]!["connectionId"]!;
        var saved = await GetConnectionAsync(ConnectUiWorld.ApiKeyIntegration, connectionId);
        Assert.Equal(ApiKeyProvider.AcceptedKey, (string?)saved["credentials"]!["apiKey"]);
        Assert.Equal("acme", (string?)saved["connection_config"]!["workspace"]);
        Assert.Equal("eu", (string?)saved["connection_config"]!["region"]);
        Assert.Equal("api-key-user", (string?)saved["end_user"]!["id"]);
    }

    [Fact]
    public async Task Frontend_auth_runs_the_popup_and_websocket_flow_without_the_Connect_UI()
    {
        var token = await world.CreateSessionAsync("direct-user", ConnectUiWorld.OAuthIntegration);
        var page = await OpenAppAsync(token, ConnectUiWorld.OAuthIntegration);

        var popup = await page.RunAndWaitForPopupAsync(() => page.ClickAsync("#auth-popup"));
        await SignInToProviderAsync(popup);

        var auth = await WaitForAuthAsync(page);
        Assert.True((bool)auth["ok"]!, auth.ToJsonString());
        Assert.Equal(ConnectUiWorld.OAuthIntegration, (string?)auth["providerConfigKey"]);
        var saved = await GetConnectionAsync(ConnectUiWorld.OAuthIntegration, (string)auth["connectionId"]!);
        Assert.Equal("OAUTH2", (string?)saved["credentials"]!["type"]);
        Assert.Equal("direct-user", (string?)saved["end_user"]!["id"]);
    }

    [Fact]
    public async Task Closing_the_popup_rejects_frontend_auth_with_window_closed()
    {
        var token = await world.CreateSessionAsync("closing-user", ConnectUiWorld.OAuthIntegration);
        var page = await OpenAppAsync(token, ConnectUiWorld.OAuthIntegration, detectClosedAuthWindow: true);

        var popup = await page.RunAndWaitForPopupAsync(() => page.ClickAsync("#auth-popup"));
        await popup.Locator("#username").WaitForAsync(new() { Timeout = SlowStep });
        await popup.CloseAsync();

        var auth = await WaitForAuthAsync(page);
        Assert.False((bool)auth["ok"]!);
        Assert.Equal("window_closed", (string?)auth["type"]);
    }

    [Fact]
    public async Task Closing_the_popup_of_the_Connect_UI_reports_window_closed_and_keeps_the_form()
    {
        var token = await world.CreateSessionAsync("closing-ui-user", ConnectUiWorld.OAuthIntegration);
        var page = await OpenAppAsync(token, detectClosedAuthWindow: true);

        await page.ClickAsync("#open-connect-ui");
        var frame = page.FrameLocator("#connect-ui");
        var popup = await page.Context.RunAndWaitForPageAsync(() => frame.GetByTestId("connect-submit").ClickAsync());
        await popup.Locator("#username").WaitForAsync(new() { Timeout = SlowStep });
        await popup.CloseAsync();

        var error = await WaitForEventAsync(page, "error");
        Assert.Equal("window_closed", (string?)error["payload"]!["errorType"]);
        await Assertions.Expect(frame.GetByTestId("connect-inline-error")).ToBeVisibleAsync(new() { Timeout = SlowStep });
        await Assertions.Expect(frame.GetByTestId("connect-submit")).ToHaveTextAsync("Try again", new() { Timeout = SlowStep });
    }

    [Fact]
    public async Task A_connect_link_reconnects_its_connection_in_a_tab_of_its_own()
    {
        using var api = world.Web.CreateApiClient();
        var imported = await api.PostAsJsonAsync("/connections", new
        {
            provider_config_key = ConnectUiWorld.ApiKeyIntegration,
            connection_id = "to-reconnect",
            credentials = new { type = "API_KEY", apiKey = "key-old1" },
            connection_config = new { workspace = "old" },
        }, Ct);
        Assert.True(imported.IsSuccessStatusCode, await imported.Content.ReadAsStringAsync(Ct));
        var created = await api.CreateConnectSessionAsync(new { connection_id = "to-reconnect", integration_id = ConnectUiWorld.ApiKeyIntegration }, "/connect/sessions/reconnect");
        var page = await NewNangoPageAsync();

        await page.GotoAsync((string)created["connect_link"]! + "&theme=dark");

        await Assertions.Expect(page.GetByTestId("connect-form")).ToContainTextAsync("Reconnect your Test API Key account", new() { Timeout = SlowStep });
        await Assertions.Expect(page.GetByTestId("connect-close")).ToHaveCountAsync(0, new() { Timeout = SlowStep });
        await page.Locator("#connect-input-credentials-apiKey").FillAsync(ApiKeyProvider.AcceptedKey);
        await page.Locator("#connect-input-params-workspace").FillAsync("renewed");
        await Infrastructure.Browser.ScreenshotAsync(page, "connect-ui-reconnect-dark");
        await page.GetByTestId("connect-submit").ClickAsync();
        await Assertions.Expect(page.GetByTestId("connect-success")).ToContainTextAsync("You can close this tab.", new() { Timeout = SlowStep });

        var saved = await GetConnectionAsync(ConnectUiWorld.ApiKeyIntegration, "to-reconnect");
        Assert.Equal(ApiKeyProvider.AcceptedKey, (string?)saved["credentials"]!["apiKey"]);
        Assert.Equal("renewed", (string?)saved["connection_config"]!["workspace"]);
    }

    [Theory]
    [InlineData("/connect/")]
    [InlineData("/connect/?session_token=nango_connect_session_0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task The_Connect_UI_without_a_valid_session_says_so(string path)
    {
        var page = await NewNangoPageAsync();

        await page.GotoAsync(path);

        await Assertions.Expect(page.GetByTestId("connect-unavailable")).ToBeVisibleAsync(_booted);
    }

    [Fact]
    public async Task The_dashboard_adds_a_connection_through_the_Connect_UI_in_a_dialog()
    {
        var page = await NewNangoPageAsync();
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);
        await page.GotoAsync("/dashboard/dev/connections");

        await page.GetByTestId("add-connection").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await page.GetByTestId("end-user-id").Locator("input").FillAsync("dashboard-user");
        await page.GetByTestId("end-user-email").Locator("input").FillAsync("dashboard-user@example.com");
        await page.GetByTestId("connection-tags").Locator("textarea").FillAsync("plan=pro");
        await Infrastructure.Browser.ScreenshotAsync(page, "dashboard-add-connection-form");
        await page.GetByTestId("add-connection-continue").ClickAsync();

        var frame = page.FrameLocator("[data-testid=connect-ui-frame]");
        await Assertions.Expect(frame.GetByTestId("connect-list")).ToBeVisibleAsync(_booted);
        await Infrastructure.Browser.ScreenshotAsync(page, "dashboard-add-connection-dialog");
        await frame.Locator($"[data-integration={ConnectUiWorld.ApiKeyIntegration}]").ClickAsync();
        await frame.Locator("#connect-input-credentials-apiKey").FillAsync(ApiKeyProvider.AcceptedKey);
        await frame.Locator("#connect-input-params-workspace").FillAsync("dashboard");
        await frame.GetByTestId("connect-submit").ClickAsync();

        await Assertions.Expect(dialog).ToHaveCountAsync(0, new() { Timeout = SlowStep });
        await Assertions.Expect(page.Locator(".connection-row").Filter(new() { HasText = "dashboard-user@example.com" })).ToBeVisibleAsync(new() { Timeout = SlowStep });
        await Infrastructure.Browser.ScreenshotAsync(page, "dashboard-connection-added");
    }

    private async Task<IPage> NewNangoPageAsync()
    {
        var page = await world.Browser.NewPageAsync(world.Web.ServerUrl);
        page.Context.SetDefaultTimeout(SlowStep);
        return page;
    }

    private async Task<IPage> OpenAppAsync(string sessionToken, string? integration = null, bool detectClosedAuthWindow = false)
    {
        var page = await world.Browser.NewPageAsync(world.Host.BaseUrl);
        page.Context.SetDefaultTimeout(SlowStep);
        await page.GotoAsync(world.Host.PageUrl(world.Web.ServerUrl, sessionToken, integration, detectClosedAuthWindow).ToString());
        await Assertions.Expect(page.Locator("#open-connect-ui")).ToBeEnabledAsync(new() { Timeout = SlowStep });
        return page;
    }

    /// <summary>The test authorization server's sign-in and consent form, in the popup.</summary>
    private static async Task SignInToProviderAsync(IPage popup)
    {
        await popup.Locator("#username").FillAsync(Infrastructure.OAuthServer.TestOAuthServer.Username, new() { Timeout = SlowStep });
        await popup.Locator("#password").FillAsync(Infrastructure.OAuthServer.TestOAuthServer.Password);
        await popup.Locator("#allow").ClickAsync();
    }

    private static async Task<JsonArray> EventsAsync(IPage page) =>
        JsonNode.Parse((await page.EvaluateAsync<JsonElement>("() => JSON.stringify(window.__events)")).GetString()!)!.AsArray();

    private static async Task<JsonObject> WaitForEventAsync(IPage page, string type)
    {
        await page.WaitForFunctionAsync("type => window.__events.some(e => e.type === type)", type, new() { Timeout = SlowStep });
        return (await EventsAsync(page)).Last(e => (string?)e!["type"] == type)!.AsObject();
    }

    private static async Task<JsonObject> WaitForAuthAsync(IPage page)
    {
        await page.WaitForFunctionAsync("() => window.__auth !== null", null, new() { Timeout = SlowStep });
        return JsonNode.Parse((await page.EvaluateAsync<JsonElement>("() => JSON.stringify(window.__auth)")).GetString()!)!.AsObject();
    }

    private async Task<JsonObject> GetConnectionAsync(string integration, string connectionId)
    {
        using var api = world.Web.CreateApiClient();
        var response = await api.GetAsync($"/connections/{Uri.EscapeDataString(connectionId)}?provider_config_key={integration}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync()).AsObject();
    }
}
