using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using Bunit;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Web.Components.Pages.Connections;

namespace Nango.Tests.Components.Connections;

[Trait("Category", "Integration")]
public sealed class ConnectionPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private const string AccessToken = "gho_very-secret-access-token";

    private async Task<EnvironmentContext> OneConnectionAsync()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        await ImportConnectionAsync(env, new ImportConnection(
            "gh",
            "conn-1",
            new JsonObject { ["type"] = "OAUTH2", ["access_token"] = AccessToken, ["expires_at"] = "2031-05-04T03:02:01Z" },
            ConnectionConfig: new JsonObject { ["subdomain"] = "acme" },
            Metadata: new JsonObject { ["old"] = 1 },
            Tags: new Dictionary<string, string> { ["team"] = "core" },
            EndUser: new EndUser("u-1", "alice@example.com", "Alice")));
        return env;
    }

    private IRenderedComponent<ConnectionPage> RenderConnection(string integration = "gh", string connectionId = "conn-1") =>
        RenderPage<ConnectionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Integration, integration).Add(x => x.ConnectionId, connectionId));

    [Fact]
    public async Task Shows_the_overview_configuration_and_end_user()
    {
        await OneConnectionAsync();

        var cut = RenderConnection();

        cut.WaitForAssertion(() => Assert.Equal("conn-1", cut.Find("[data-testid=connection-id]").TextContent));
        Assert.Contains("OAUTH2", cut.Find("[data-testid=overview]").TextContent, StringComparison.Ordinal);
        Assert.Matches(@"^expires in \d+ d$", cut.Find("[data-testid=expiry-countdown]").TextContent.Trim());
        Assert.Equal("OAUTH2", cut.Find("[data-testid=auth-mode]").TextContent);
        Assert.Equal("never", cut.Find("[data-testid=last-refresh]").TextContent);
        Assert.Contains("\"subdomain\": \"acme\"", cut.Find("[data-testid=connection-config]").TextContent, StringComparison.Ordinal);
        Assert.Contains("alice@example.com", cut.Find("[data-testid=end-user]").TextContent, StringComparison.Ordinal);
        Assert.Contains("team: core", cut.Find("[data-testid=tags]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_now_says_when_the_credentials_have_nothing_to_refresh_with()
    {
        await OneConnectionAsync();
        var cut = RenderConnection();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=refresh-credentials]")));

        await cut.Find("[data-testid=refresh-credentials]").PressAsync();

        var snackbars = Services.GetRequiredService<MudBlazor.ISnackbar>();
        cut.WaitForAssertion(() => Assert.Contains(snackbars.ShownSnackbars, s => (s.Message ?? "").Contains("nothing to refresh with", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Credentials_stay_hidden_until_revealed()
    {
        await OneConnectionAsync();
        var cut = RenderConnection();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=credentials-redacted]")));

        Assert.DoesNotContain(AccessToken, cut.Markup, StringComparison.Ordinal);
        Assert.Contains("access_token", cut.Find("[data-testid=credentials-redacted]").TextContent, StringComparison.Ordinal);
        Assert.Contains("••••", cut.Find("[data-testid=credentials-redacted]").TextContent, StringComparison.Ordinal);

        await cut.Find("[data-testid=reveal-credentials]").PressAsync();

        cut.WaitForAssertion(() => Assert.Contains(AccessToken, cut.Find("[data-testid=credentials-json]").TextContent, StringComparison.Ordinal));

        await cut.Find("[data-testid=reveal-credentials]").PressAsync();
        cut.WaitForAssertion(() => Assert.DoesNotContain(AccessToken, cut.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Saving_metadata_replaces_it_in_the_database()
    {
        var env = await OneConnectionAsync();
        var cut = RenderConnection();
        cut.WaitForAssertion(() => Assert.Contains("\"old\"", cut.Find("[data-testid=metadata-editor] textarea").GetAttribute("value"), StringComparison.Ordinal));

        await cut.Find("[data-testid=metadata-editor] textarea").TypeAsync("""{ "plan": "pro", "seats": 5 }""");
        await cut.Find("[data-testid=save-metadata]").PressAsync();

        var saved = (await Connections.GetAsync(env, "gh", "conn-1", markFetched: false, Ct)).Connection!.Summary.Metadata;
        Assert.Equal("pro", (string?)saved["plan"]);
        Assert.Equal(5, (int?)saved["seats"]);
        Assert.False(saved.ContainsKey("old"));
    }

    [Fact]
    public async Task Metadata_that_is_not_a_json_object_is_refused()
    {
        var env = await OneConnectionAsync();
        var cut = RenderConnection();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=metadata-editor] textarea")));

        await cut.Find("[data-testid=metadata-editor] textarea").TypeAsync("[1, 2]");
        await cut.Find("[data-testid=save-metadata]").PressAsync();
        Assert.Contains("must be a JSON object", cut.Find("[data-testid=metadata]").TextContent, StringComparison.Ordinal);

        await cut.Find("[data-testid=metadata-editor] textarea").TypeAsync("{ not json");
        await cut.Find("[data-testid=save-metadata]").PressAsync();
        Assert.Contains("Not valid JSON", cut.Find("[data-testid=metadata]").TextContent, StringComparison.Ordinal);

        var saved = (await Connections.GetAsync(env, "gh", "conn-1", markFetched: false, Ct)).Connection!.Summary.Metadata;
        Assert.Equal(1, (int?)saved["old"]);
    }

    [Fact]
    public async Task Tags_are_edited_as_chips_and_saved()
    {
        var env = await OneConnectionAsync();
        var cut = RenderConnection();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=tag]")));

        await cut.Find("[data-testid=tag-key] input").TypeAsync("Region");
        await cut.Find("[data-testid=tag-value] input").TypeAsync("eu");
        await cut.Find("[data-testid=add-tag]").PressAsync();
        await cut.Find("[data-testid=save-tags]").PressAsync();

        var tags = (await Connections.GetAsync(env, "gh", "conn-1", markFetched: false, Ct)).Connection!.Summary.Tags;
        Assert.Equal("core", tags["team"]);
        Assert.Equal("eu", tags["region"]);
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=tag]").Count));
    }

    [Fact]
    public async Task Deleting_after_confirmation_removes_the_connection()
    {
        var env = await OneConnectionAsync();
        var (_, dialogs) = RenderProviders();
        var cut = Render<ConnectionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Integration, "gh").Add(x => x.ConnectionId, "conn-1"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=delete-connection]")));

        await cut.ClickWithoutWaitingAsync("[data-testid=delete-connection]");
        await dialogs.WaitForElement("[data-testid=confirm-ok]").PressAsync();

        cut.WaitForAssertion(() => Assert.EndsWith("/dashboard/dev/connections", Navigation.Uri, StringComparison.Ordinal));
        Assert.Equal(ConnectionOutcome.NotFound, (await Connections.GetAsync(env, "gh", "conn-1", markFetched: false, Ct)).Outcome);
    }

    [Fact]
    public async Task An_unknown_connection_shows_not_found()
    {
        await OneConnectionAsync();

        var cut = RenderConnection(connectionId: "nobody");

        cut.WaitForAssertion(() => Assert.Contains("Connection not found", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }
}
