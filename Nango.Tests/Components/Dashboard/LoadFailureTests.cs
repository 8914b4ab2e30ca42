using Bunit;
using Nango.Tests.Infrastructure;
using Nango.Web.Components.Pages.Connections;
using Nango.Web.Components.Pages.Integrations;
using Nango.Web.Components.Pages.Settings;

namespace Nango.Tests.Components.Dashboard;

/// <summary>Pages pointed at a database that does not exist show the error state with a retry, not a crash.</summary>
[Trait("Category", "Integration")]
public sealed class LoadFailureTests() : DashboardTestContext(
    TestPostgres.ConnectionStringFor("nango_missing_" + Guid.NewGuid().ToString("N")[..12]),
    Convert.ToBase64String(new byte[32]),
    Path.Combine(Path.GetTempPath(), "nango-tests", "load-failure"))
{
    [Fact]
    public async Task The_integrations_page_shows_the_error_with_a_retry()
    {
        SignInTo(1);

        var cut = RenderPage<IntegrationsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("The database could not be reached.", cut.Find("[data-testid=error]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=empty]"));

        await cut.ClickWithoutWaitingAsync("[data-testid=error] button");

        cut.WaitForAssertion(() => Assert.Contains("The database could not be reached.", cut.Find("[data-testid=error]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void The_other_pages_show_the_error_state_too()
    {
        SignInTo(1);

        var connections = RenderPage<ConnectionsPage>(p => p.Add(x => x.Env, "dev"));
        var connection = Render<ConnectionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Integration, "gh").Add(x => x.ConnectionId, "c"));
        var integration = Render<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));
        var create = Render<CreateIntegrationPage>(p => p.Add(x => x.Env, "dev"));
        var settings = Render<EnvironmentSettingsPage>(p => p.Add(x => x.Env, "dev"));

        foreach (var cut in new IRenderedComponent<Microsoft.AspNetCore.Components.IComponent>[] { connections, connection, integration, create, settings })
        {
            cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=error]")));
        }
    }
}
