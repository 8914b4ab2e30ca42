using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Tasks;
using Nango.Core.Syncs.Schedules;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Api.Syncs.Support;

namespace Nango.Tests.Api.Syncs;

/// <summary>
/// Schedules follow what exists (a deploy, a new connection, a removed sync, a deleted connection), and the tick turns
/// due started schedules into sync tasks once, skipping a schedule whose previous run is still waiting or running.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncSchedulingTests : IAsyncLifetime
{
    private readonly SyncFactory _web = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _web.InitializeAsync();

    public async ValueTask DisposeAsync() => await _web.DisposeAsync();

    private SyncScheduler Scheduler => _web.Services.GetRequiredService<SyncScheduler>();

    [Fact]
    public async Task A_deploy_schedules_its_syncs_on_existing_connections_and_a_new_connection_gets_every_deployed_sync()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.CreateIntegrationAsync("other");
        await client.ImportConnectionAsync("github", "conn-1");
        await client.ImportConnectionAsync("other", "elsewhere");
        var manual = DeployBodies.Sync("manualSync");
        manual["auto_start"] = false;
        manual["runs"] = "every 30 minutes";
        await client.DeploySyncsAsync(DeployBodies.Sync("fetchIssues"), manual);

        var schedules = await SyncDb.SchedulesAsync(_web.ConnectionString);
        Assert.Equal(
            [("conn-1", "fetchIssues", "base", "STARTED", 3600), ("conn-1", "manualSync", "base", "PAUSED", 1800)],
            schedules.Select(s => (s.Connection, s.SyncName, s.Variant, s.State, s.FrequencySecs)));
        // Due at once (the initial run), on the whole-second grid.
        Assert.All(schedules, s =>
        {
            Assert.Equal(0, s.NextRunAt.Ticks % TimeSpan.TicksPerSecond);
            Assert.True(s.NextRunAt <= DateTimeOffset.UtcNow);
        });

        await client.ImportConnectionAsync("github", "conn-2");
        schedules = await SyncDb.SchedulesAsync(_web.ConnectionString);
        Assert.Equal(
            [("conn-1", "fetchIssues", "STARTED"), ("conn-1", "manualSync", "PAUSED"), ("conn-2", "fetchIssues", "STARTED"), ("conn-2", "manualSync", "PAUSED")],
            schedules.Select(s => (s.Connection, s.SyncName, s.State)));

        // Deploying again changes nothing that exists; a changed frequency applies to every connection.
        var hourly = DeployBodies.Sync("fetchIssues", version: "1.0.1");
        hourly["runs"] = "every 2 hours";
        await client.DeploySyncsAsync(hourly, manual);
        var after = await SyncDb.SchedulesAsync(_web.ConnectionString);
        Assert.Equal(schedules.Select(s => s.Id), after.Select(s => s.Id));
        Assert.Equal([7200, 1800, 7200, 1800], after.Select(s => s.FrequencySecs));
    }

    [Fact]
    public async Task Removing_a_sync_or_deleting_a_connection_or_its_integration_deletes_the_schedules()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        await client.ImportConnectionAsync("github", "conn-2");
        await client.DeploySyncsAsync(DeployBodies.Sync("fetchIssues"), DeployBodies.Sync("fetchPulls"));

        await client.DeploySyncsAsync(DeployBodies.Sync("fetchIssues"));
        var schedules = await SyncDb.SchedulesAsync(_web.ConnectionString);
        Assert.Equal(
            [("conn-1", "fetchIssues", "STARTED"), ("conn-1", "fetchPulls", "DELETED"), ("conn-2", "fetchIssues", "STARTED"), ("conn-2", "fetchPulls", "DELETED")],
            schedules.Select(s => (s.Connection, s.SyncName, s.State)));

        var deleted = await client.DeleteAsync("/connections/conn-1?provider_config_key=github", Ct);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        schedules = await SyncDb.SchedulesAsync(_web.ConnectionString);
        Assert.Equal(["DELETED", "DELETED", "STARTED", "DELETED"], schedules.Select(s => s.State));

        // A sync deployed again under the same name gets fresh schedules; the deleted rows stay as history.
        await client.DeploySyncsAsync(DeployBodies.Sync("fetchIssues"), DeployBodies.Sync("fetchPulls"));
        schedules = await SyncDb.SchedulesAsync(_web.ConnectionString);
        Assert.Equal([("conn-2", "fetchIssues", "STARTED"), ("conn-2", "fetchPulls", "STARTED")],
            schedules.Where(s => s.State != "DELETED").Select(s => (s.Connection, s.SyncName, s.State)));

        var integration = await client.DeleteAsync("/integrations/github", Ct);
        Assert.True(integration.IsSuccessStatusCode, await integration.Content.ReadAsStringAsync(Ct));
        Assert.All(await SyncDb.SchedulesAsync(_web.ConnectionString), s => Assert.Equal("DELETED", s.State));
    }

    [Fact]
    public async Task The_tick_enqueues_each_due_started_schedule_once_with_the_contract_payload()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        await client.ImportConnectionAsync("github", "conn-2");
        var paused = DeployBodies.Sync("manualSync");
        paused["auto_start"] = false;
        await client.DeploySyncsAsync(DeployBodies.Sync("fetchIssues", version: "2.3.4"), paused);

        var first = await Scheduler.TickAsync(Ct);
        var again = await Scheduler.TickAsync(Ct);

        Assert.Equal((2, 2), (first.Due, first.Enqueued));
        Assert.Equal((0, 0), (again.Due, again.Enqueued));
        var schedules = (await SyncDb.SchedulesAsync(_web.ConnectionString)).Where(s => s.SyncName == "fetchIssues").ToList();
        var tasks = await SyncDb.SyncTasksAsync(_web.ConnectionString);
        Assert.Equal(schedules.Select(s => (Guid?)s.Id).Order(), tasks.Select(t => t.ScheduleId).Order());
        var environment = await _web.GetEnvironmentAsync(_web.SecretKey);
        Assert.All(tasks, t =>
        {
            Assert.Equal("CREATED", t.State);
            Assert.Equal("fetchIssues", t.FunctionName);
            Assert.Equal($"sync:environment:{environment.EnvironmentId}", t.GroupKey);
            Assert.Equal(0, t.RetryMax);
            Assert.Equal(3600, t.CreatedToStartedSecs);
            string[] fields = ["integrationKey", "version", "provider", "connectionId", "environmentName", "syncName", "variant", "scheduleId", "syncMode", "emptyCache"];
            Assert.Equal(fields.Order(StringComparer.Ordinal), t.Payload.Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.Equal("github", (string?)t.Payload["integrationKey"]);
            Assert.Equal("2.3.4", (string?)t.Payload["version"]);
            Assert.Equal("github", (string?)t.Payload["provider"]);
            Assert.Equal("dev", (string?)t.Payload["environmentName"]);
            Assert.Equal("fetchIssues", (string?)t.Payload["syncName"]);
            Assert.Equal("base", (string?)t.Payload["variant"]);
            Assert.Equal(t.ScheduleId.ToString(), (string?)t.Payload["scheduleId"]);
            Assert.Equal("incremental", (string?)t.Payload["syncMode"]);
            Assert.False((bool)t.Payload["emptyCache"]!);
        });
        Assert.Equal(["conn-1", "conn-2"], tasks.Select(t => (string)t.Payload["connectionId"]!).Order(StringComparer.Ordinal));
        // The next run is one frequency after the one just enqueued.
        Assert.All(schedules, s => Assert.InRange(s.NextRunAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(58), TimeSpan.FromMinutes(60)));
    }

    /// <summary>Connection <c>conn-1</c> of <c>github</c> with <c>fetchIssues</c> deployed to run every 5 minutes.</summary>
    private async Task<HttpClient> ConnectionWithSyncEveryFiveMinutesAsync()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        var sync = DeployBodies.Sync("fetchIssues");
        sync["runs"] = "every 5 minutes";
        await client.DeploySyncsAsync(sync);
        return client;
    }

    [Fact]
    public async Task A_schedule_whose_run_is_still_going_is_skipped_and_missed_intervals_are_not_queued()
    {
        await ConnectionWithSyncEveryFiveMinutesAsync();
        Assert.Equal(1, (await Scheduler.TickAsync(Ct)).Enqueued);

        // Overdue by five and a half intervals while the first run is still waiting: skipped, and due again one slot on.
        await SyncDb.MakeDueAsync(_web.ConnectionString, TimeSpan.FromSeconds(5.5 * 300));
        var before = (await SyncDb.SchedulesAsync(_web.ConnectionString)).Single().NextRunAt;
        var skipped = await Scheduler.TickAsync(Ct);
        Assert.Equal((1, 0), (skipped.Due, skipped.Enqueued));
        var next = (await SyncDb.SchedulesAsync(_web.ConnectionString)).Single().NextRunAt;
        Assert.Equal(6 * 300, (next - before).TotalSeconds);
        Assert.True(next > DateTimeOffset.UtcNow);
        Assert.Single(await SyncDb.SyncTasksAsync(_web.ConnectionString));

        // Once it ended, the next due tick runs it again — once, however many intervals were missed.
        Assert.Equal(1, await SyncDb.CompleteSyncTasksAsync(_web.ConnectionString));
        await SyncDb.MakeDueAsync(_web.ConnectionString, TimeSpan.FromSeconds(10 * 300));
        Assert.Equal(1, (await Scheduler.TickAsync(Ct)).Enqueued);
        Assert.Equal(0, (await Scheduler.TickAsync(Ct)).Enqueued);
        Assert.Equal(["SUCCEEDED", "CREATED"], (await SyncDb.SyncTasksAsync(_web.ConnectionString)).Select(t => t.State));
    }

    [Fact]
    public async Task Ended_tasks_past_retention_are_removed_but_a_schedules_last_run_and_an_open_run_stay()
    {
        var client = await ConnectionWithSyncEveryFiveMinutesAsync();
        // Four runs: three ended (the last with its own counts), the fourth still waiting.
        for (var run = 0; run < 4; run++)
        {
            await SyncDb.MakeDueAsync(_web.ConnectionString, TimeSpan.FromSeconds(1));
            Assert.Equal(1, (await Scheduler.TickAsync(Ct)).Enqueued);
            if (run < 3)
            {
                await SyncDb.CompleteSyncTasksAsync(_web.ConnectionString,
                    run == 2 ? """{"models":{"Item":{"added":7,"updated":0,"deleted":0,"unchanged":0}}}""" : """{"models":{"Item":{"added":1,"updated":0,"deleted":0,"unchanged":0}}}""");
            }
        }
        var runs = (await SyncDb.SyncTasksAsync(_web.ConnectionString)).Select(t => t.Id).ToList();
        // The first run's sync run is closed; the second's is not yet (the expiry sweep closes it from its task).
        foreach (var (task, closed) in new[] { (runs[0], true), (runs[1], false) })
        {
            await SyncDb.ExecuteAsync(_web.ConnectionString, """
                INSERT INTO sync_runs (task_id, environment_id, connection_id, schedule_id, sync_name, variant, sync_mode, models, ended_at)
                SELECT id, environment_id, connection_id, schedule_id, function_name, 'base', 'incremental', '{}', CASE WHEN @closed THEN now() END
                FROM function_tasks WHERE id = @id
                """, ("id", task), ("closed", closed));
        }
        // Actions: one ended long ago, one ended today, one created long ago and not ended.
        var tasks = _web.Services.GetRequiredService<TaskStore>();
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        var oldAction = await tasks.CreateAsync(new NewTask(env.AccountId, env.EnvironmentId, 1, 1, TaskKinds.Action, "old", [], TaskTimeouts.SyncAction), Ct);
        var newAction = await tasks.CreateAsync(new NewTask(env.AccountId, env.EnvironmentId, 1, 1, TaskKinds.Action, "new", [], TaskTimeouts.SyncAction), Ct);
        await SyncDb.ExecuteAsync(_web.ConnectionString, "UPDATE function_tasks SET state = 'SUCCEEDED', ended_at = now() WHERE kind = 'action'");
        var waitingAction = await tasks.CreateAsync(new NewTask(env.AccountId, env.EnvironmentId, 1, 1, TaskKinds.Action, "waiting", [], TaskTimeouts.SyncAction), Ct);
        await SyncDb.ExecuteAsync(_web.ConnectionString, "UPDATE function_tasks SET created_at = created_at - interval '6 days' WHERE id <> @id", ("id", newAction.Id));

        Assert.Equal(2, await tasks.DeleteEndedAsync(DateTimeOffset.UtcNow.AddDays(-5), Ct));
        Assert.Equal(0, await tasks.DeleteEndedAsync(DateTimeOffset.UtcNow.AddDays(-5), Ct));

        // Gone: the superseded first run with its sync run, and the old action.
        Assert.Equal([runs[1], runs[2], runs[3]], (await SyncDb.SyncTasksAsync(_web.ConnectionString)).Select(t => t.Id));
        Assert.Null(await tasks.GetAsync(oldAction.Id, Ct));
        Assert.NotNull(await tasks.GetAsync(newAction.Id, Ct));
        Assert.NotNull(await tasks.GetAsync(waitingAction.Id, Ct));
        Assert.Equal(0, await SyncDb.ExecuteAsync(_web.ConnectionString, "UPDATE sync_runs SET variant = variant WHERE task_id = @id", ("id", runs[0])));
        Assert.Equal(1, await SyncDb.ExecuteAsync(_web.ConnectionString, "UPDATE sync_runs SET variant = variant WHERE task_id = @id", ("id", runs[1])));
        // The status still reports the last ended run, six days old.
        var status = await client.GetFromJsonAsync<JsonObject>("/sync/status?provider_config_key=github&syncs=fetchIssues&connection_id=conn-1", Ct);
        Assert.Equal(7, (int)status!["syncs"]![0]!["latestResult"]!["Item"]!["added"]!);

        // Once the second run's sync run is closed, it goes too; the last ended run stays while it is the last.
        await SyncDb.ExecuteAsync(_web.ConnectionString, "UPDATE sync_runs SET ended_at = now()");
        Assert.Equal(1, await tasks.DeleteEndedAsync(DateTimeOffset.UtcNow.AddDays(-5), Ct));
        Assert.Equal([runs[2], runs[3]], (await SyncDb.SyncTasksAsync(_web.ConnectionString)).Select(t => t.Id));
    }

    [Fact]
    public async Task A_disabled_sync_or_a_paused_schedule_does_not_run()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        await client.DeploySyncsAsync(DeployBodies.Sync("fetchIssues"), DeployBodies.Sync("fetchPulls"));
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        var functions = _web.Services.GetRequiredService<FunctionService>();
        var (_, pulls) = await functions.GetAsync(env, "github", "fetchPulls", FunctionTypes.Sync, Ct);
        Assert.Equal(FunctionChangeOutcome.Ok, await functions.SetEnabledAsync(env, pulls!.Id, enabled: false, Ct));
        await SyncDb.ExecuteAsync(_web.ConnectionString, "UPDATE sync_schedules SET state = 'PAUSED' WHERE sync_name = 'fetchIssues'");

        var tick = await Scheduler.TickAsync(Ct);

        Assert.Equal((1, 0), (tick.Due, tick.Enqueued));
        Assert.Empty(await SyncDb.SyncTasksAsync(_web.ConnectionString));

        // Enabled again, it runs at its next due time.
        Assert.Equal(FunctionChangeOutcome.Ok, await functions.SetEnabledAsync(env, pulls.Id, enabled: true, Ct));
        await SyncDb.MakeDueAsync(_web.ConnectionString, TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await Scheduler.TickAsync(Ct)).Enqueued);
        Assert.Equal(["fetchPulls"], (await SyncDb.SyncTasksAsync(_web.ConnectionString)).Select(t => t.FunctionName));
    }

    [Fact]
    public async Task A_deploy_with_a_frequency_that_names_no_usable_interval_is_refused()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        var sync = DeployBodies.Sync("fetchIssues");
        sync["runs"] = "every 10 seconds";

        var response = await client.DeployAsync(DeployBodies.Body([sync]));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains("flowConfigs.0.runs", error.IssuePaths());
        Assert.Empty(await SyncDb.SchedulesAsync(_web.ConnectionString));
    }
}
