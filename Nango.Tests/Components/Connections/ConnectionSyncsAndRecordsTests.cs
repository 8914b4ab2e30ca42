using System.Text.Json;
using System.Text.Json.Nodes;
using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Core.Records;
using Nango.Core.Syncs.Schedules;
using Nango.Web.Components.Pages.Connections;
using Npgsql;

namespace Nango.Tests.Components.Connections;

[Trait("Category", "Integration")]
public sealed class ConnectionSyncsAndRecordsTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private SyncControlService Control => Services.GetRequiredService<SyncControlService>();

    private RecordStore Records => Services.GetRequiredService<RecordStore>();

    /// <summary>A connection with the sync <c>issues</c> deployed (auto-started, so it has a schedule on the connection).</summary>
    private async Task<(EnvironmentContext Env, ConnectionDetails Connection)> ConnectionWithSyncAsync()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        var connection = await ImportConnectionAsync(env, new ImportConnection("gh", "conn-1", new JsonObject { ["type"] = "OAUTH2", ["access_token"] = "t" }));
        var schema = new JsonObject { ["definitions"] = new JsonObject { ["Issue"] = new JsonObject { ["type"] = "object" } } };
        var deployed = await Services.GetRequiredService<FunctionDeployService>().DeployAsync(env, new DeployRequest(
            [
                new FlowDefinition("issues", "gh", FunctionTypes.Sync, ["Issue"], "1.0.0", "every hour", true, false, [], "Fetches issues", [], null, "incremental",
                    [new FunctionEndpoint("GET", "/issues", null)], [], schema, [], new FunctionFiles("module.exports = 1;", "// issues")),
            ],
            [], DeployModes.All, Reconcile: true), Ct);
        Assert.Equal(DeployOutcome.Ok, deployed.Outcome);
        return (env, connection);
    }

    private IRenderedComponent<ConnectionPage> RenderTab(string tab)
    {
        Navigation.NavigateTo($"/dashboard/dev/connections/gh/conn-1?tab={tab}");
        return RenderPage<ConnectionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Integration, "gh").Add(x => x.ConnectionId, "conn-1"));
    }

    private async Task<string> StatusAsync(EnvironmentContext env) =>
        Assert.Single((await Control.StatusAsync(new SyncSelection(env, "gh", "conn-1", []), Ct)).Syncs).Status;

    [Fact]
    public async Task The_syncs_tab_lists_the_schedule_and_pause_then_resume_change_it()
    {
        var (env, _) = await ConnectionWithSyncAsync();

        var cut = RenderTab("syncs");

        cut.WaitForAssertion(() => Assert.Equal("issues", cut.Find("[data-testid=sync-row]").GetAttribute("data-sync")));
        // A started schedule that has not run yet: SUCCESS to the API, said plainly on the tab.
        Assert.Equal("NOT RUN YET", cut.Find("[data-testid=sync-status]").TextContent.Trim());
        Assert.Equal("every hour", cut.Find("[data-testid=sync-frequency]").TextContent.Trim());
        Assert.Equal("never", cut.Find("[data-testid=sync-last-run]").TextContent.Trim());

        await cut.Find("[data-testid=sync-pause]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal("PAUSED", cut.Find("[data-testid=sync-status]").TextContent.Trim()));
        Assert.Equal(SyncJobStatuses.Paused, await StatusAsync(env));

        await cut.Find("[data-testid=sync-resume]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal("NOT RUN YET", cut.Find("[data-testid=sync-status]").TextContent.Trim()));
        Assert.Equal(SyncJobStatuses.Success, await StatusAsync(env));
    }

    [Fact]
    public async Task A_running_sync_shows_its_counts_so_far_and_updates_them_while_it_runs()
    {
        var (env, connection) = await ConnectionWithSyncAsync();
        Assert.Equal(SyncControlOutcome.Ok, (await Control.TriggerAsync(new SyncSelection(env, "gh", "conn-1", []), full: false, emptyCache: false, Ct)).Outcome);
        var data = Services.GetRequiredService<NpgsqlDataSource>();
        // The run row as SyncRunService.StartAsync leaves it for the queued task, already flagged as stalled.
        await using (var insert = data.CreateCommand("""
            INSERT INTO sync_runs (task_id, environment_id, connection_id, schedule_id, sync_name, variant, sync_mode, models, started_at, last_progress_at, stalled_at)
            SELECT t.id, @e, @c, t.schedule_id, 'issues', 'base', 'incremental', '{"Issue": {"added": 3, "updated": 1, "deleted": 0, "unchanged": 0}}', now(), now(), now()
            FROM function_tasks t WHERE t.connection_id = @c AND t.kind = 'sync'
            """))
        {
            insert.Parameters.AddWithValue("e", env.EnvironmentId);
            insert.Parameters.AddWithValue("c", connection.Summary.Id);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync(Ct));
        }

        var cut = RenderTab("syncs");

        cut.WaitForAssertion(() => Assert.Equal("Issue: 3 added · 1 updated", cut.Find("[data-testid=progress-model]").TextContent.Trim()));
        Assert.Equal("RUNNING", cut.Find("[data-testid=sync-status]").TextContent.Trim());
        Assert.NotNull(cut.Find("[data-testid=sync-stalled]"));

        await using (var progress = data.CreateCommand("""UPDATE sync_runs SET models = '{"Issue": {"added": 250, "updated": 1, "deleted": 2, "unchanged": 0}}' WHERE connection_id = @c"""))
        {
            progress.Parameters.AddWithValue("c", connection.Summary.Id);
            await progress.ExecuteNonQueryAsync(Ct);
        }

        // No click: the tab polls while the sync runs.
        cut.WaitForAssertion(() => Assert.Equal("Issue: 250 added · 1 updated · 2 deleted", cut.Find("[data-testid=progress-model]").TextContent.Trim()), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task The_frequency_dialog_refuses_bad_text_then_overrides_and_reverts()
    {
        var (env, _) = await ConnectionWithSyncAsync();
        var (_, dialogs) = RenderProviders();
        Navigation.NavigateTo("/dashboard/dev/connections/gh/conn-1?tab=syncs");
        var cut = Render<ConnectionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Integration, "gh").Add(x => x.ConnectionId, "conn-1"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=sync-frequency-edit]")));

        await cut.ClickWithoutWaitingAsync("[data-testid=sync-frequency-edit]");
        await dialogs.WaitForElement("[data-testid=frequency-input] input").TypeAsync("every 10 seconds");
        await dialogs.Find("[data-testid=confirm-ok]").PressAsync();
        dialogs.WaitForAssertion(() => Assert.NotNull(dialogs.Find("[data-testid=frequency-dialog] .mud-input-error")));

        await dialogs.Find("[data-testid=frequency-input] input").TypeAsync("every 2 hours");
        await dialogs.Find("[data-testid=confirm-ok]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal("every 2 hours", cut.Find("[data-testid=sync-frequency]").TextContent.Trim()));
        Assert.Equal("every 2 hours", Assert.Single((await Control.StatusAsync(new SyncSelection(env, "gh", "conn-1", []), Ct)).Syncs).Frequency);

        await cut.ClickWithoutWaitingAsync("[data-testid=sync-frequency-edit]");
        await dialogs.WaitForElement("[data-testid=frequency-input] input").TypeAsync("");
        await dialogs.Find("[data-testid=confirm-ok]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal("every hour", cut.Find("[data-testid=sync-frequency]").TextContent.Trim()));
    }

    [Fact]
    public async Task The_records_tab_shows_models_with_counts_and_pages_with_next_and_previous()
    {
        var (env, connection) = await ConnectionWithSyncAsync();
        var issues = Enumerable.Range(1, 60)
            .Select(i => JsonSerializer.SerializeToElement(new { id = $"issue-{i:D3}", title = $"Issue {i}" }))
            .ToList();
        await Records.SaveAsync(env.EnvironmentId, connection.Summary.Id, "Issue", issues, new RecordWriteOptions { SyncName = "issues" }, Ct);
        await Records.SaveAsync(env.EnvironmentId, connection.Summary.Id, "Label", [JsonSerializer.SerializeToElement(new { id = "bug" })], new RecordWriteOptions(), Ct);

        var cut = RenderTab("records");

        cut.WaitForAssertion(() => Assert.Equal(RecordsTab.PageSize, cut.FindAll("[data-testid=record-id]").Count));
        Assert.Equal(["Issue", "Label"], cut.FindAll("[data-testid=record-model]").Select(c => c.GetAttribute("data-model")));
        Assert.Contains("60", cut.Find("[data-model=Issue]").TextContent, StringComparison.Ordinal);
        var firstPage = cut.FindAll("[data-testid=record-id]").Select(e => e.TextContent).ToList();
        Assert.All(cut.FindAll("[data-testid=record-action]"), chip => Assert.Equal("ADDED", chip.TextContent.Trim()));

        await cut.Find("[data-testid=records-next]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(10, cut.FindAll("[data-testid=record-id]").Count));
        var secondPage = cut.FindAll("[data-testid=record-id]").Select(e => e.TextContent).ToList();
        Assert.Empty(firstPage.Intersect(secondPage));
        Assert.Equal(issues.Select(i => i.GetProperty("id").GetString()).Order(StringComparer.Ordinal), firstPage.Concat(secondPage).Order(StringComparer.Ordinal));
        Assert.True(cut.Find("[data-testid=records-next]").HasAttribute("disabled"));

        await cut.Find("[data-testid=records-previous]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(firstPage, cut.FindAll("[data-testid=record-id]").Select(e => e.TextContent)));

        await cut.FindAll("[data-testid=record-id]")[0].PressAsync();
        cut.WaitForAssertion(() => Assert.Contains($"\"title\": \"Issue", cut.Find("[data-testid=record-json]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_records_filter_by_last_action_shows_only_deleted_records()
    {
        var (env, connection) = await ConnectionWithSyncAsync();
        var issues = Enumerable.Range(1, 5).Select(i => JsonSerializer.SerializeToElement(new { id = $"issue-{i}" })).ToList();
        await Records.SaveAsync(env.EnvironmentId, connection.Summary.Id, "Issue", issues, new RecordWriteOptions(), Ct);
        await Records.DeleteAsync(env.EnvironmentId, connection.Summary.Id, "Issue", [issues[1]], new RecordWriteOptions(), Ct);

        var (popovers, _) = RenderProviders();
        Navigation.NavigateTo("/dashboard/dev/connections/gh/conn-1?tab=records");
        var cut = Render<ConnectionPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Integration, "gh").Add(x => x.ConnectionId, "conn-1"));
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=record-id]").Count));

        await cut.Find("[data-testid=record-filter] div.mud-input-control").MouseDownAsync(new MouseEventArgs());
        popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.FindAll(".mud-list-item")));
        await popovers.FindAll(".mud-list-item").First(i => i.TextContent.Trim() == "Deleted").ClickAsync(new MouseEventArgs());

        cut.WaitForAssertion(() => Assert.Equal(["issue-2"], cut.FindAll("[data-testid=record-id]").Select(e => e.TextContent)));
        Assert.Equal("DELETED", cut.Find("[data-testid=record-action]").TextContent.Trim());
    }
}
