using System.Text.Json.Nodes;
using Bunit;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Web.Components.Pages.Connections;

namespace Nango.Tests.Components.Connections;

[Trait("Category", "Integration")]
public sealed class ConnectionsPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private static JsonObject ApiKey() => new() { ["type"] = "API_KEY", ["apiKey"] = "secret" };

    private async Task<EnvironmentContext> ThreeConnectionsAsync()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        await CreateIntegrationAsync(env, "slack", "sl");
        await ImportConnectionAsync(env, new ImportConnection("gh", "conn-alice", ApiKey(), EndUser: new EndUser("u-1", "alice@example.com", "Alice Liddell")));
        await ImportConnectionAsync(env, new ImportConnection("gh", "conn-bob", ApiKey(), EndUser: new EndUser("u-2", "bob@example.com")));
        await ImportConnectionAsync(env, new ImportConnection("sl", "conn-carol", ApiKey()));
        return env;
    }

    private static List<string> ConnectionIds(IRenderedComponent<ConnectionsPage> cut) =>
        cut.FindAll("[data-testid=connection-row]").Select(c => c.TextContent.Trim()).ToList();

    [Fact]
    public async Task Lists_imported_connections_with_integration_and_end_user()
    {
        await ThreeConnectionsAsync();

        var cut = RenderPage<ConnectionsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Equal(["conn-carol", "conn-bob", "conn-alice"], ConnectionIds(cut)));
        var alice = cut.FindAll("tr.connection-row").Single(r => r.TextContent.Contains("conn-alice", StringComparison.Ordinal));
        Assert.Contains("gh", alice.TextContent, StringComparison.Ordinal);
        Assert.Contains("Alice Liddell", alice.TextContent, StringComparison.Ordinal);
        Assert.Contains("alice@example.com", alice.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Typing_a_search_narrows_the_list_and_records_it_in_the_url()
    {
        await ThreeConnectionsAsync();
        var cut = RenderPage<ConnectionsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(3, ConnectionIds(cut).Count));

        await cut.Find("[data-testid=connection-search] input").TypeAsync("alice");

        cut.WaitForAssertion(() => Assert.Equal(["conn-alice"], ConnectionIds(cut)));
        Assert.Contains("search=alice", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filters_given_in_the_url_apply_on_arrival()
    {
        await ThreeConnectionsAsync();
        Navigation.NavigateTo("/dashboard/dev/connections?integration=sl");

        var cut = RenderPage<ConnectionsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Equal(["conn-carol"], ConnectionIds(cut)));
    }

    [Fact]
    public async Task Clicking_a_row_opens_the_connection()
    {
        await ThreeConnectionsAsync();
        var cut = RenderPage<ConnectionsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(3, ConnectionIds(cut).Count));

        await cut.FindAll("tr.connection-row").Single(r => r.TextContent.Contains("conn-bob", StringComparison.Ordinal)).PressAsync();

        cut.WaitForAssertion(() => Assert.EndsWith("/dashboard/dev/connections/gh/conn-bob", Navigation.Uri, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_connections_the_empty_state_links_to_the_integrations()
    {
        await SignInNewAccountAsync();

        var cut = RenderPage<ConnectionsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("No connections yet", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        Assert.EndsWith("/dashboard/dev/integrations", cut.Find("[data-testid=go-to-integrations]").GetAttribute("href"), StringComparison.Ordinal);
    }
}
