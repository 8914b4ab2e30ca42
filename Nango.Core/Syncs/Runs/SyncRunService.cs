using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Tasks;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Records;
using Nango.Core.Webhooks;
using Nango.Runner.Protocol;
using Npgsql;

namespace Nango.Core.Syncs.Runs;

/// <summary>A record call of a sync that is refused; nothing of it was written.</summary>
public sealed class SyncRecordsException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}

/// <summary>
/// The life of one sync run around its runner: <see cref="StartAsync"/> before the task goes to a runner (log operation,
/// run row, full-resync clean-up), the record calls while it runs (each chunk stored and counted in one transaction and acknowledged
/// before the runner sends the next; the script builds the next one meanwhile), and <see cref="FinishAsync"/> once its task ended (schedule's <c>lastSyncDate</c>, one <c>sync</c>
/// webhook per model, the log operation's end with the counts).
/// </summary>
public sealed class SyncRunService(
    IDbContextFactory<NangoDbContext> contextFactory,
    NpgsqlDataSource dataSource,
    RecordStore records,
    TaskStore tasks,
    FunctionService functions,
    EnvironmentService environments,
    ILogService logs,
    WebhookPublisher publisher,
    IOptions<NangoOptions> options,
    ILogger<SyncRunService> logger)
{
    private static readonly string[] CountNames = ["added", "updated", "deleted", "unchanged"];

    /// <summary>Prepares a claimed sync task for its runner and answers what its <c>nango</c> object needs to know.</summary>
    public async Task<RunnerSync> StartAsync(EnvironmentContext env, FunctionTask task, JsonObject payload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(payload);
        var run = SyncTaskPayload.From(payload);
        var mode = task.Kind == TaskKinds.Webhook ? SyncModes.Webhook : run.SyncMode;
        var (_, sync) = await functions.GetAsync(env, run.IntegrationKey, task.FunctionName, FunctionTypes.Sync, ct);
        var models = sync?.Current.Models ?? [];

        if (payload["log"] is null)
        {
            var log = logs.StartOperation(OperationStart.For(LogOperationKinds.SyncRun, env) with
            {
                IntegrationId = task.IntegrationId,
                IntegrationKey = run.IntegrationKey,
                Provider = run.Provider,
                ConnectionId = task.ConnectionId,
                ConnectionName = run.ConnectionId,
                FunctionName = task.FunctionName,
                JobId = task.Id.ToString(),
                Meta = new JsonObject { ["variant"] = run.Variant, ["syncMode"] = run.SyncMode, ["version"] = run.Version },
            });
            log.Info($"Sync '{task.FunctionName}' ({run.SyncMode}{(run.Variant == SyncVariants.Base ? "" : ", variant " + run.Variant)}) started.");
            await tasks.SetLogAsync(task.Id, log.Id, log.CreatedAt, ct);
        }

        if (run.EmptyCache)
        {
            var deleted = await records.DeleteAllAsync(task.ConnectionId, models.Select(m => SyncVariants.StoredModel(m, run.Variant)).ToList(), ct);
            logger.LogInformation("Full resync of {Sync} emptied {Count} records", task.FunctionName, deleted);
        }

        var counts = new JsonObject();
        foreach (var model in models)
        {
            counts[model] = ZeroCounts();
        }
        DateTimeOffset? lastSyncDate = null;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            if (mode == SyncModes.Full)
            {
                // A full run starts deletion tracking afresh: a mark left by an earlier stopped run no longer applies.
                await using var clear = new NpgsqlCommand("DELETE FROM sync_delete_marks WHERE connection_id = @c AND sync_name = @s", connection);
                clear.Parameters.AddWithValue("c", task.ConnectionId);
                clear.Parameters.AddWithValue("s", task.FunctionName);
                await clear.ExecuteNonQueryAsync(ct);
            }
            else if (run.ScheduleId is { } scheduleId)
            {
                await using var read = new NpgsqlCommand("SELECT last_sync_date FROM sync_schedules WHERE id = @id", connection);
                read.Parameters.AddWithValue("id", scheduleId);
                lastSyncDate = await read.ExecuteScalarAsync(ct) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
            }
            await using var insert = new NpgsqlCommand("""
                INSERT INTO sync_runs (task_id, environment_id, connection_id, schedule_id, sync_name, variant, sync_mode, models)
                VALUES (@t, @e, @c, @sch, @s, @v, @m, @models::jsonb)
                ON CONFLICT (task_id) DO NOTHING
                """, connection);
            insert.Parameters.AddWithValue("t", task.Id);
            insert.Parameters.AddWithValue("e", task.EnvironmentId);
            insert.Parameters.AddWithValue("c", task.ConnectionId);
            insert.Parameters.AddWithValue("sch", (object?)run.ScheduleId ?? DBNull.Value);
            insert.Parameters.AddWithValue("s", task.FunctionName);
            insert.Parameters.AddWithValue("v", run.Variant);
            insert.Parameters.AddWithValue("m", mode);
            insert.Parameters.AddWithValue("models", counts.ToJsonString());
            await insert.ExecuteNonQueryAsync(ct);
        }
        return new RunnerSync { Variant = run.Variant, SyncMode = run.SyncMode, LastSyncDate = lastSyncDate };
    }

    /// <summary>One chunk of <c>batchSave</c>/<c>batchUpdate</c>/<c>batchDelete</c>: stored and counted in one transaction.</summary>
    public async Task<RunnerRecordsResult> WriteAsync(FunctionTask task, JsonObject payload, RunnerRecordsRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(request);
        var run = SyncTaskPayload.From(payload);
        if (!RunnerRecordActions.IsKnown(request.Action))
        {
            throw new SyncRecordsException(400, "invalid_records_action", $"Unknown records action '{request.Action}'.");
        }
        if (string.IsNullOrWhiteSpace(request.Model) || request.Model.Length > 255)
        {
            throw new SyncRecordsException(400, "invalid_model", "A model name of 1 to 255 characters is required.");
        }
        if (request.Records.ValueKind != JsonValueKind.Array)
        {
            throw new SyncRecordsException(400, "invalid_records", "Records must be an array.");
        }
        var batch = request.Records.EnumerateArray().ToList();
        if (batch.Count > RunnerRecordsRequest.MaxRecords)
        {
            throw new SyncRecordsException(400, "too_many_records", $"At most {RunnerRecordsRequest.MaxRecords} records per call.");
        }
        var model = SyncVariants.StoredModel(request.Model, run.Variant);
        // The run's deletion-tracking mark and its counts are read and written in the chunk's own transaction.
        var writeOptions = new RecordWriteOptions
        {
            SyncName = task.FunctionName,
            Run = new RecordWriteRun(task.Id, task.FunctionName, request.Model),
            Strategy = request.MergingStrategy == "ignore_if_modified_after" ? MergingStrategy.IgnoreIfModifiedAfter : MergingStrategy.Override,
            ModifiedAfter = request.MergingStrategy == "ignore_if_modified_after" ? task.StartedAt : null,
        };
        if (request.Action == RunnerRecordActions.SaveKeys)
        {
            var keys = await records.SaveUnchangedAsync(task.ConnectionId, model, batch.Select(RecordKeyOf).ToList(), writeOptions, ct, request.Generation);
            return new RunnerRecordsResult(0, 0, keys.Counts.Unchanged, 0, keys.Send) { GenerationBefore = keys.Generation, Generation = keys.Generation };
        }
        RecordWriteResult result;
        try
        {
            result = request.Action switch
            {
                RunnerRecordActions.Save => await records.SaveAsync(task.EnvironmentId, task.ConnectionId, model, batch, writeOptions, ct),
                RunnerRecordActions.Update => await records.UpdateAsync(task.EnvironmentId, task.ConnectionId, model, batch, writeOptions, ct),
                _ => await records.DeleteAsync(task.EnvironmentId, task.ConnectionId, model, batch, writeOptions, ct),
            };
        }
        catch (RecordValidationException e)
        {
            throw new SyncRecordsException(400, e.Code, e.Message);
        }
        return new RunnerRecordsResult(result.Added, result.Updated, result.Unchanged, result.Deleted)
        {
            GenerationBefore = result.Generation?.Before,
            Generation = result.Generation?.After,
        };
    }

    /// <summary>One key of a <see cref="RunnerRecordActions.SaveKeys"/> call: <c>{"id": string, "hash": base64, "size": int}</c>.</summary>
    private static RecordKey RecordKeyOf(JsonElement key)
    {
        try
        {
            if (key.ValueKind == JsonValueKind.Object
                && key.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String
                && key.TryGetProperty("hash"u8, out var hash) && hash.ValueKind == JsonValueKind.String
                && key.TryGetProperty("size"u8, out var size) && size.TryGetInt32(out var bytes))
            {
                return new RecordKey(id.GetString()!, hash.GetBytesFromBase64(), bytes);
            }
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            // Not base64, or not valid text: refused below.
        }
        throw new SyncRecordsException(400, "invalid_records", "Each key of a saveKeys call is {\"id\": string, \"hash\": base64, \"size\": integer}.");
    }

    /// <summary><c>trackDeletesStart</c> (keeps an older mark of a run that stopped early) and <c>trackDeletesEnd</c>.</summary>
    public async Task<IReadOnlyList<string>> TrackDeletesAsync(FunctionTask task, JsonObject payload, RunnerTrackDeletesRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(request);
        var model = SyncVariants.StoredModel(request.Model, SyncTaskPayload.From(payload).Variant);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (request.Phase == "start")
        {
            await using var start = new NpgsqlCommand("""
                INSERT INTO sync_delete_marks (connection_id, sync_name, model) VALUES (@c, @s, @m)
                ON CONFLICT (connection_id, sync_name, model) DO NOTHING
                """, connection);
            start.Parameters.AddWithValue("c", task.ConnectionId);
            start.Parameters.AddWithValue("s", task.FunctionName);
            start.Parameters.AddWithValue("m", model);
            await start.ExecuteNonQueryAsync(ct);
            return [];
        }
        if (request.Phase != "end")
        {
            throw new SyncRecordsException(400, "invalid_phase", "The phase is 'start' or 'end'.");
        }
        var since = await records.FindDeleteMarkAsync(task.ConnectionId, task.FunctionName, model, ct)
            ?? throw new SyncRecordsException(400, "track_deletes_not_started", $"trackDeletesEnd('{request.Model}') was called without trackDeletesStart('{request.Model}') in this run.");
        var deleted = await records.DeleteUnseenAsync(task.ConnectionId, model, since, ct);
        await using (var end = new NpgsqlCommand("DELETE FROM sync_delete_marks WHERE connection_id = @c AND sync_name = @s AND model = @m", connection))
        {
            end.Parameters.AddWithValue("c", task.ConnectionId);
            end.Parameters.AddWithValue("s", task.FunctionName);
            end.Parameters.AddWithValue("m", model);
            await end.ExecuteNonQueryAsync(ct);
        }
        await records.AddToRunAsync(new RecordWriteRun(task.Id, task.FunctionName, request.Model), new RecordWriteResult(0, 0, 0, deleted.Count), ct);
        return deleted;
    }

    /// <summary>What the run wrote, as its task's output: <c>{"models": {"Model": {added, updated, deleted, unchanged}}}</c>.</summary>
    public async Task<JsonObject> SummaryAsync(Guid taskId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var read = new NpgsqlCommand("SELECT models::text FROM sync_runs WHERE task_id = @t", connection);
        read.Parameters.AddWithValue("t", taskId);
        var models = await read.ExecuteScalarAsync(ct) is string text ? JsonNode.Parse(text) as JsonObject : null;
        return new JsonObject { ["models"] = models ?? [] };
    }

    /// <summary>
    /// The runs of one connection still going (<c>ended_at IS NULL</c>), with what each has written so far per model, for
    /// the dashboard's live progress. The log operation is the run's task's, so a run can link to its log.
    /// </summary>
    public async Task<IReadOnlyList<SyncRunProgress>> GetRunningProgressAsync(int connectionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var read = new NpgsqlCommand("""
            SELECT r.task_id, r.schedule_id, r.sync_name, r.variant, r.sync_mode, r.models::text, r.started_at, r.last_progress_at, r.stalled_at, t.log_operation_id
            FROM sync_runs r LEFT JOIN function_tasks t ON t.id = r.task_id
            WHERE r.connection_id = @c AND r.ended_at IS NULL
            ORDER BY r.started_at
            """, connection);
        read.Parameters.AddWithValue("c", connectionId);
        var runs = new List<SyncRunProgress>();
        await using var reader = await read.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            runs.Add(new SyncRunProgress(
                reader.GetGuid(0),
                reader.IsDBNull(1) ? null : reader.GetGuid(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                JsonNode.Parse(reader.GetString(5)) as JsonObject ?? [],
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetGuid(9)));
        }
        return runs;
    }

    /// <summary>
    /// Closes the runs whose task ended without <see cref="FinishAsync"/> being called for it: expired (a Nango.Web or
    /// runner that died), failed at dispatch, lost with its runner. Called by the expiry sweep.
    /// </summary>
    public async Task<int> FinishEndedAsync(CancellationToken ct)
    {
        var ended = new List<Guid>();
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await using var find = new NpgsqlCommand("""
                SELECT r.task_id FROM sync_runs r JOIN function_tasks t ON t.id = r.task_id
                WHERE r.ended_at IS NULL AND t.state IN ('SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')
                LIMIT 100
                """, connection);
            await using var reader = await find.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                ended.Add(reader.GetGuid(0));
            }
        }
        var finished = 0;
        foreach (var id in ended)
        {
            finished += await FinishAsync(id, ct) ? 1 : 0;
        }
        return finished;
    }

    /// <summary>
    /// After the task's end was stored: the run row closed (once, whichever instance gets there first), on success the
    /// schedule's <c>lastSyncDate</c> moved to this run's start, one <c>sync</c> webhook per model (success with its
    /// counts, or the failure), the log operation ended.
    /// </summary>
    public async Task<bool> FinishAsync(Guid taskId, CancellationToken ct)
    {
        var task = await tasks.GetAsync(taskId, ct);
        if (task is null || !TaskStates.IsTerminal(task.State) || await environments.FindByIdAsync(task.EnvironmentId, ct) is not { } env)
        {
            return false;
        }
        var payload = JsonNode.Parse(task.Payload) as JsonObject ?? [];
        var error = task.State == TaskStates.Succeeded ? null
            : JsonNode.Parse(task.Error ?? "null") as JsonObject ?? new JsonObject { ["type"] = "sync_" + task.State.ToLowerInvariant(), ["message"] = $"The sync run ended {task.State.ToLowerInvariant()}." };
        var run = SyncTaskPayload.From(payload);
        DateTimeOffset? previousSyncDate = null;
        JsonObject summary;
        string mode;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await using (var end = new NpgsqlCommand("UPDATE sync_runs SET ended_at = now() WHERE task_id = @t AND ended_at IS NULL RETURNING models::text, sync_mode", connection))
            {
                end.Parameters.AddWithValue("t", task.Id);
                await using var ended = await end.ExecuteReaderAsync(ct);
                if (!await ended.ReadAsync(ct))
                {
                    return false;
                }
                summary = JsonNode.Parse(ended.GetString(0)) as JsonObject ?? [];
                mode = ended.GetString(1);
            }
            if (run.ScheduleId is { } scheduleId)
            {
                await using var read = new NpgsqlCommand("SELECT last_sync_date FROM sync_schedules WHERE id = @id", connection);
                read.Parameters.AddWithValue("id", scheduleId);
                previousSyncDate = await read.ExecuteScalarAsync(ct) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
                if (error is null)
                {
                    await using var moved = new NpgsqlCommand("UPDATE sync_schedules SET last_sync_date = @at, updated_at = now() WHERE id = @id", connection);
                    moved.Parameters.AddWithValue("at", task.StartedAt ?? task.CreatedAt);
                    moved.Parameters.AddWithValue("id", scheduleId);
                    await moved.ExecuteNonQueryAsync(ct);
                }
            }
        }

        var startedAt = task.StartedAt ?? task.CreatedAt;
        var syncType = mode == SyncModes.Webhook ? "WEBHOOK" : previousSyncDate is null || mode == SyncModes.Full ? "INITIAL" : "INCREMENTAL";
        var what = mode == SyncModes.Webhook ? "webhook handler" : "sync";
        await using (var db = await contextFactory.CreateDbContextAsync(ct))
        {
            var connection = await db.Connections.AsNoTracking().SingleOrDefaultAsync(c => c.Id == task.ConnectionId, ct);
            if (connection is not null)
            {
                foreach (var (model, node) in summary)
                {
                    var e = new SyncWebhookEvent(run.ConnectionId, run.IntegrationKey, task.FunctionName, run.Variant, model, syncType);
                    if (error is null)
                    {
                        var counts = new SyncResultCounts(Count(node, "added"), Count(node, "updated"), Count(node, "deleted"));
                        var body = WebhookPayloads.SyncSuccess(e, counts, startedAt);
                        await publisher.PublishAsync(db, new WebhookMessage(task.EnvironmentId, WebhookTopic.SyncSuccess, body, connection,
                            HasChanges: counts.Added + counts.Updated + counts.Deleted > 0), ct);
                    }
                    else
                    {
                        var webhookError = new WebhookError(error["type"]?.GetValue<string>() ?? "sync_failed", error["message"]?.GetValue<string>() ?? "The sync failed.", error["payload"]?.DeepClone());
                        var body = WebhookPayloads.SyncFailure(e, webhookError, startedAt, DateTimeOffset.UtcNow);
                        await publisher.PublishAsync(db, new WebhookMessage(task.EnvironmentId, WebhookTopic.SyncError, body, connection), ct);
                    }
                }
                await db.SaveChangesAsync(ct);
            }
        }

        if (TaskEndings.LogOf(payload) is var (logId, createdAt))
        {
            var log = logs.ResumeOperation(logId, createdAt, env);
            var counts = string.Join(", ", summary.Select(m => $"{m.Key}: {Count(m.Value, "added")} added, {Count(m.Value, "updated")} updated, {Count(m.Value, "deleted")} deleted, {Count(m.Value, "unchanged")} unchanged"));
            if (error is null)
            {
                log.Info($"The {what} succeeded. {(counts.Length == 0 ? "No models." : counts)}", new JsonObject { ["results"] = summary.DeepClone() });
                log.Succeed();
            }
            else
            {
                var logError = new LogError(error["type"]?.GetValue<string>() ?? "sync_failed", error["message"]?.GetValue<string>() ?? "", Payload: error["payload"]?.DeepClone());
                log.Error($"The {what} failed: {logError.Message}{(counts.Length == 0 ? "" : ". Written before it failed: " + counts)}", logError);
                log.Fail(logError);
            }
        }
        return true;
    }

    /// <summary>Flags running syncs without progress for <c>Nango:Syncs:StallAfter</c>; answers the newly flagged runs.</summary>
    public async Task<IReadOnlyList<Guid>> FlagStalledAsync(CancellationToken ct)
    {
        var stalled = new List<Guid>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var flag = new NpgsqlCommand("""
            UPDATE sync_runs SET stalled_at = now()
            WHERE ended_at IS NULL AND stalled_at IS NULL AND last_progress_at < now() - @after
            RETURNING task_id
            """, connection);
        flag.Parameters.AddWithValue("after", options.Value.Syncs.StallAfter);
        await using var reader = await flag.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            stalled.Add(reader.GetGuid(0));
        }
        await reader.DisposeAsync();
        foreach (var id in stalled)
        {
            if (await tasks.GetAsync(id, ct) is { LogOperationId: { } logId } task && await environments.FindByIdAsync(task.EnvironmentId, ct) is { } env)
            {
                logs.ContinueOperation(logId, env).Warn(
                    $"The sync has written no records and saved no checkpoint for {Duration(options.Value.Syncs.StallAfter)}: it may be stuck (waiting on the provider, or looping).");
            }
        }
        return stalled;
    }

    /// <summary>
    /// A runner has the run now: the stall clock starts here, not when the task was claimed, so the time a runner process
    /// takes to start (seconds on a loaded machine) is never counted as the script making no progress.
    /// </summary>
    public Task RunnerStartedAsync(Guid taskId, CancellationToken ct) => ProgressAsync(taskId, ct);

    /// <summary>The run moved on without writing records (a checkpoint was saved): not stalled.</summary>
    public async Task ProgressAsync(Guid taskId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE sync_runs SET last_progress_at = now() WHERE task_id = @t");
        command.Parameters.AddWithValue("t", taskId);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static JsonObject ZeroCounts()
    {
        var counts = new JsonObject();
        foreach (var name in CountNames)
        {
            counts[name] = 0;
        }
        return counts;
    }

    /// <summary>"30 minutes", "1.5 hours", "5 seconds": StallAfter may be set to anything.</summary>
    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#} hours" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} minutes" : $"{span.TotalSeconds:0.#} seconds";

    private static int Count(JsonNode? counts, string name) => counts?[name]?.GetValue<int>() ?? 0;
}

