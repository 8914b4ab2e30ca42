using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Functions.Checkpoints;
using Nango.Core.Functions.Deploy;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Records;
using Nango.Core.Syncs.Runs;
using Npgsql;

namespace Nango.Core.Syncs.Schedules;

/// <summary>
/// The sync control API (reference §1.8): trigger (incremental, or full with reset and optionally an emptied cache),
/// pause, start, status, the per-connection frequency override and variants. Every call that changes something writes
/// one log operation (<c>sync:*</c>) naming the integration, and the connection and sync when the call names one.
/// </summary>
public sealed class SyncControlService(
    IDbContextFactory<NangoDbContext> contextFactory,
    NpgsqlDataSource dataSource,
    SyncScheduler scheduler,
    CheckpointStore checkpoints,
    RecordStore records,
    ILogService logs)
{
    /// <summary>
    /// Runs the selected syncs now. Incremental: a schedule with a run waiting or going keeps that run. Full: that run
    /// is cancelled, <c>lastSyncDate</c> and the sync's checkpoint are cleared and a full run is queued, in one
    /// transaction holding the schedules' rows, so the tick cannot slip an incremental run in between.
    /// </summary>
    public async Task<SyncControlResult> TriggerAsync(SyncSelection selection, bool full, bool emptyCache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var kind = full ? LogOperationKinds.SyncRequestRunFull : LogOperationKinds.SyncRequestRun;
        var (failure, scope, schedules) = await SelectAsync(selection, kind, ct);
        if (failure is not null)
        {
            return failure;
        }
        var log = StartLog(kind, selection, scope!, schedules);
        var ids = schedules.Select(s => s.Id).ToArray();
        int enqueued;
        if (!full)
        {
            enqueued = await scheduler.EnqueueNowAsync(ids, SyncModes.Incremental, emptyCache: false, ct);
        }
        else
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await using (var command = new NpgsqlCommand("""
                SELECT id FROM sync_schedules WHERE id = ANY(@ids) ORDER BY id FOR UPDATE;
                WITH cancelled AS (
                    UPDATE function_tasks
                    SET state = 'CANCELLED', ended_at = now(), last_state_transition_at = now(),
                        error = jsonb_build_object('type', 'sync_cancelled', 'message', 'Cancelled by a full resync')
                    WHERE schedule_id = ANY(@ids) AND kind = 'sync' AND state IN ('CREATED', 'STARTED')
                    RETURNING id)
                SELECT pg_notify('nango_task_done', id::text) FROM cancelled;
                UPDATE sync_schedules SET last_sync_date = NULL, updated_at = now() WHERE id = ANY(@ids);
                DELETE FROM function_checkpoints c USING sync_schedules s
                WHERE s.id = ANY(@ids) AND c.connection_id = s.connection_id AND c.function_name = s.sync_name AND c.variant = s.variant;
                """, connection, transaction))
            {
                // The cancel is TaskStore's CancelAsync done in this transaction: same state change, same done signal.
                command.Parameters.AddWithValue("ids", ids);
                await command.ExecuteNonQueryAsync(ct);
            }
            enqueued = await scheduler.EnqueueNowAsync(connection, transaction, ids, SyncModes.Full, emptyCache, ct);
            await transaction.CommitAsync(ct);
        }
        log.Info(full
                ? $"Full resync requested{(emptyCache ? " with an emptied cache" : "")}: {enqueued} run{Plural(enqueued)} queued for {Describe(schedules)}"
                : $"Run requested: {enqueued} run{Plural(enqueued)} queued for {Describe(schedules)}{(enqueued < schedules.Count ? $" ({schedules.Count - enqueued} already waiting or running, or disabled)" : "")}",
            new JsonObject { ["syncs"] = Names(schedules), ["full"] = full, ["emptyCache"] = emptyCache });
        log.Succeed();
        return SyncControlResult.Ok;
    }

    /// <summary>Pauses the selected schedules; a run already going finishes.</summary>
    public async Task<SyncControlResult> PauseAsync(SyncSelection selection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var (failure, scope, schedules) = await SelectAsync(selection, LogOperationKinds.SyncPause, ct);
        if (failure is not null)
        {
            return failure;
        }
        var log = StartLog(LogOperationKinds.SyncPause, selection, scope!, schedules);
        var ids = schedules.Select(s => s.Id).ToArray();
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var changed = await db.Database.ExecuteSqlAsync($"UPDATE sync_schedules SET state = 'PAUSED', updated_at = now() WHERE id = ANY({ids}) AND state = 'STARTED'", ct);
        log.Info($"Paused {Describe(schedules)} ({changed} were running on a schedule)", new JsonObject { ["syncs"] = Names(schedules) });
        log.Succeed();
        return SyncControlResult.Ok;
    }

    /// <summary>Starts (unpauses) the selected schedules; each runs at the next tick, then at its frequency.</summary>
    public async Task<SyncControlResult> StartAsync(SyncSelection selection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(selection);
        var (failure, scope, schedules) = await SelectAsync(selection, LogOperationKinds.SyncUnpause, ct);
        if (failure is not null)
        {
            return failure;
        }
        var log = StartLog(LogOperationKinds.SyncUnpause, selection, scope!, schedules);
        var ids = schedules.Select(s => s.Id).ToArray();
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var changed = await db.Database.ExecuteSqlAsync($"""
            UPDATE sync_schedules SET state = 'STARTED', next_run_at = date_trunc('second', now()), updated_at = now()
            WHERE id = ANY({ids}) AND state = 'PAUSED'
            """, ct);
        log.Info($"Started {Describe(schedules)} ({changed} were paused)", new JsonObject { ["syncs"] = Names(schedules) });
        log.Succeed();
        return SyncControlResult.Ok;
    }

    /// <summary>
    /// <c>GET /sync/status</c>. Status rule (§1.8): a run waiting or going → RUNNING; else a paused schedule → PAUSED;
    /// a started one → ERROR when its last run failed, expired or was cancelled, else SUCCESS. <c>latestResult</c> is the
    /// <c>models</c> of the last ended run's output. Unknown sync names are left out, as Nango does.
    /// </summary>
    public async Task<SyncStatusResult> StatusAsync(SyncSelection selection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(selection);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, scope) = await ResolveAsync(db, selection, ct);
        if (outcome != SyncControlOutcome.Ok)
        {
            return new SyncStatusResult(outcome, []);
        }
        var rows = await (
            from s in Scoped(db, scope!, selection.Syncs)
            join c in db.Connections.AsNoTracking() on s.ConnectionId equals c.Id
            join f in db.Set<DeployedFunction>().AsNoTracking() on s.FunctionId equals f.Id
            join v in db.Set<FunctionVersion>().AsNoTracking() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
            orderby c.ConnectionId, s.SyncName, s.Variant
            select new { Schedule = s, ConnectionName = c.ConnectionId, v.Runs, v.Models }).ToListAsync(ct);
        rows = rows.Where(r => Matches(r.Schedule, selection.Syncs)).ToList();
        if (rows.Count == 0)
        {
            return new SyncStatusResult(SyncControlOutcome.Ok, []);
        }

        var runs = await LatestRunsAsync(rows.Select(r => r.Schedule.Id).ToArray(), ct);
        var saved = await checkpoints.GetManyAsync(rows.Select(r => r.Schedule.ConnectionId).Distinct().ToList(), rows.Select(r => r.Schedule.SyncName).Distinct().ToList(), ct);
        var counts = new Dictionary<int, IReadOnlyDictionary<string, long>>();
        foreach (var connectionId in rows.Select(r => r.Schedule.ConnectionId).Distinct())
        {
            counts[connectionId] = await records.CountByModelAsync(connectionId, ct);
        }
        var reports = rows.Select(r =>
        {
            var s = r.Schedule;
            var run = runs.GetValueOrDefault(s.Id);
            var jobStatus = run?.State switch
            {
                null => null,
                "CREATED" or "STARTED" => SyncJobStatuses.Running,
                "SUCCEEDED" => SyncJobStatuses.Success,
                _ => SyncJobStatuses.Stopped,
            };
            var status = jobStatus == SyncJobStatuses.Running ? SyncJobStatuses.Running : s.State switch
            {
                SyncScheduleStates.Paused => SyncJobStatuses.Paused,
                SyncScheduleStates.Started => jobStatus == SyncJobStatuses.Stopped ? SyncJobStatuses.Error : jobStatus ?? SyncJobStatuses.Success,
                _ => SyncJobStatuses.Stopped,
            };
            var type = run?.SyncMode == SyncModes.Incremental && s.LastSyncDate is not null ? "INCREMENTAL" : "INITIAL";
            return new SyncStatusReport(s.Id, r.ConnectionName, s.SyncName, s.Variant, type, status, run?.EndedAt,
                s.State == SyncScheduleStates.Started ? s.NextRunAt : null,
                s.FrequencyOverride ?? r.Runs, run?.LatestResult, jobStatus, RecordCount(r.Models, s.Variant, counts[s.ConnectionId]),
                saved.GetValueOrDefault((s.ConnectionId, s.SyncName, s.Variant)),
                run?.EndedAt is null ? null : run.Error, run?.EndedAt is null ? null : run.LogOperationId);
        }).ToList();
        return new SyncStatusResult(SyncControlOutcome.Ok, reports);
    }

    /// <summary>
    /// Overrides one schedule's frequency for its connection, or reverts to the sync's (<paramref name="frequency"/>
    /// null). The next run keeps the schedule's phase: it moves by the difference, never before now.
    /// </summary>
    public async Task<FrequencyUpdateResult> UpdateFrequencyAsync(EnvironmentContext env, string providerConfigKey, string connectionId, SyncRef sync, string? frequency, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sync);
        var selection = new SyncSelection(env, providerConfigKey, connectionId, [sync]);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, scope) = await ResolveAsync(db, selection, ct);
        if (outcome != SyncControlOutcome.Ok)
        {
            return new FrequencyUpdateResult(outcome);
        }
        var row = await (
            from s in Scoped(db, scope!, selection.Syncs)
            join f in db.Set<DeployedFunction>().AsNoTracking() on s.FunctionId equals f.Id
            join v in db.Set<FunctionVersion>().AsNoTracking() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
            where s.Variant == sync.Variant
            select new { Schedule = s, v.Runs }).FirstOrDefaultAsync(ct);
        var log = logs.StartOperation(Start(LogOperationKinds.SyncUpdateFrequency, env, scope!, sync.Name));
        if (row is null)
        {
            return Failed(log, new FrequencyUpdateResult(SyncControlOutcome.UnknownSync, Message: $"The connection has no sync '{Label(sync)}'"));
        }
        int? seconds = null;
        string answer;
        if (frequency is null)
        {
            answer = row.Runs ?? "";
        }
        else
        {
            var parsed = SyncFrequency.Parse(frequency);
            if (!parsed.IsValid)
            {
                return Failed(log, new FrequencyUpdateResult(SyncControlOutcome.InvalidFrequency, Message: parsed.Error));
            }
            seconds = parsed.Seconds;
            answer = parsed.Interval;
        }
        var id = row.Schedule.Id;
        await db.Database.ExecuteSqlAsync($"""
            UPDATE sync_schedules
            SET next_run_at = greatest(next_run_at + make_interval(secs => coalesce({seconds}::int, frequency_secs) - coalesce(frequency_override_secs, frequency_secs)),
                                       date_trunc('second', now())),
                frequency_override_secs = {seconds}::int, frequency_override = {frequency}, updated_at = now()
            WHERE id = {id}
            """, ct);
        log.Info(frequency is null
            ? $"Frequency of {Label(sync)} reverted to the sync's ({answer})"
            : $"Frequency of {Label(sync)} set to '{frequency}' for this connection");
        log.Succeed();
        return new FrequencyUpdateResult(SyncControlOutcome.Ok, answer);
    }

    /// <summary>A new variant of a deployed sync on one connection, scheduled like the base one.</summary>
    public async Task<SyncVariantResult> CreateVariantAsync(EnvironmentContext env, string providerConfigKey, string connectionId, SyncRef variant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(variant);
        if (string.Equals(variant.Variant, SyncVariants.Base, StringComparison.OrdinalIgnoreCase))
        {
            return new SyncVariantResult(SyncControlOutcome.InvalidVariant, Message: $"Variant name \"{variant.Variant}\" is protected.");
        }
        var selection = new SyncSelection(env, providerConfigKey, connectionId, []);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, scope) = await ResolveAsync(db, selection, ct);
        if (outcome != SyncControlOutcome.Ok)
        {
            return new SyncVariantResult(outcome);
        }
        var log = logs.StartOperation(Start(LogOperationKinds.SyncCreateVariant, env, scope!, variant.Name));
        var existing = await db.SyncSchedules.AsNoTracking()
            .Where(s => s.ConnectionId == scope!.Connection!.Id && s.State != SyncScheduleStates.Deleted)
            .Select(s => new { s.SyncName, s.Variant }).ToListAsync(ct);
        if (existing.Count >= SyncSchedule.MaxPerConnection)
        {
            return Failed(log, new SyncVariantResult(SyncControlOutcome.ResourceCapped, Message: $"Maximum number of syncs per connection ({SyncSchedule.MaxPerConnection}) reached"));
        }
        if (existing.Any(s => s.SyncName == variant.Name && s.Variant == variant.Variant))
        {
            return Failed(log, new SyncVariantResult(SyncControlOutcome.VariantExists, Message: $"The variant '{Label(variant)}' already exists"));
        }
        var function = await (
            from f in db.Set<DeployedFunction>().AsNoTracking()
            join v in db.Set<FunctionVersion>().AsNoTracking() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
            where f.IntegrationId == scope!.Integration.Id && f.Type == FunctionTypes.Sync && f.Name == variant.Name && f.DeletedAt == null
            select new { f.Id, v.Runs, v.AutoStart }).FirstOrDefaultAsync(ct);
        if (function is null)
        {
            return Failed(log, new SyncVariantResult(SyncControlOutcome.UnknownSync, Message: $"No sync '{variant.Name}' is deployed for the integration '{providerConfigKey}'"));
        }
        var schedule = new SyncSchedule
        {
            Id = Guid.CreateVersion7(),
            AccountId = env.AccountId,
            EnvironmentId = env.EnvironmentId,
            IntegrationId = scope!.Integration.Id,
            ConnectionId = scope.Connection!.Id,
            FunctionId = function.Id,
            SyncName = variant.Name,
            Variant = variant.Variant,
            State = function.AutoStart ? SyncScheduleStates.Started : SyncScheduleStates.Paused,
            FrequencySecs = SyncScheduleWriter.FrequencySeconds(function.Runs),
            NextRunAt = WholeSecond(DateTimeOffset.UtcNow),
        };
        db.SyncSchedules.Add(schedule);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (PostgresErrors.IsUniqueViolation(e))
        {
            return Failed(log, new SyncVariantResult(SyncControlOutcome.VariantExists, Message: $"The variant '{Label(variant)}' already exists"));
        }
        log.Info($"Created variant {Label(variant)} ({schedule.State.ToLowerInvariant()})");
        log.Succeed();
        return new SyncVariantResult(SyncControlOutcome.Ok, schedule.Id);
    }

    public async Task<SyncVariantResult> DeleteVariantAsync(EnvironmentContext env, string providerConfigKey, string connectionId, SyncRef variant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(variant);
        if (string.Equals(variant.Variant, SyncVariants.Base, StringComparison.OrdinalIgnoreCase))
        {
            return new SyncVariantResult(SyncControlOutcome.InvalidVariant, Message: $"Variant name \"{variant.Variant}\" is protected.");
        }
        var selection = new SyncSelection(env, providerConfigKey, connectionId, [variant]);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, scope) = await ResolveAsync(db, selection, ct);
        if (outcome != SyncControlOutcome.Ok)
        {
            return new SyncVariantResult(outcome);
        }
        var log = logs.StartOperation(Start(LogOperationKinds.SyncDeleteVariant, env, scope!, variant.Name));
        var connection = scope!.Connection!.Id;
        var deleted = await db.SyncSchedules
            .Where(s => s.ConnectionId == connection && s.SyncName == variant.Name && s.Variant == variant.Variant && s.State != SyncScheduleStates.Deleted)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.State, SyncScheduleStates.Deleted).SetProperty(s => s.UpdatedAt, DateTimeOffset.UtcNow), ct);
        if (deleted == 0)
        {
            return Failed(log, new SyncVariantResult(SyncControlOutcome.VariantNotFound, Message: $"The connection has no variant '{Label(variant)}'"));
        }
        log.Info($"Deleted variant {Label(variant)}");
        log.Succeed();
        return new SyncVariantResult(SyncControlOutcome.Ok);
    }

    /// <summary>Live (not deleted) records per model the sync returns, under the model's own name as Nango reports them.</summary>
    private static JsonObject RecordCount(string modelsJson, string variant, IReadOnlyDictionary<string, long> stored)
    {
        var count = new JsonObject();
        foreach (var model in JsonNode.Parse(modelsJson)?.AsArray() ?? [])
        {
            if (model?.GetValue<string>() is { } name)
            {
                count[name] = stored.GetValueOrDefault(SyncVariants.StoredModel(name, variant));
            }
        }
        return count;
    }

    private sealed record Scope(Integration Integration, Connection? Connection);

    private sealed record LatestRun(string State, DateTimeOffset? EndedAt, string? SyncMode, JsonObject? LatestResult, string? Error, Guid? LogOperationId);

    private static async Task<(SyncControlOutcome, Scope?)> ResolveAsync(NangoDbContext db, SyncSelection selection, CancellationToken ct)
    {
        var env = selection.Environment;
        var integration = await db.Integrations.AsNoTracking()
            .SingleOrDefaultAsync(i => i.EnvironmentId == env.EnvironmentId && i.UniqueKey == selection.ProviderConfigKey && i.DeletedAt == null, ct);
        if (integration is null)
        {
            return (SyncControlOutcome.UnknownIntegration, null);
        }
        Connection? connection = null;
        if (selection.ConnectionId is { } connectionId)
        {
            connection = await db.Connections.AsNoTracking()
                .SingleOrDefaultAsync(c => c.IntegrationId == integration.Id && c.EnvironmentId == env.EnvironmentId && c.ConnectionId == connectionId && c.DeletedAt == null, ct);
            if (connection is null)
            {
                return (SyncControlOutcome.UnknownConnection, null);
            }
        }
        return (SyncControlOutcome.Ok, new Scope(integration, connection));
    }

    /// <summary>Live schedules of the integration (and connection), narrowed to the named syncs when there are names.</summary>
    private static IQueryable<SyncSchedule> Scoped(NangoDbContext db, Scope scope, IReadOnlyList<SyncRef> syncs)
    {
        var query = db.SyncSchedules.AsNoTracking().Where(s => s.IntegrationId == scope.Integration.Id && s.State != SyncScheduleStates.Deleted);
        if (scope.Connection is { } connection)
        {
            query = query.Where(s => s.ConnectionId == connection.Id);
        }
        if (syncs.Count > 0)
        {
            var names = syncs.Select(s => s.Name).Distinct().ToList();
            query = query.Where(s => names.Contains(s.SyncName));
        }
        return query;
    }

    private static bool Matches(SyncSchedule schedule, IReadOnlyList<SyncRef> syncs) =>
        syncs.Count == 0 || syncs.Any(r => r.Name == schedule.SyncName && r.Variant == schedule.Variant);

    /// <summary>
    /// The schedules a trigger, pause or start acts on. Naming a connection, every named sync must have a schedule there;
    /// across the integration's connections, at least one must (Nango's <c>no_syncs_found</c>).
    /// </summary>
    private async Task<(SyncControlResult?, Scope?, List<SyncSchedule>)> SelectAsync(SyncSelection selection, LogOperationKind kind, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, scope) = await ResolveAsync(db, selection, ct);
        if (outcome != SyncControlOutcome.Ok)
        {
            if (outcome == SyncControlOutcome.UnknownConnection)
            {
                var integration = await db.Integrations.AsNoTracking()
                    .SingleAsync(i => i.EnvironmentId == selection.Environment.EnvironmentId && i.UniqueKey == selection.ProviderConfigKey && i.DeletedAt == null, ct);
                var message = $"No connection '{selection.ConnectionId}' for the integration '{selection.ProviderConfigKey}'";
                logs.RecordOperation(Start(kind, selection.Environment, new Scope(integration, null), null), message, new LogError("unknown_connection", message));
            }
            return (new SyncControlResult(outcome), null, []);
        }
        var schedules = (await Scoped(db, scope!, selection.Syncs).ToListAsync(ct)).Where(s => Matches(s, selection.Syncs)).ToList();
        var missing = scope!.Connection is null
            ? (schedules.Count == 0 && selection.Syncs.Count > 0 ? selection.Syncs : [])
            : selection.Syncs.Where(r => !schedules.Any(s => s.SyncName == r.Name && s.Variant == r.Variant)).ToList();
        if (missing.Count > 0 || (scope.Connection is null && schedules.Count == 0))
        {
            var message = missing.Count > 0
                ? $"No sync {string.Join(", ", missing.Select(m => $"'{Label(m)}'"))} found for {(scope.Connection is null ? $"the integration '{selection.ProviderConfigKey}'" : $"the connection '{selection.ConnectionId}'")}"
                : $"No syncs found for the integration '{selection.ProviderConfigKey}'";
            logs.RecordOperation(Start(kind, selection.Environment, scope, selection.Syncs.Count == 1 ? selection.Syncs[0].Name : null), message, new LogError("no_syncs_found", message));
            return (new SyncControlResult(SyncControlOutcome.NoSyncsFound, message), null, []);
        }
        return (null, scope, schedules);
    }

    private async Task<Dictionary<Guid, LatestRun>> LatestRunsAsync(Guid[] scheduleIds, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT s.id, l.state, ended.ended_at, l.sync_mode, ended.output::text, ended.error->>'message', ended.payload->'log'->>'id'
            FROM unnest(@ids) AS s(id)
            JOIN LATERAL (SELECT state, payload->>'syncMode' AS sync_mode FROM function_tasks t
                          WHERE t.schedule_id = s.id ORDER BY created_at DESC LIMIT 1) l ON true
            LEFT JOIN LATERAL (SELECT ended_at, output, error, payload FROM function_tasks t
                               WHERE t.schedule_id = s.id AND t.state IN ('SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')
                               ORDER BY created_at DESC LIMIT 1) ended ON true
            """);
        command.Parameters.AddWithValue("ids", scheduleIds);
        var runs = new Dictionary<Guid, LatestRun>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var output = reader.IsDBNull(4) ? null : JsonNode.Parse(reader.GetString(4)) as JsonObject;
            var models = output?["models"] as JsonObject;
            runs[reader.GetGuid(0)] = new LatestRun(
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                models?.DeepClone() as JsonObject,
                reader.IsDBNull(5) ? null : reader.GetString(5),
                !reader.IsDBNull(6) && Guid.TryParse(reader.GetString(6), out var logId) ? logId : null);
        }
        return runs;
    }

    private IOperationLog StartLog(LogOperationKind kind, SyncSelection selection, Scope scope, List<SyncSchedule> schedules) =>
        logs.StartOperation(Start(kind, selection.Environment, scope, schedules.Select(s => s.SyncName).Distinct().Count() == 1 ? schedules[0].SyncName : null));

    private static OperationStart Start(LogOperationKind kind, EnvironmentContext env, Scope scope, string? syncName) =>
        OperationStart.For(kind, env) with
        {
            IntegrationId = scope.Integration.Id,
            IntegrationKey = scope.Integration.UniqueKey,
            Provider = scope.Integration.Provider,
            ConnectionId = scope.Connection?.Id,
            ConnectionName = scope.Connection?.ConnectionId,
            FunctionName = syncName,
        };

    private static T Failed<T>(IOperationLog log, T result)
    {
        var (code, message) = result switch
        {
            FrequencyUpdateResult f => (f.Outcome, f.Message),
            SyncVariantResult v => (v.Outcome, v.Message),
            _ => (SyncControlOutcome.Ok, null),
        };
        var error = new LogError(SyncControlCodes.For(code), message ?? SyncControlCodes.For(code));
        log.Error(error.Message, error);
        log.Fail(error);
        return result;
    }

    private static string Describe(List<SyncSchedule> schedules)
    {
        var connections = schedules.Select(s => s.ConnectionId).Distinct().Count();
        var names = string.Join(", ", schedules.Select(s => Label(new SyncRef(s.SyncName, s.Variant))).Distinct().Order(StringComparer.Ordinal));
        return $"{names} on {connections} connection{Plural(connections)}";
    }

    private static JsonArray Names(List<SyncSchedule> schedules) =>
        new(schedules.Select(s => Label(new SyncRef(s.SyncName, s.Variant))).Distinct().Order(StringComparer.Ordinal).Select(n => (JsonNode)n).ToArray());

    private static string Label(SyncRef sync) => sync.Variant == SyncVariants.Base ? sync.Name : $"{sync.Name}::{sync.Variant}";

    private static string Plural(int n) => n == 1 ? "" : "s";

    private static DateTimeOffset WholeSecond(DateTimeOffset at) => new(at.Ticks - (at.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
