using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MudBlazor;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Tasks;
using Nango.Core.Logs;
using Nango.Web.Components.Pages.Functions;

namespace Nango.Tests.Components.Functions;

/// <summary>
/// The Run panel of an action's page, on the real ActionService over Postgres. No runner runs here: the test takes the
/// runner's part — it claims the task the panel queued and ends it the way the internal API does (log lines, result,
/// ending). The log writer and the cross-instance completion listener, both hosted services, are started for it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ActionRunPanelTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>, IAsyncLifetime
{
    private List<IHostedService> _started = [];

    private TaskStore Tasks => Services.GetRequiredService<TaskStore>();

    public async ValueTask InitializeAsync()
    {
        // Only these two: the dispatcher would start real runners, which have no internal API to call back here.
        _started = [.. Services.GetServices<IHostedService>().Where(s => s is TaskCompletions || s.GetType().Name == "LogFlusher")];
        Assert.Equal(2, _started.Count);
        foreach (var service in _started)
        {
            await service.StartAsync(Ct);
        }
    }

    public new async ValueTask DisposeAsync()
    {
        foreach (var service in _started)
        {
            await service.StopAsync(CancellationToken.None);
        }
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Runs_the_action_for_the_chosen_connection_and_shows_its_output_and_log_lines()
    {
        var env = await SetUpAsync("alice", "bob");
        var popovers = Render<MudPopoverProvider>();
        var cut = RenderPanelPage();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=run-button]")));

        await cut.Find("[data-testid=run-connection] div.mud-input-control").MouseDownAsync(new MouseEventArgs());
        popovers.WaitForAssertion(() => Assert.Equal(2, popovers.FindAll(".mud-list-item").Count));
        await popovers.FindAll(".mud-list-item").First(i => i.TextContent.Trim() == "bob").ClickAsync(new MouseEventArgs());
        await Input(cut).TypeAsync("""{ "title": "Hello" }""");
        var running = cut.Find("[data-testid=run-button]").PressAsync();

        var task = await ClaimAsync();
        var payload = JsonNode.Parse(task.Payload)!;
        Assert.Equal(("bob", "Hello"), ((string?)payload["connectionId"], (string?)payload["input"]!["title"]));
        Assert.Equal(env.EnvironmentId, task.EnvironmentId);
        cut.WaitForAssertion(() => Assert.Contains("Running", cut.Find("[data-testid=run-button]").TextContent, StringComparison.Ordinal));
        await ActAsRunnerAsync(env, task, output: new JsonObject { ["number"] = 7, ["url"] = "https://example.com/7" });
        await running;

        cut.WaitForAssertion(() => Assert.Contains("\"number\": 7", cut.Find("[data-testid=run-output]").TextContent, StringComparison.Ordinal));
        Assert.Equal("200 OK", cut.Find("[data-testid=run-status]").TextContent.Trim());
        cut.WaitForAssertion(() => Assert.Contains("creating Hello for bob", cut.Find("[data-testid=run-logs]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Equal($"/dashboard/dev/logs?operation={task.LogOperationId:D}", cut.Find("[data-testid=run-log-link]").GetAttribute("href"));
    }

    [Fact]
    public async Task Invalid_json_is_refused_before_anything_runs_and_an_action_error_is_shown_with_its_payload()
    {
        var env = await SetUpAsync("alice");
        var cut = RenderPanelPage();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=run-button]")));

        await Input(cut).TypeAsync("{ title: ");
        await cut.Find("[data-testid=run-button]").PressAsync();

        cut.WaitForAssertion(() => Assert.Contains("Not valid JSON", cut.Find("[data-testid=run-input]").TextContent, StringComparison.Ordinal));
        Assert.Empty(await Tasks.ClaimAsync(10, "test", Ct));

        await Input(cut).TypeAsync("""{ "title": "x" }""");
        var running = cut.Find("[data-testid=run-button]").PressAsync();
        var task = await ClaimAsync();
        await ActAsRunnerAsync(env, task, error: new JsonObject
        {
            ["type"] = "action_script_runtime_error", ["message"] = "no such repo", ["status"] = 500, ["payload"] = new JsonObject { ["repo"] = "x" },
        });
        await running;

        cut.WaitForAssertion(() => Assert.Contains("action_script_runtime_error: no such repo", cut.Find("[data-testid=run-error]").TextContent, StringComparison.Ordinal));
        Assert.Contains("\"repo\": \"x\"", cut.Find("[data-testid=run-error-payload]").TextContent, StringComparison.Ordinal);
        Assert.Equal("500 action_script_runtime_error", cut.Find("[data-testid=run-status]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=run-output]"));
    }

    [Fact]
    public async Task Without_a_connection_it_says_so_and_links_to_adding_one()
    {
        await SetUpAsync();

        var cut = RenderPanelPage();

        cut.WaitForAssertion(() => Assert.Contains("has no connection yet", cut.Find("[data-testid=run-no-connections]").TextContent, StringComparison.Ordinal));
        Assert.Equal("/dashboard/dev/connections?integration=gh", cut.Find("[data-testid=run-add-connection]").GetAttribute("href"));
        Assert.Empty(cut.FindAll("[data-testid=run-button]"));
    }

    [Fact]
    public async Task Syncs_have_no_run_panel()
    {
        await SetUpAsync("alice");

        var cut = RenderPage<FunctionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh").Add(x => x.Type, "sync").Add(x => x.Name, "issues"));

        cut.WaitForAssertion(() => Assert.Equal("issues", cut.Find("[data-testid=function-name]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=action-run]"));
    }

    private IRenderedComponent<FunctionPage> RenderPanelPage() =>
        Render<FunctionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh").Add(x => x.Type, "action").Add(x => x.Name, "create_issue"));

    private static IElement Input(IRenderedComponent<FunctionPage> cut) => cut.Find("[data-testid=run-input] textarea");

    /// <summary>A signed-in account with integration <c>gh</c>, these connections, a sync and the <c>create_issue</c> action.</summary>
    private async Task<EnvironmentContext> SetUpAsync(params string[] connections)
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        foreach (var id in connections)
        {
            await ImportConnectionAsync(env, new ImportConnection("gh", id, new JsonObject { ["type"] = "OAUTH2", ["access_token"] = "t-" + id }));
        }
        var schema = new JsonObject
        {
            ["definitions"] = new JsonObject
            {
                ["IssueInput"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["title"] = new JsonObject { ["type"] = "string" } } },
                ["Issue"] = new JsonObject { ["type"] = "object" },
            },
        };
        var result = await Services.GetRequiredService<FunctionDeployService>().DeployAsync(env, new DeployRequest(
            [
                new FlowDefinition("issues", "gh", FunctionTypes.Sync, ["Issue"], "1.0.0", "every hour", true, false, [], "Fetches issues", [], null, "full",
                    [new FunctionEndpoint("GET", "/issues", null)], [], schema, [], new FunctionFiles("module.exports = 1;", "// issues")),
                new FlowDefinition("create_issue", "gh", FunctionTypes.Action, ["Issue"], "1.0.0", null, false, false, [], "Creates an issue", [], "IssueInput", null,
                    [new FunctionEndpoint("POST", "/issues", null)], [], schema, [], new FunctionFiles("module.exports = 2;", "// create_issue")),
            ],
            [], DeployModes.All, Reconcile: true), Ct);
        Assert.Equal(DeployOutcome.Ok, result.Outcome);
        return env;
    }

    /// <summary>The task the panel queued, claimed as a dispatcher would.</summary>
    private async Task<FunctionTask> ClaimAsync()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (await Tasks.ClaimAsync(10, "test", Ct) is [var task])
            {
                return task;
            }
            await Task.Delay(25, Ct);
        }
        throw new InvalidOperationException("The panel queued no task.");
    }

    /// <summary>What the runner and the internal API do for a task: the script's log line, then its result and the ending.</summary>
    private async Task ActAsRunnerAsync(EnvironmentContext env, FunctionTask task, JsonNode? output = null, JsonObject? error = null)
    {
        var payload = JsonNode.Parse(task.Payload)!;
        Services.GetRequiredService<ILogService>().ContinueOperation(task.LogOperationId!.Value, env).Write(new LogEntry
        {
            Level = MessageLevels.Info,
            Message = $"creating {(string?)payload["input"]!["title"]} for {(string?)payload["connectionId"]}",
            Source = MessageSources.User,
        });
        Assert.True(error is null ? await Tasks.SucceedAsync(task.Id, output, Ct) : await Tasks.FailAsync(task.Id, error, Ct));
        await Services.GetRequiredService<TaskEndings>().AttemptEndedAsync(task, env, error, 12, Ct);
    }
}
