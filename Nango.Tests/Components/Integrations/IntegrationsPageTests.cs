using System.Text.Json.Nodes;
using Bunit;
using Nango.Core.Connections;
using Nango.Web.Components.Pages.Integrations;

namespace Nango.Tests.Components.Integrations;

[Trait("Category", "Integration")]
public sealed class IntegrationsPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    [Fact]
    public async Task Lists_the_environments_integrations_with_their_connection_counts()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "github-main");
        await CreateIntegrationAsync(env, "slack", "slack-bot");
        await ImportConnectionAsync(env, new ImportConnection("github-main", "user-1", new JsonObject { ["type"] = "API_KEY", ["apiKey"] = "k" }));

        var cut = RenderPage<IntegrationsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=integration-row]").Count));
        var github = cut.FindAll("[data-testid=integration-row]").Single(r => r.TextContent.Contains("github-main", StringComparison.Ordinal));
        var cells = github.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToList();
        Assert.Contains("GitHub", cells[0], StringComparison.Ordinal);
        Assert.Equal("github", cells[2]);
        Assert.Equal("OAUTH2", cells[3]);
        Assert.Equal("1", cells[4]);
        Assert.Empty(cut.FindAll("[data-testid=empty]"));
    }

    [Fact]
    public async Task Shows_the_empty_state_with_a_way_to_add_one_when_there_are_none()
    {
        await SignInNewAccountAsync();

        var cut = RenderPage<IntegrationsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("No integrations yet", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=integration-row]"));
        Assert.EndsWith("/dashboard/dev/integrations/create", cut.Find("[data-testid=add-integration]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clicking_a_row_opens_the_integration_settings()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "github-main");
        var cut = RenderPage<IntegrationsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=integration-row]")));

        await cut.Find("[data-testid=integration-row]").PressAsync();

        Assert.EndsWith("/dashboard/dev/integrations/github-main", Navigation.Uri, StringComparison.Ordinal);
    }
}
