using System.Diagnostics;
using Microsoft.Extensions.Options;
using Nango.Core.Functions.Tasks;
using Nango.Core.Syncs.Runs;
using Npgsql;

namespace Nango.Core.Syncs.Schedules;

/// <summary>What one tick did: schedules it found due, tasks it enqueued, and the statement's time in the database.</summary>
public readonly record struct TickResult(int Due, int Enqueued, TimeSpan Elapsed);

/// <summary>This instance's ticks so far (diagnostics and the <c>scheduler</c> benchmark).</summary>
public readonly record struct TickStats(long Ticks, long Enqueued, TimeSpan TotalElapsed, TimeSpan MaxElapsed);

/// <summary>
/// Turns due schedules into sync tasks. <see cref="TickAsync"/> is the scheduler tick (a clustered Quartz job runs it
/// every second); <c>EnqueueNowAsync</c> is a manual run (<c>POST /sync/trigger</c>). Both write tasks with the
/// same statement shape, so the payload the runs read (<c>integrationKey, version, provider, connectionId,
/// environmentName, syncName, variant, scheduleId, syncMode, emptyCache</c>) has one definition.
/// </summary>
public sealed class SyncScheduler(NpgsqlDataSource dataSource, IOptions<NangoOptions> options)
{
    /// <summary>How long a sync's task may go without a heartbeat before it expires (Nango: 5 minutes).</summary>
    private readonly int _heartbeatSecs = (int)Math.Max(1, options.Value.Syncs.HeartbeatTimeout.TotalSeconds);

    /// <summary>Most schedules one statement enqueues; a larger backlog (a deploy onto many connections) takes several.</summary>
    public const int BatchSize = 10_000;

    /// <summary>
    /// The columns of <c>picked</c>, the schedules a statement enqueues (<c>s</c>, a <c>sync_schedules</c> row, due at
    /// <paramref name="dueAt"/>), that <see cref="Runnable"/> reads: each schedule's own row comes along with it, so
    /// the statement never joins the picked ids back to <c>sync_schedules</c>. That join is what went wrong: with the tick prepared (Npgsql prepares it, and after five
    /// runs Postgres keeps a generic plan) the planner nested a loop over every schedule of the sync around the picked
    /// rows, and the tick over 10,000 schedules took about 150 ms instead of 20.
    /// </summary>
    private static string PickedColumns(string dueAt) =>
        $"s.id, {dueAt} AS due_at, s.environment_id, s.integration_id, s.connection_id, s.function_id, s.sync_name, s.variant";

    /// <summary>
    /// Due schedules that can run now, joined with everything the payload names. A schedule of a disabled or removed
    /// sync, or of a deleted connection, is left out here: its due time still moves on, so it costs the scan nothing
    /// until it becomes runnable again. A schedule whose previous task is still waiting or running gets no new task
    /// (missed intervals are skipped, not queued — Nango's rule): the unique index on live sync tasks per schedule
    /// (<c>ux_function_tasks_live_sync</c>) turns its insert into <c>ON CONFLICT DO NOTHING</c>, one index probe.
    /// That check used to be a <c>NOT EXISTS</c> as well; on a task table Postgres had not analysed since it was
    /// small, the planner could run it as a scan of the whole index per schedule (seen in the bench once the join
    /// below was gone: a burst of 10,000 due schedules took 5.7 s instead of 0.3). The arbiter's probe cannot be
    /// planned away.
    /// </summary>
    private const string Runnable = """
        runnable AS (
            SELECT gen_random_uuid() AS task_id, p.id AS schedule_id, p.environment_id, p.integration_id, p.connection_id, p.sync_name, p.variant,
                   e.account_id, e.name AS environment_name, i.unique_key, i.provider, c.connection_id AS connection_name, v.version, p.due_at
            FROM picked p
            JOIN functions f ON f.id = p.function_id AND f.deleted_at IS NULL AND f.enabled
            JOIN function_versions v ON v.function_id = f.id AND v.revision = f.current_revision
            JOIN connections c ON c.id = p.connection_id AND c.deleted_at IS NULL
            JOIN integrations i ON i.id = p.integration_id AND i.deleted_at IS NULL
            JOIN environments e ON e.id = p.environment_id),
        inserted AS (
            INSERT INTO function_tasks (id, account_id, environment_id, connection_id, integration_id, kind, function_name, group_key,
                group_max_concurrency, state, payload, retry_max, retry_count, retry_key, starts_after, created_to_started_timeout_secs,
                started_to_completed_timeout_secs, heartbeat_timeout_secs, created_at, last_state_transition_at, schedule_id)
            SELECT task_id, account_id, environment_id, connection_id, integration_id, 'sync', sync_name, 'sync:environment:' || environment_id,
                0, 'CREATED',
                jsonb_build_object('integrationKey', unique_key, 'version', version, 'provider', provider, 'connectionId', connection_name,
                    'environmentName', environment_name, 'syncName', sync_name, 'variant', variant, 'scheduleId', schedule_id,
                    'syncMode', @mode, 'emptyCache', @emptyCache),
                0, 0, task_id, due_at, @createdToStarted, @startedToCompleted, @heartbeat, clock_timestamp(), now(), schedule_id
            FROM runnable
            ON CONFLICT (schedule_id) WHERE kind = 'sync' AND state IN ('CREATED', 'STARTED') DO NOTHING
            RETURNING 1),
        notified AS (
            SELECT pg_notify('nango_tasks', '') WHERE EXISTS (SELECT 1 FROM inserted))
        """;

