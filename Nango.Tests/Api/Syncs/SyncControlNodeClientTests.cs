using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Checkpoints;
using Nango.Core.Logs;
using Nango.Core.Records;
using Nango.Core.Syncs.Schedules;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Api.Syncs.Support;

namespace Nango.Tests.Api.Syncs;

/// <summary>
/// The sync control API through <c>@nangohq/node@0.71.10</c>: each call does what its documentation says to the
/// schedules and the task queue, <c>syncStatus</c> reports it by §1.8's rule, bad input gets Nango's envelope, and
/// each control call is an operation in Logs.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncControlNodeClientTests : IAsyncLifetime
{
    private readonly SyncFactory _web = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _web.InitializeAsync();

    public async ValueTask DisposeAsync() => await _web.DisposeAsync();

    [Fact]
    public async Task The_official_client_controls_schedules_and_reads_their_status()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        await client.ImportConnectionAsync("github", "conn-2");
        await client.DeploySyncsAsync(DeployBodies.Sync("fetchIssues"));
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        // A finished run with counts, a lastSyncDate and a checkpoint, as a sync run leaves them.
        await _web.Services.GetRequiredService<SyncScheduler>().TickAsync(Ct);
        await SyncDb.CompleteSyncTasksAsync(_web.ConnectionString);
        await SyncDb.ExecuteAsync(_web.ConnectionString, "UPDATE sync_schedules SET last_sync_date = now() - interval '1 hour'");
        var connectionIds = (await SyncDb.SchedulesAsync(_web.ConnectionString)).ToDictionary(s => s.Connection, s => s.Id);
        var conn1 = await ConnectionIdAsync("conn-1");
        await _web.Services.GetRequiredService<CheckpointStore>().SaveAsync(env.EnvironmentId, conn1, "fetchIssues", "base", new JsonObject { ["cursor"] = "page-7" }, Ct);
        // Three records stored, one of them deleted since: recordCount counts the two live ones.
        var records = _web.Services.GetRequiredService<RecordStore>();
        using var saved = JsonDocument.Parse("""[{"id":"1"},{"id":"2"},{"id":"3"}]""");
        await records.SaveAsync(env.EnvironmentId, conn1, "Item", [.. saved.RootElement.EnumerateArray()], new RecordWriteOptions(), Ct);
        await records.DeleteAsync(env.EnvironmentId, conn1, "Item", [saved.RootElement[2]], new RecordWriteOptions(), Ct);

        var run = await Infrastructure.NodeClient.RunAsync("syncs.mjs", _web.ServerUrl, _web.SecretKey, ct: Ct);

        // Status before: one schedule, its last run succeeded with counts, its checkpoint.
        var before = Single(run["statusBefore"]);
        Assert.Equal(connectionIds["conn-1"].ToString(), (string?)before["id"]);
        Assert.Equal("conn-1", (string?)before["connection_id"]);
        Assert.Equal("fetchIssues", (string?)before["name"]);
        Assert.Equal("base", (string?)before["variant"]);
        Assert.Equal("SUCCESS", (string?)before["status"]);
        Assert.Equal("SUCCESS", (string?)before["latestExecutionStatus"]);
        Assert.Equal("every hour", (string?)before["frequency"]);
        Assert.Equal(3, (int)before["latestResult"]!["Item"]!["added"]!);
        Assert.NotNull(before["finishedAt"]);
        Assert.NotNull(before["nextScheduledSyncAt"]);
        Assert.Equal("page-7", (string?)before["checkpoint"]!["cursor"]);
        Assert.Equal(2, (int)before["recordCount"]!["Item"]!);

        // Trigger: a run queued; triggering again while it waits queues nothing more; status RUNNING.
        Assert.True((bool)run["trigger"]!["data"]!["success"]!);
        Assert.True((bool)run["triggerAgain"]!["data"]!["success"]!);
        Assert.Equal("RUNNING", (string?)Single(run["statusRunning"])["status"]);
        Assert.True((bool)run["full"]!["data"]!["success"]!);
        Assert.True((bool)run["legacy"]!["data"]!["success"]!);

        // Pause → PAUSED with no next run; frequency override; start (every connection) → due again.
        Assert.True((bool)run["pause"]!["data"]!["success"]!);
        var paused = Single(run["statusPaused"]);
        Assert.Equal("RUNNING", (string?)paused["status"]); // the legacy full run still waits: a waiting run wins
        Assert.Null(paused["nextScheduledSyncAt"]);
        Assert.Equal("2 hours", (string?)run["frequency"]!["data"]!["frequency"]);
        Assert.True((bool)run["start"]!["data"]!["success"]!);
        var started = Single(run["statusStarted"]);
        Assert.Equal("every 2 hours", (string?)started["frequency"]);
        Assert.NotNull(started["nextScheduledSyncAt"]);
        Assert.Equal("every hour", (string?)run["revert"]!["data"]!["frequency"]);

        // Variants.
        var variant = run["variant"]!["data"]!;
        Assert.Equal("fetchIssues", (string?)variant["name"]);
        Assert.Equal("eu", (string?)variant["variant"]);
        var variantStatus = Single(run["variantStatus"]);
        Assert.Equal((string?)variant["id"], (string?)variantStatus["id"]);
        Assert.Equal("eu", (string?)variantStatus["variant"]);
        Assert.Equal("SUCCESS", (string?)variantStatus["status"]);
        Assert.True((bool)run["variantTrigger"]!["data"]!["success"]!);
        Assert.Equal("30m", (string?)run["variantFrequency"]!["data"]!["frequency"]);
        AssertError(run["variantAgain"], 400, "sync_variant_already_exists");
        Assert.True((bool)run["deleteVariant"]!["data"]!["success"]!);
        AssertError(run["deleteVariantAgain"], 404, "not_found");

        // Bad input: Nango's envelope, nothing changed.
        AssertError(run["unknownSync"], 400, "no_syncs_found");
        AssertError(run["unknownConnection"], 404, "unknown_connection");
        AssertError(run["unknownIntegration"], 400, "unknown_provider_config");
        Assert.Empty(run["unknownSyncStatus"]!["data"]!["syncs"]!.AsArray());
        AssertError(run["unknownConnectionStatus"], 404, "unknown_connection");
        AssertError(run["unknownSyncFrequency"], 400, "unknown_sync");
        AssertError(run["unknownConnectionFrequency"], 400, "unknown_connection");
        AssertError(run["tooShortFrequency"], 400, "invalid_body");
        Assert.Equal(["frequency"], AssertError(run["badFrequency"], 400, "invalid_body")["errors"]!.AsArray().Select(e => string.Join('.', e!["path"]!.AsArray())));
        AssertError(run["baseVariant"], 400, "invalid_variant");
        AssertError(run["invalidVariant"], 400, "invalid_uri_params");
        AssertError(run["unknownSyncVariant"], 400, "unknown_sync");

        // What the queue and the schedules hold now.
        var tasks = await SyncDb.SyncTasksAsync(_web.ConnectionString);
        var conn1Tasks = tasks.Where(t => t.ScheduleId == connectionIds["conn-1"]).ToList();
        Assert.Equal(
            [("SUCCEEDED", "incremental", false), ("CANCELLED", "incremental", false), ("CANCELLED", "full", true), ("CREATED", "full", false)],
            conn1Tasks.Select(t => (t.State, (string)t.Payload["syncMode"]!, (bool)t.Payload["emptyCache"]!)));
        var variantTasks = tasks.Where(t => (string?)t.Payload["variant"] == "eu").ToList();
        Assert.Equal(["eu"], variantTasks.Select(t => (string)t.Payload["variant"]!));
        var schedules = await SyncDb.SchedulesAsync(_web.ConnectionString);
        var baseSchedule = schedules.Single(s => s.Connection == "conn-1" && s.Variant == "base");
        Assert.Equal(("STARTED", 3600, (int?)null, (DateTimeOffset?)null), (baseSchedule.State, baseSchedule.FrequencySecs, baseSchedule.OverrideSecs, baseSchedule.LastSyncDate));
        Assert.Equal("DELETED", schedules.Single(s => s.Variant == "eu").State);
        // startSync without a connection started conn-2's schedule too (it was never paused: unchanged, still started).
        Assert.Equal("STARTED", schedules.Single(s => s.Connection == "conn-2").State);
        var after = Single(run["statusAfter"]);
        Assert.Null(after["checkpoint"]);
        Assert.Null(await _web.Services.GetRequiredService<CheckpointStore>().GetAsync(conn1, "fetchIssues", "base", Ct));

        // Each control call is one operation in Logs.
        foreach (var type in new[] { "sync:request_run", "sync:request_run_full", "sync:pause", "sync:unpause", "sync:update_frequency", "sync:create_variant", "sync:delete_variant" })
        {
            await WaitForOperationAsync(env, type);
        }
    }

    private async Task<int> ConnectionIdAsync(string connectionId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_web.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand("SELECT id FROM connections WHERE connection_id = @c", connection);
        command.Parameters.AddWithValue("c", connectionId);
        return (int)(await command.ExecuteScalarAsync(Ct))!;
    }

    private static JsonObject Single(JsonNode? result)
    {
        var syncs = result?["data"]?["syncs"]?.AsArray();
        Assert.True(syncs is { Count: 1 }, result?.ToJsonString());
        return syncs[0]!.AsObject();
    }

    private static JsonObject AssertError(JsonNode? result, int status, string code)
    {
        Assert.True(result?["status"] is not null && (int)result["status"]! == status && (string?)result["data"]?["error"]?["code"] == code,
            $"Expected {status} {code}, got {result?.ToJsonString()}");
        return result!["data"]!["error"]!.AsObject();
    }

    private async Task WaitForOperationAsync(Nango.Core.Environments.EnvironmentContext env, string type)
    {
        var query = _web.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var page = await query.SearchOperationsAsync(env, new LogOperationSearch { Types = [type] }, Ct);
            if (page.Items.Count > 0)
            {
                return;
            }
            // Log writes are batched; poll until this one is flushed.
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"No {type} operation was logged.");
    }
}
