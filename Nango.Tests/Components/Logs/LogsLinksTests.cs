using System.Text.Json.Nodes;
using Bunit;
using Nango.Core.Connections;
using Nango.Web.Components.Pages.Connections;
using Nango.Web.Components.Pages.Integrations;

namespace Nango.Tests.Components.Logs;

/// <summary>The pages that lead to the Logs page filtered to what they show.</summary>
[Trait("Category", "Integration")]
public sealed class LogsLinksTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    [Fact]
    public async Task A_connection_links_to_its_logs()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        await ImportConnectionAsync(env, new ImportConnection("gh", "conn/alice", new JsonObject { ["type"] = "API_KEY", ["apiKey"] = "secret" }));

        var cut = RenderPage<ConnectionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Integration, "gh").Add(x => x.ConnectionId, "conn/alice"));

        cut.WaitForAssertion(() => Assert.Equal(
            "/dashboard/dev/logs?integration=gh&connection=conn%2Falice",
            cut.Find("[data-testid=connection-logs]").GetAttribute("href")));
    }

    [Fact]
    public async Task An_integration_links_to_its_logs()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");

        var cut = RenderPage<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));

        cut.WaitForAssertion(() => Assert.Equal("/dashboard/dev/logs?integration=gh", cut.Find("[data-testid=integration-logs]").GetAttribute("href")));
    }
}