/// <summary>The fields of a sync task's payload (written by the scheduler and the sync control API).</summary>
/// <summary>A sync run still going: its per-model counts so far (<c>{"Model": {added, updated, deleted, unchanged}}</c>).</summary>
public sealed record SyncRunProgress(
    Guid TaskId,
    Guid? ScheduleId,
    string SyncName,
    string Variant,
    string SyncMode,
    JsonObject Models,
    DateTimeOffset StartedAt,
    DateTimeOffset LastProgressAt,
    DateTimeOffset? StalledAt,
    Guid? LogOperationId);

public sealed record SyncTaskPayload(
    string IntegrationKey,
    string ConnectionId,
    string? Provider,
    string Version,
    string Variant,
    string SyncMode,
    bool EmptyCache,
    Guid? ScheduleId)
{
    public static SyncTaskPayload From(JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return new SyncTaskPayload(
            Text(payload, "integrationKey") ?? "",
            Text(payload, "connectionId") ?? "",
            Text(payload, "provider"),
            Text(payload, "version") ?? "",
            Text(payload, "variant") is { Length: > 0 } variant ? variant : SyncVariants.Base,
            Text(payload, "syncMode") == SyncModes.Full ? SyncModes.Full : SyncModes.Incremental,
            payload["emptyCache"] is JsonValue empty && empty.TryGetValue<bool>(out var flag) && flag,
            Guid.TryParse(Text(payload, "scheduleId"), out var id) ? id : null);
    }

    private static string? Text(JsonObject payload, string name) =>
        payload[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