    /// <summary>
    /// One statement: lock every due STARTED schedule, move its due time to the first slot after now (on its own grid:
    /// <c>due + k × frequency</c>), and enqueue a task for each that can run, then wake the dispatchers.
    /// <para>
    /// Why two instances never enqueue one run twice: the Quartz job is clustered and <c>DisallowConcurrentExecution</c>,
    /// so normally one tick runs at a time across instances, but clustering is not a proof (an instance that misses its
    /// check-ins is presumed dead while it may still be running). The statement itself is safe to run concurrently:
    /// <c>FOR UPDATE SKIP LOCKED</c> gives two ticks disjoint sets of rows; a tick that reaches a row another tick has
    /// just advanced and committed re-checks <c>next_run_at &lt;= now()</c> on the new row version (READ COMMITTED's
    /// re-check of locked rows) and drops it. Whatever slips past both, the unique index on live sync tasks per
    /// schedule (<c>ux_function_tasks_live_sync</c>) stops (see <see cref="Runnable"/>).
    /// </para>
    /// </summary>
    private static readonly string TickSql = $"""
        WITH due AS (
            SELECT id, next_run_at, greatest(coalesce(frequency_override_secs, frequency_secs), 1) AS every
            FROM sync_schedules
            WHERE state = 'STARTED' AND next_run_at <= now()
            ORDER BY next_run_at
            LIMIT @batch
            FOR UPDATE SKIP LOCKED),
        picked AS (
            UPDATE sync_schedules s
            SET next_run_at = due.next_run_at + make_interval(secs => due.every * (floor(extract(epoch FROM now() - due.next_run_at) / due.every) + 1)),
                updated_at = now()
            FROM due WHERE s.id = due.id
            RETURNING {PickedColumns("due.next_run_at")}),
        {Runnable}
        SELECT (SELECT count(*) FROM picked)::int, (SELECT count(*) FROM inserted)::int, (SELECT count(*) FROM notified)::int
        """;

    private static readonly string EnqueueSql = $"""
        WITH picked AS (SELECT {PickedColumns("now()")} FROM sync_schedules s WHERE s.id = ANY(@ids) AND s.state <> 'DELETED'),
        {Runnable}
        SELECT 0, (SELECT count(*) FROM inserted)::int, (SELECT count(*) FROM notified)::int
        """;

    private long _ticks;
    private long _enqueued;
    private long _elapsedTicks;
    private long _maxElapsedTicks;

    public TickStats Stats => new(Interlocked.Read(ref _ticks), Interlocked.Read(ref _enqueued),
        TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks)), TimeSpan.FromTicks(Interlocked.Read(ref _maxElapsedTicks)));

    /// <summary>Enqueues every due schedule (in batches of <see cref="BatchSize"/>).</summary>
    public async Task<TickResult> TickAsync(CancellationToken ct)
    {
        var result = await TickOnceAsync(ct);
        Interlocked.Increment(ref _ticks);
        Interlocked.Add(ref _enqueued, result.Enqueued);
        Interlocked.Add(ref _elapsedTicks, result.Elapsed.Ticks);
        long max;
        while (result.Elapsed.Ticks > (max = Interlocked.Read(ref _maxElapsedTicks))
            && Interlocked.CompareExchange(ref _maxElapsedTicks, result.Elapsed.Ticks, max) != max)
        {
        }
        return result;
    }

    private async Task<TickResult> TickOnceAsync(CancellationToken ct)
    {
        var total = new TickResult(0, 0, TimeSpan.Zero);
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            await using var command = dataSource.CreateCommand(TickSql);
            command.Parameters.AddWithValue("batch", BatchSize);
            AddTaskParameters(command, SyncModes.Incremental, emptyCache: false);
            var (due, enqueued) = await ReadCountsAsync(command, ct);
            total = new TickResult(total.Due + due, total.Enqueued + enqueued, total.Elapsed + Stopwatch.GetElapsedTime(started));
            if (due < BatchSize)
            {
                return total;
            }
        }
    }

    /// <summary>
    /// Enqueues a run of these schedules now, whatever their state (a paused schedule may be run by hand), unless
    /// one is already waiting or running. Their due times do not move. Returns how many tasks were created.
    /// </summary>
    public async Task<int> EnqueueNowAsync(IReadOnlyCollection<Guid> scheduleIds, string syncMode, bool emptyCache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scheduleIds);
        await using var command = dataSource.CreateCommand(EnqueueSql);
        command.Parameters.AddWithValue("ids", scheduleIds.ToArray());
        AddTaskParameters(command, syncMode, emptyCache);
        return (await ReadCountsAsync(command, ct)).Enqueued;
    }

    /// <summary>The same, inside a caller's transaction (a full resync cancels the running task first).</summary>
    internal async Task<int> EnqueueNowAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<Guid> scheduleIds, string syncMode, bool emptyCache, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(EnqueueSql, connection, transaction);
        command.Parameters.AddWithValue("ids", scheduleIds.ToArray());
        AddTaskParameters(command, syncMode, emptyCache);
        return (await ReadCountsAsync(command, ct)).Enqueued;
    }

    private void AddTaskParameters(NpgsqlCommand command, string syncMode, bool emptyCache)
    {
        command.Parameters.AddWithValue("mode", syncMode);
        command.Parameters.AddWithValue("emptyCache", emptyCache);
        command.Parameters.AddWithValue("createdToStarted", TaskTimeouts.Sync.CreatedToStartedSecs);
        command.Parameters.AddWithValue("startedToCompleted", TaskTimeouts.Sync.StartedToCompletedSecs);
        command.Parameters.AddWithValue("heartbeat", _heartbeatSecs);
    }

    private static async Task<(int Due, int Enqueued)> ReadCountsAsync(NpgsqlCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }
}
