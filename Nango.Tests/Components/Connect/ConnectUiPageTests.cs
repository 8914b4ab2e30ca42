using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.ConnectSessions;
using Nango.Core.Environments;
using Nango.Web.Components.Connect;

namespace Nango.Tests.Components.Connect;

/// <summary>
/// The Connect UI page against real sessions and integrations, with its browser half (<c>connect-ui.js</c>) stood in
/// by bUnit: what it answers decides the flow, and what the page asks of it (posts to the parent, flows, popups) is
/// checked.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ConnectUiPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private const string ParentOrigin = "https://app.example.com";

    private async Task<(EnvironmentContext Env, string Token)> SessionAsync(params string[] allowed)
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "apollo", "apollo-key");
        await CreateIntegrationAsync(env, "github", "github-oauth", new Nango.Core.Integrations.IntegrationCredentials("OAUTH2", "client", "secret"));
        await CreateIntegrationAsync(env, "unauthenticated", "public-api");
        var result = await Services.GetRequiredService<ConnectSessionService>().CreateAsync(env, new ConnectSessionRequest
        {
            EndUser = new ConnectSessionEndUser("end-user-1"),
            AllowedIntegrations = allowed.Length == 0 ? null : allowed,
        }, Ct);
        return (env, result.Session!.Token);
    }

    private BunitJSModuleInterop Browser(bool embedded = true)
    {
        var module = JSInterop.SetupModule("./js/connect-ui.js");
        module.Mode = JSRuntimeMode.Loose;
        module.Setup<ConnectBrowserContext>("init", _ => true).SetResult(new ConnectBrowserContext(embedded, embedded ? ParentOrigin : null));
        module.Setup<bool>("prefersDark", _ => true).SetResult(false);
        return module;
    }

    /// <summary>The page at <c>/connect/</c> with its query (the connect link's token, the SDK's theme), as the router would supply it.</summary>
    private IRenderedComponent<ConnectPage> RenderConnect(string? token, string? theme = null)
    {
        var query = new List<string>();
        if (token is not null)
        {
            query.Add("session_token=" + Uri.EscapeDataString(token));
        }
        if (theme is not null)
        {
            query.Add("theme=" + theme);
        }
        Navigation.NavigateTo("/connect/" + (query.Count == 0 ? "" : "?" + string.Join('&', query)));
        return RenderPage<ConnectPage>(_ => { });
    }

    /// <summary>The messages the page posted to its parent, as JSON.</summary>
    private static List<JsonElement> Posted(BunitJSModuleInterop module) =>
        module.Invocations["post"].Select(i => JsonSerializer.SerializeToElement(i.Arguments[0])).ToList();

    private static string View(IRenderedComponent<ConnectPage> cut) => cut.Find("[data-testid=connect-card]").GetAttribute("data-view")!;

    [Fact]
    public async Task A_session_lists_only_its_allowed_integrations_and_tells_the_parent_its_settings()
    {
        var (_, token) = await SessionAsync("apollo-key", "github-oauth");
        var module = Browser();

        var cut = RenderConnect(token);

        cut.WaitForAssertion(() => Assert.Equal("list", View(cut)));
        Assert.Equal(["apollo-key", "github-oauth"], cut.FindAll("[data-testid=connect-integration]").Select(e => e.GetAttribute("data-integration")));
        var settings = Assert.Single(Posted(module));
        Assert.Equal("settings_changed", settings.GetProperty("type").GetString());
        Assert.Equal("system", settings.GetProperty("payload").GetProperty("defaultTheme").GetString());
        Assert.Contains(module.Invocations["telemetry"], i => (string?)i.Arguments[1] == "view:list");
    }

    [Fact]
    public async Task A_refused_key_shows_the_error_view_and_tells_the_parent_and_retry_keeps_what_was_typed()
    {
        var (_, token) = await SessionAsync("apollo-key", "github-oauth");
        var module = Browser();
        module.Setup<FlowResponse>("postFlow", _ => true).SetResult(new FlowResponse(400,
            """{"error":{"code":"connection_test_failed","message":"The provider refused these credentials: GET /me answered 401."}}"""));
        var cut = RenderConnect(token);
        cut.WaitForAssertion(() => Assert.Equal("list", View(cut)));

        await cut.InvokeAsync(() => cut.Find("[data-integration=apollo-key]").ClickAsync(new()));
        await cut.InvokeAsync(() => cut.Find("#connect-input-credentials-apiKey").InputAsync(new() { Value = "wrong-key" }));
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());

        cut.WaitForAssertion(() => Assert.Equal("failure", View(cut)));
        Assert.Equal("connection_test_failed", cut.Find("[data-testid=connect-failure]").GetAttribute("data-error-type"));
        Assert.Contains("refused these credentials", cut.Find("[data-testid=connect-failure-message]").TextContent, StringComparison.Ordinal);
        Assert.Contains("GET /me answered 401", cut.Find("[data-testid=connect-failure-details]").TextContent, StringComparison.Ordinal);
        var flow = module.Invocations["postFlow"].Single();
        Assert.Equal("api-auth/api-key/apollo-key", flow.Arguments[0]);
        Assert.Equal(token, flow.Arguments[2]);
        var error = Posted(module).Last();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("connection_test_failed", error.GetProperty("payload").GetProperty("errorType").GetString());

        await cut.InvokeAsync(() => cut.Find("[data-testid=connect-retry]").ClickAsync(new()));

        Assert.Equal("integration", View(cut));
        Assert.Equal("wrong-key", cut.Find("#connect-input-credentials-apiKey").GetAttribute("value"));
    }

    [Fact]
    public async Task An_accepted_key_shows_success_posts_connect_and_finish_closes()
    {
        var (_, token) = await SessionAsync("apollo-key");
        var module = Browser();
        module.Setup<FlowResponse>("postFlow", _ => true).SetResult(new FlowResponse(200, """{"providerConfigKey":"apollo-key","connectionId":"conn-1"}"""));
        var cut = RenderConnect(token);
        // A single allowed integration opens its form at once, with no list to go back to.
        cut.WaitForAssertion(() => Assert.Equal("integration", View(cut)));
        Assert.Empty(cut.FindAll("[data-testid=connect-back]"));

        await cut.InvokeAsync(() => cut.Find("#connect-input-credentials-apiKey").InputAsync(new() { Value = "good-key" }));
        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());

        cut.WaitForAssertion(() => Assert.Equal("success", View(cut)));
        var connect = Posted(module).Single(p => p.GetProperty("type").GetString() == "connect").GetProperty("payload");
        Assert.Equal("apollo-key", connect.GetProperty("providerConfigKey").GetString());
        Assert.Equal("conn-1", connect.GetProperty("connectionId").GetString());
        Assert.False(connect.GetProperty("isPending").GetBoolean());

        await cut.InvokeAsync(() => cut.Find("[data-testid=connect-finish]").ClickAsync(new()));

        Assert.Equal("close", Posted(module).Last().GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_OAuth_integration_waits_for_the_popup_a_closed_popup_keeps_the_form_and_a_success_ends_it()
    {
        var (_, token) = await SessionAsync("github-oauth");
        var module = Browser();
        module.Setup<bool>("startPopupAuth", _ => true).SetResult(true);
        var cut = RenderConnect(token);
        cut.WaitForAssertion(() => Assert.Equal("integration", View(cut)));
        Assert.Equal("true", cut.Find("[data-testid=connect-submit]").GetAttribute("data-nango-popup"));

        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=connect-waiting]")));
        var options = JsonSerializer.SerializeToElement(module.Invocations["startPopupAuth"].Single().Arguments[0]);
        Assert.Equal($"oauth/connect/github-oauth?connect_session_token={token}", options.GetProperty("url").GetString());

        await cut.InvokeAsync(() => cut.Instance.OnPopupResult(new PopupResult(false, null, null, false, "window_closed", "The authorization window was closed")));

        Assert.Equal("integration", View(cut));
        Assert.Contains("window was closed", cut.Find("[data-testid=connect-inline-error]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Try again", cut.Find("[data-testid=connect-submit]").TextContent.Trim());
        Assert.Equal("window_closed", Posted(module).Last().GetProperty("payload").GetProperty("errorType").GetString());

        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());
        await cut.InvokeAsync(() => cut.Instance.OnPopupResult(new PopupResult(true, "github-oauth", "conn-gh", false, null, null)));

        Assert.Equal("success", View(cut));
        Assert.Equal("conn-gh", Posted(module).Last().GetProperty("payload").GetProperty("connectionId").GetString());
    }

    [Fact]
    public async Task A_popup_blocked_by_the_browser_says_so_and_an_auth_error_from_the_server_is_the_error_view()
    {
        var (_, token) = await SessionAsync("github-oauth");
        var module = Browser();
        var start = module.Setup<bool>("startPopupAuth", _ => true);
        start.SetResult(false);
        var cut = RenderConnect(token);
        cut.WaitForAssertion(() => Assert.Equal("integration", View(cut)));

        await cut.InvokeAsync(() => cut.Find("form").SubmitAsync());

        cut.WaitForAssertion(() => Assert.Contains("blocked", cut.Find("[data-testid=connect-inline-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal("blocked_by_browser", Posted(module).Last().GetProperty("payload").GetProperty("errorType").GetString());

        await cut.InvokeAsync(() => cut.Instance.OnPopupResult(new PopupResult(false, null, null, false, "token_exchange_failed", "The token exchange failed: invalid_client")));

        Assert.Equal("failure", View(cut));
        // Error types the SDK does not declare reach the parent as unknown_error, as with Nango's own UI.
        Assert.Equal("unknown_error", Posted(module).Last().GetProperty("payload").GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task A_reconnect_session_goes_straight_to_its_integration()
    {
        var (env, _) = await SessionAsync();
        await ImportConnectionAsync(env, new Nango.Core.Connections.ImportConnection("apollo-key", "existing", new System.Text.Json.Nodes.JsonObject { ["type"] = "API_KEY", ["apiKey"] = "old" }));
        var reconnect = await Services.GetRequiredService<ConnectSessionService>().CreateReconnectAsync(env,
            new ReconnectSessionRequest("existing", "apollo-key", new ConnectSessionRequest()), Ct);
        Browser(embedded: false);

        var cut = RenderConnect(reconnect.Session!.Token);

        cut.WaitForAssertion(() => Assert.Equal("integration", View(cut)));
        Assert.Contains("Reconnect your", cut.Find("#connect-title").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=connect-back]"));
        Assert.Empty(cut.FindAll("[data-testid=connect-close]"));
    }

    [Theory]
    [InlineData("nango_connect_session_0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("not-a-token")]
    public void An_unknown_or_malformed_token_shows_that_the_link_is_not_valid(string token)
    {
        Browser();

        var cut = RenderConnect(token);

        cut.WaitForAssertion(() => Assert.Equal("unavailable", View(cut)));
        Assert.Contains("expired or is not valid", cut.Find("[data-testid=connect-unavailable]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Opened_directly_without_a_parent_or_a_token_it_says_it_cannot_be()
    {
        Browser(embedded: false);

        var cut = RenderConnect(null);

        cut.WaitForAssertion(() => Assert.Contains("can't be opened directly", cut.Find("[data-testid=connect-unavailable]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_theme_follows_the_query_and_a_parent_can_change_it()
    {
        var (_, token) = await SessionAsync("apollo-key");
        Browser();
        var cut = RenderConnect(token, theme: "dark");
        cut.WaitForAssertion(() => Assert.Equal("integration", View(cut)));
        Assert.Equal("dark", cut.Find("[data-testid=connect-card]").GetAttribute("data-theme"));

        await cut.InvokeAsync(() => cut.Instance.OnSettingsChanged("""{"theme":{"light":{"primary":"#ff0000"},"dark":{"primary":"#00ff00"}},"defaultTheme":"light"}"""));

        // ?theme= still wins over the default theme; the colours change.
        Assert.Equal("dark", cut.Find("[data-testid=connect-card]").GetAttribute("data-theme"));
        var provider = cut.FindComponent<MudBlazor.MudThemeProvider>().Instance;
        Assert.Equal("#00ff00", provider.Theme!.PaletteDark.Primary.ToString(MudBlazor.Utilities.MudColorOutputFormats.Hex).ToLowerInvariant());
    }
}
