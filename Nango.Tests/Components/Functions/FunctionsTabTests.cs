using System.Text.Json.Nodes;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Web.Components.Pages.Functions;
using Nango.Web.Components.Pages.Integrations;

namespace Nango.Tests.Components.Functions;

[Trait("Category", "Integration")]
public sealed class FunctionsTabTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private FunctionDeployService Deploys => Services.GetRequiredService<FunctionDeployService>();

    private FunctionService Functions => Services.GetRequiredService<FunctionService>();

    [Fact]
    public async Task An_integration_without_functions_shows_how_to_deploy()
    {
        await SignInNewAccountAsync();
        var env = await CurrentEnvironmentAsync();
        await CreateIntegrationAsync(env, "github", "gh");

        Navigation.NavigateTo("/dashboard/dev/integrations/gh?tab=functions");
        var cut = RenderPage<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));

        cut.WaitForAssertion(() => Assert.Contains("No functions deployed", cut.Find("[data-testid=functions-tab]").TextContent, StringComparison.Ordinal));
        Assert.Contains("nango deploy", cut.Find("[data-testid=deploy-hint]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lists_syncs_actions_and_on_event_scripts_with_versions_and_links()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        await DeployAsync(env, version: "1.2.0");

        Navigation.NavigateTo("/dashboard/dev/integrations/gh?tab=functions");
        var cut = RenderPage<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=functions-sync]")));
        Assert.Contains("every hour", cut.Find("[data-testid=functions-sync]").TextContent, StringComparison.Ordinal);
        Assert.Contains("POST /issues", cut.Find("[data-testid=functions-action]").TextContent, StringComparison.Ordinal);
        Assert.Contains("post-connection-creation", cut.Find("[data-testid=functions-on-event]").TextContent, StringComparison.Ordinal);
        Assert.Equal(["1.2.0", "1.2.0", "0.0.1"], cut.FindAll("[data-testid=function-version]").Select(e => e.TextContent));
        Assert.Equal(
            ["/dashboard/dev/integrations/gh/functions/sync/issues", "/dashboard/dev/integrations/gh/functions/action/create_issue", "/dashboard/dev/integrations/gh/functions/on-event/welcome"],
            cut.FindAll("[data-testid=function-link]").Select(a => a.GetAttribute("href")));
    }

    [Fact]
    public async Task The_switch_disables_and_enables_a_function()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        await DeployAsync(env);
        var cut = Render<FunctionsTab>(p => p.Add(x => x.Environment, env).Add(x => x.Env, "dev").Add(x => x.IntegrationKey, "gh"));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=function-enabled] input").Count));

        await cut.FindAll("[data-testid=function-enabled] input")[1].ToggleAsync(false);

        cut.WaitForAssertion(async () => Assert.False((await Functions.GetAsync(env, "gh", "create_issue", "action", Ct)).Function!.Enabled));
        Assert.True((await Functions.GetAsync(env, "gh", "issues", "sync", Ct)).Function!.Enabled);
        await cut.FindAll("[data-testid=function-enabled] input")[1].ToggleAsync(true);
        cut.WaitForAssertion(async () => Assert.True((await Functions.GetAsync(env, "gh", "create_issue", "action", Ct)).Function!.Enabled));
    }

    [Fact]
    public async Task The_function_page_shows_the_description_models_versions_and_highlighted_escaped_code()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        await DeployAsync(env, version: "1.0.0");
        await DeployAsync(env, version: "1.1.0");

        var cut = RenderPage<FunctionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh").Add(x => x.Type, "action").Add(x => x.Name, "create_issue"));

        cut.WaitForAssertion(() => Assert.Equal("create_issue", cut.Find("[data-testid=function-name]").TextContent));
        Assert.Equal("Creates an issue", cut.Find("[data-testid=function-description]").TextContent);
        Assert.Equal("v1.1.0", cut.Find("[data-testid=function-version]").TextContent.Trim());
        Assert.Contains("\"title\"", cut.Find("[data-testid=model-IssueInput]").TextContent, StringComparison.Ordinal);
        var code = cut.Find("[data-testid=function-code]");
        Assert.Contains("const tag = \"<script>\";", code.TextContent, StringComparison.Ordinal);
        Assert.Empty(code.QuerySelectorAll("script"));
        Assert.NotEmpty(code.QuerySelectorAll("span[style]"));
        Assert.Equal(2, cut.FindAll("[data-testid=function-versions] tbody tr").Count);
        Assert.EndsWith("/dashboard/dev/integrations/gh?tab=functions", cut.Find("[data-testid=back-to-functions]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_function_shows_not_found()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");

        var cut = RenderPage<FunctionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh").Add(x => x.Type, "action").Add(x => x.Name, "nothing"));

        cut.WaitForAssertion(() => Assert.Contains("Function not found", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }

    private async Task<EnvironmentContext> CurrentEnvironmentAsync() =>
        (await Services.GetRequiredService<Nango.Web.Components.Dashboard.DashboardSession>().ResolveEnvironmentAsync("dev", Ct))!;

    private async Task DeployAsync(EnvironmentContext env, string version = "1.0.0")
    {
        var schema = new JsonObject
        {
            ["definitions"] = new JsonObject
            {
                ["IssueInput"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["title"] = new JsonObject { ["type"] = "string" } } },
                ["Issue"] = new JsonObject { ["type"] = "object" },
            },
        };
        var ts = $"import {{ createAction }} from 'nango';\nconst tag = \"<script>\";\nexport default createAction({{ version: '{version}' }});\n";
        var result = await Deploys.DeployAsync(env, new DeployRequest(
            [
                new FlowDefinition("issues", "gh", FunctionTypes.Sync, ["Issue"], version, "every hour", true, false, [], "Fetches issues", [], null, "full",
                    [new FunctionEndpoint("GET", "/issues", null)], [], schema, [], new FunctionFiles("module.exports = 1;", "// issues")),
                new FlowDefinition("create_issue", "gh", FunctionTypes.Action, ["Issue"], version, null, false, false, [], "Creates an issue", [], "IssueInput", null,
                    [new FunctionEndpoint("POST", "/issues", null)], [], schema, [], new FunctionFiles("module.exports = 2;", ts)),
            ],
            [new OnEventScriptDefinition("gh", "welcome", FunctionEvents.PostConnectionCreation, new FunctionFiles("module.exports = 3;", "// welcome"))],
            DeployModes.All, Reconcile: true), Ct);
        Assert.Equal(DeployOutcome.Ok, result.Outcome);
    }
}
