using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace Nango.Core.Functions.Tasks;

/// <summary>What a new task needs; timeouts per kind come from <see cref="TaskTimeouts"/>.</summary>
public sealed record NewTask(
    int AccountId,
    int EnvironmentId,
    int IntegrationId,
    int ConnectionId,
    string Kind,
    string FunctionName,
    JsonObject Payload,
    TaskTimeouts Timeouts,
    int GroupMaxConcurrency = 0,
    int RetryMax = 0,
    Guid? LogOperationId = null);

/// <summary>Nango's per-type limits (reference §5.3), in seconds.</summary>
public sealed record TaskTimeouts(int CreatedToStartedSecs, int StartedToCompletedSecs, int HeartbeatSecs)
{
    public static readonly TaskTimeouts SyncAction = new(30, 15 * 60, 5 * 60);
    public static readonly TaskTimeouts AsyncAction = new(24 * 60 * 60, 15 * 60, 5 * 60);
    public static readonly TaskTimeouts Sync = new(60 * 60, 24 * 60 * 60, 5 * 60);
    public static readonly TaskTimeouts Webhook = new(5 * 60, 60 * 60, 5 * 60);
    public static readonly TaskTimeouts OnEvent = new(30, 5 * 60, 99_999);
}

/// <summary>
/// The task queue in Postgres. Every transition is one guarded statement (<c>WHERE state = …</c>) and announces itself
/// with <c>NOTIFY</c>: <see cref="CreatedChannel"/> wakes dispatchers, <see cref="DoneChannel"/> (payload: the task id)
/// wakes whoever waits for a result, on any instance.
/// </summary>
/// <remarks>
/// The statements of the hot path (create, claim, success) are each one round trip: a batch without an explicit
/// transaction runs as one implicit transaction in Postgres, so its <c>NOTIFY</c> is still sent only at commit.
/// </remarks>
public sealed class TaskStore(NpgsqlDataSource dataSource, IDbContextFactory<NangoDbContext> contextFactory)
{
    public const string CreatedChannel = "nango_tasks";
    public const string DoneChannel = "nango_task_done";

    /// <summary>
    /// A task this instance ended, after commit, as stored (output and error included): <see cref="TaskCompletions"/>
    /// hands it to this instance's waiters without reading it back. Other instances learn of it from the NOTIFY.
    /// </summary>
    public event Action<FunctionTask>? Ended;

    /// <summary>Tasks whose end this instance is storing right now; their <see cref="Ended"/> follows.</summary>
    private readonly ConcurrentDictionary<Guid, byte> _endingHere = new();

    /// <summary>
    /// True while this instance stores the end of the task: its own <c>NOTIFY</c> can arrive before the statement's
    /// answer, and a waiter woken by it would read the row that <see cref="Ended"/> is about to hand over.
    /// </summary>
    public bool IsEndingHere(Guid taskId) => _endingHere.ContainsKey(taskId);

    /// <summary>Advisory-lock key serialising claims, so group concurrency limits hold across instances.</summary>
    private const long ClaimLock = 0x4e54_4153_4b53; // "NTASKS"

    private const string Columns = "id, account_id, environment_id, connection_id, integration_id, kind, function_name, group_key, group_max_concurrency, state, payload::text, retry_max, retry_count, retry_key, log_operation_id, created_at, heartbeat_timeout_secs, started_at";

    /// <summary>Queues a task; <paramref name="id"/> lets a caller register for its end before it exists (<see cref="TaskCompletions.Expect"/>).</summary>
    public async Task<FunctionTask> CreateAsync(NewTask task, CancellationToken ct, Guid? id = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        var taskId = id ?? Guid.CreateVersion7();
        return await InsertAsync(task, taskId, retryKey: taskId, retryCount: 0, ct);
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> due tasks, oldest first, without exceeding any group's concurrency limit,
    /// and marks them STARTED for this instance.
    /// </summary>
    public async Task<IReadOnlyList<FunctionTask>> ClaimAsync(int limit, string instance, CancellationToken ct)
    {
        // One batch, one implicit transaction: the advisory lock is held until the claim commits.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({ClaimLock})"));
        var claimed = new List<FunctionTask>();
        var command = new NpgsqlBatchCommand($"""
            WITH candidates AS (
                SELECT id, group_key, group_max_concurrency, created_at FROM function_tasks
                WHERE state = 'CREATED' AND starts_after <= now()
                ORDER BY created_at
                LIMIT 1000
                FOR UPDATE SKIP LOCKED),
            ranked AS (
                SELECT id, group_key, group_max_concurrency, created_at,
                       row_number() OVER (PARTITION BY group_key ORDER BY created_at) AS place
                FROM candidates),
            running AS (
                SELECT group_key, count(*) AS n FROM function_tasks
                WHERE state = 'STARTED' AND group_key IN (SELECT group_key FROM candidates)
                GROUP BY group_key),
            chosen AS (
                SELECT r.id FROM ranked r LEFT JOIN running g ON g.group_key = r.group_key
                WHERE r.group_max_concurrency = 0 OR coalesce(g.n, 0) + r.place <= r.group_max_concurrency
                ORDER BY r.created_at
                LIMIT @limit)
            UPDATE function_tasks t
            SET state = 'STARTED', started_at = now(), last_heartbeat_at = now(), last_state_transition_at = now(), claimed_by = @instance
            FROM chosen WHERE t.id = chosen.id
            RETURNING {Prefixed("t")}
            """);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("instance", instance);
        batch.BatchCommands.Add(command);
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                claimed.Add(Read(reader));
            }
        }
        return claimed.OrderBy(t => t.CreatedAt).ToList();
    }

    /// <summary>Records which runner took the task.</summary>
    public async Task AssignRunnerAsync(Guid taskId, string runnerId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE function_tasks SET runner_id = @runner WHERE id = @id");
        command.Parameters.AddWithValue("id", taskId);
        command.Parameters.AddWithValue("runner", runnerId);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Names the log operation a task writes to when it was opened after the task was queued (scheduled syncs).</summary>
    public async Task SetLogAsync(Guid taskId, Guid logOperationId, DateTimeOffset logCreatedAt, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE function_tasks SET log_operation_id = @log,
                payload = payload || jsonb_build_object('log', jsonb_build_object('id', @log::text, 'createdAt', @createdAt))
            WHERE id = @id
            """);
        command.Parameters.AddWithValue("id", taskId);
        command.Parameters.AddWithValue("log", logOperationId);
        command.Parameters.AddWithValue("createdAt", logCreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>False when the task is no longer running (cancelled or expired): the runner should stop it.</summary>
    public async Task<bool> HeartbeatAsync(Guid taskId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE function_tasks SET last_heartbeat_at = now() WHERE id = @id AND state = 'STARTED'");
        command.Parameters.AddWithValue("id", taskId);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task<bool> SucceedAsync(Guid taskId, JsonNode? output, CancellationToken ct) =>
        EndAsync(taskId, TaskStates.Succeeded, output?.ToJsonString() ?? "null", null, [TaskStates.Started], ct);

    /// <summary>Fails a running task; a retry is queued when the task has retries left.</summary>
    public Task<bool> FailAsync(Guid taskId, JsonObject error, CancellationToken ct) =>
        EndAsync(taskId, TaskStates.Failed, null, error.ToJsonString(), [TaskStates.Started], ct);

    public Task<bool> CancelAsync(Guid taskId, JsonObject reason, CancellationToken ct) =>
        EndAsync(taskId, TaskStates.Cancelled, null, reason.ToJsonString(), [TaskStates.Created, TaskStates.Started], ct);

    /// <summary>
    /// Expires tasks past their limits (reference §5.2): waiting past <c>starts_after + created→started</c>, running past
    /// <c>last heartbeat + heartbeat</c> or <c>started + started→completed</c>. Expired tasks with retries left are retried.
    /// </summary>
    public async Task<int> ExpireAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var expired = new List<FunctionTask>();
        await using (var command = new NpgsqlCommand($"""
            WITH due AS (
                SELECT id,
                    CASE
                        WHEN state = 'CREATED' THEN 'createdToStartedTimeoutSecs_exceeded'
                        WHEN last_heartbeat_at + make_interval(secs => heartbeat_timeout_secs) < now() THEN 'heartbeatTimeoutSecs_exceeded'
                        ELSE 'startedToCompletedTimeoutSecs_exceeded'
                    END AS reason
                FROM function_tasks
                WHERE (state = 'CREATED' AND starts_after + make_interval(secs => created_to_started_timeout_secs) < now())
                   OR (state = 'STARTED' AND (last_heartbeat_at + make_interval(secs => heartbeat_timeout_secs) < now()
                                           OR started_at + make_interval(secs => started_to_completed_timeout_secs) < now()))
                LIMIT 1000
                FOR UPDATE SKIP LOCKED)
            UPDATE function_tasks t
            SET state = 'EXPIRED', ended_at = now(), last_state_transition_at = now(),
                error = jsonb_build_object('type', 'execution_timeout', 'message', 'The task expired: ' || due.reason, 'reason', due.reason)
            FROM due WHERE t.id = due.id
            RETURNING {Prefixed("t")}, t.output::text, t.error::text
            """, connection, transaction))
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                expired.Add(ReadEnded(reader));
            }
        }
        foreach (var task in expired)
        {
            await AfterEndAsync(connection, transaction, task, TaskStates.Expired, ct);
        }
        await transaction.CommitAsync(ct);
        foreach (var task in expired)
        {
            Ended?.Invoke(task);
        }
        return expired.Count;
    }

    /// <summary>Most ended tasks one <see cref="DeleteEndedAsync"/> statement removes.</summary>
    public const int DeleteBatchSize = 1000;

    /// <summary>
    /// Ended tasks created before <paramref name="createdBefore"/> (Nango's cleaning daemon: terminated tasks older than
    /// 5 days), with their sync runs: a schedule at 30 s adds 2,880 tasks a day, which would otherwise stay in the
    /// database for good. Two kinds stay: a schedule's latest ended task, which <c>GET /sync/status</c> and the Syncs
    /// tab report as its last run, however long ago that was; and a task whose sync run is not closed yet, which the
    /// expiry sweep closes from the task. Returns how many were removed, at most <see cref="DeleteBatchSize"/>.
    /// </summary>
    public async Task<int> DeleteEndedAsync(DateTimeOffset createdBefore, CancellationToken ct)
    {
        // The environments' ids let the planner reach old tasks through (environment_id, created_at) when few are old;
        // when most are, it reads the table in order and stops at the batch. The batch is removed by primary key (an
        // array of ids, so no plan can turn the delete into a join over the whole table).
        await using var command = dataSource.CreateCommand("""
            WITH doomed AS (
                SELECT t.id FROM function_tasks t
                WHERE t.environment_id = ANY(ARRAY(SELECT id FROM environments)) AND t.created_at < @before
                  AND t.state IN ('SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')
                  AND (t.schedule_id IS NULL
                       OR NOT EXISTS (SELECT 1 FROM sync_schedules s WHERE s.id = t.schedule_id AND s.state <> 'DELETED')
                       OR EXISTS (SELECT 1 FROM function_tasks later
                                  WHERE later.schedule_id = t.schedule_id AND later.created_at > t.created_at
                                    AND later.state IN ('SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED')))
                  AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.task_id = t.id AND r.ended_at IS NULL)
                LIMIT @batch
                FOR UPDATE OF t SKIP LOCKED),
            runs AS (DELETE FROM sync_runs WHERE task_id = ANY(ARRAY(SELECT id FROM doomed)))
            DELETE FROM function_tasks WHERE id = ANY(ARRAY(SELECT id FROM doomed))
            """);
        command.Parameters.AddWithValue("before", createdBefore);
        command.Parameters.AddWithValue("batch", DeleteBatchSize);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<FunctionTask?> GetAsync(Guid taskId, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await _byIdQuery(db, taskId, ct);
    }

    /// <summary>Compiled once: every runner callback reads its task (a sync's record chunks, one per 1,000 records), and
    /// EF's per-call translation of the same query cost more than the query.</summary>
    private static readonly Func<NangoDbContext, Guid, CancellationToken, Task<FunctionTask?>> _byIdQuery =
        EF.CompileAsyncQuery((NangoDbContext db, Guid id, CancellationToken ct) => db.FunctionTasks.AsNoTracking().SingleOrDefault(t => t.Id == id));

    /// <summary>The latest task of a retry chain (an async action and its retries), within one environment.</summary>
    public async Task<FunctionTask?> GetLatestByRetryKeyAsync(int environmentId, Guid retryKey, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await db.FunctionTasks.AsNoTracking()
            .Where(t => t.RetryKey == retryKey && t.EnvironmentId == environmentId)
            .OrderByDescending(t => t.RetryCount)
            .FirstOrDefaultAsync(ct);
    }

    private async Task<bool> EndAsync(Guid taskId, string state, string? output, string? error, string[] from, CancellationToken ct)
    {
        _endingHere[taskId] = 0;
        try
        {
            return state is TaskStates.Succeeded
                ? await SucceedInOneStatementAsync(taskId, output, from, ct)
                : await EndInTransactionAsync(taskId, state, output, error, from, ct);
        }
        finally
        {
            _endingHere.TryRemove(taskId, out _);
        }
    }

    private async Task<bool> EndInTransactionAsync(Guid taskId, string state, string? output, string? error, string[] from, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        FunctionTask? ended = null;
        await using (var command = new NpgsqlCommand($"""
            UPDATE function_tasks
            SET state = @state, output = @output::jsonb, error = @error::jsonb, ended_at = now(), last_state_transition_at = now()
            WHERE id = @id AND state = ANY(@from)
            RETURNING {Columns}, output::text, error::text
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("id", taskId);
            command.Parameters.AddWithValue("state", state);
            command.Parameters.Add(new NpgsqlParameter("output", NpgsqlDbType.Text) { Value = (object?)output ?? DBNull.Value });
            command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)error ?? DBNull.Value });
            command.Parameters.AddWithValue("from", from);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                ended = ReadEnded(reader);
            }
        }
        if (ended is null)
        {
            return false;
        }
        await AfterEndAsync(connection, transaction, ended, state, ct);
        await transaction.CommitAsync(ct);
        Ended?.Invoke(ended);
        return true;
    }

    /// <summary>A success never queues a retry: the update and its NOTIFY are one statement, so one round trip.</summary>
    private async Task<bool> SucceedInOneStatementAsync(Guid taskId, string? output, string[] from, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH ended AS (
                UPDATE function_tasks
                SET state = 'SUCCEEDED', output = @output::jsonb, error = NULL, ended_at = now(), last_state_transition_at = now()
                WHERE id = @id AND state = ANY(@from)
                RETURNING {Columns}, output::text, error::text)
            SELECT ended.*, pg_notify('{DoneChannel}', ended.id::text) FROM ended
            """);
        command.Parameters.AddWithValue("id", taskId);
        command.Parameters.Add(new NpgsqlParameter("output", NpgsqlDbType.Text) { Value = (object?)output ?? DBNull.Value });
        command.Parameters.AddWithValue("from", from);
        FunctionTask? ended = null;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                ended = ReadEnded(reader);
            }
        }
        if (ended is null)
        {
            return false;
        }
        Ended?.Invoke(ended);
        return true;
    }

    /// <summary>Queues the retry of a failed or expired task that has retries left, and announces the end.</summary>
    private static async Task AfterEndAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, FunctionTask task, string state, CancellationToken ct)
    {
        var retry = state is TaskStates.Failed or TaskStates.Expired && task.RetryCount < task.RetryMax;
        if (retry)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO function_tasks (id, account_id, environment_id, connection_id, integration_id, kind, function_name, group_key,
                    group_max_concurrency, state, payload, retry_max, retry_count, retry_key, starts_after, created_to_started_timeout_secs,
                    started_to_completed_timeout_secs, heartbeat_timeout_secs, created_at, last_state_transition_at, log_operation_id)
                SELECT @newId, account_id, environment_id, connection_id, integration_id, kind, function_name, group_key,
                    group_max_concurrency, 'CREATED', payload, retry_max, retry_count + 1, retry_key, now(), created_to_started_timeout_secs,
                    started_to_completed_timeout_secs, heartbeat_timeout_secs, now(), now(), log_operation_id
                FROM function_tasks WHERE id = @id;
                SELECT pg_notify('nango_tasks', '');
                """, connection, transaction);
            insert.Parameters.AddWithValue("newId", Guid.CreateVersion7());
            insert.Parameters.AddWithValue("id", task.Id);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await using var notify = new NpgsqlCommand($"SELECT pg_notify('{DoneChannel}', @id)", connection, transaction);
        notify.Parameters.AddWithValue("id", task.Id.ToString());
        await notify.ExecuteNonQueryAsync(ct);
    }

    private async Task<FunctionTask> InsertAsync(NewTask task, Guid id, Guid retryKey, int retryCount, CancellationToken ct)
    {
        var row = new FunctionTask
        {
            Id = id,
            AccountId = task.AccountId,
            EnvironmentId = task.EnvironmentId,
            IntegrationId = task.IntegrationId,
            ConnectionId = task.ConnectionId,
            Kind = task.Kind,
            FunctionName = task.FunctionName,
            GroupKey = $"{task.Kind}:environment:{task.EnvironmentId}",
            GroupMaxConcurrency = task.GroupMaxConcurrency,
            Payload = task.Payload.ToJsonString(),
            RetryMax = task.RetryMax,
            RetryCount = retryCount,
            RetryKey = retryKey,
            CreatedToStartedTimeoutSecs = task.Timeouts.CreatedToStartedSecs,
            StartedToCompletedTimeoutSecs = task.Timeouts.StartedToCompletedSecs,
            HeartbeatTimeoutSecs = task.Timeouts.HeartbeatSecs,
            LogOperationId = task.LogOperationId,
        };
        // The row and its NOTIFY in one batch (one implicit transaction): dispatchers hear of it once it is committed.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO function_tasks (id, account_id, environment_id, integration_id, connection_id, kind, function_name, group_key,
                group_max_concurrency, state, payload, retry_max, retry_count, retry_key, created_to_started_timeout_secs,
                started_to_completed_timeout_secs, heartbeat_timeout_secs, log_operation_id)
            VALUES (@id, @account, @environment, @integration, @connection, @kind, @name, @group, @groupMax, @state, @payload::jsonb,
                @retryMax, @retryCount, @retryKey, @createdToStarted, @startedToCompleted, @heartbeat, @log)
            RETURNING created_at, starts_after, last_state_transition_at
            """);
        insert.Parameters.AddWithValue("id", row.Id);
        insert.Parameters.AddWithValue("account", row.AccountId);
        insert.Parameters.AddWithValue("environment", row.EnvironmentId);
        insert.Parameters.AddWithValue("integration", row.IntegrationId);
        insert.Parameters.AddWithValue("connection", row.ConnectionId);
        insert.Parameters.AddWithValue("kind", row.Kind);
        insert.Parameters.AddWithValue("name", row.FunctionName);
        insert.Parameters.AddWithValue("group", row.GroupKey);
        insert.Parameters.AddWithValue("groupMax", row.GroupMaxConcurrency);
        insert.Parameters.AddWithValue("state", row.State);
        insert.Parameters.AddWithValue("payload", NpgsqlDbType.Text, row.Payload);
        insert.Parameters.AddWithValue("retryMax", row.RetryMax);
        insert.Parameters.AddWithValue("retryCount", row.RetryCount);
        insert.Parameters.AddWithValue("retryKey", row.RetryKey);
        insert.Parameters.AddWithValue("createdToStarted", row.CreatedToStartedTimeoutSecs);
        insert.Parameters.AddWithValue("startedToCompleted", row.StartedToCompletedTimeoutSecs);
        insert.Parameters.AddWithValue("heartbeat", row.HeartbeatTimeoutSecs);
        insert.Parameters.Add(new NpgsqlParameter("log", NpgsqlDbType.Uuid) { Value = (object?)row.LogOperationId ?? DBNull.Value });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_notify('{CreatedChannel}', '')"));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct))
        {
            row.CreatedAt = reader.GetFieldValue<DateTimeOffset>(0);
            row.StartsAfter = reader.GetFieldValue<DateTimeOffset>(1);
            row.LastStateTransitionAt = reader.GetFieldValue<DateTimeOffset>(2);
        }
        return row;
    }

    private static readonly int ColumnCount = Columns.Split(", ").Length;

    private static string Prefixed(string alias) => string.Join(", ", Columns.Split(", ").Select(c => $"{alias}.{c}"));

    /// <summary>A row of <see cref="Columns"/> followed by <c>output::text, error::text</c>.</summary>
    private static FunctionTask ReadEnded(NpgsqlDataReader r)
    {
        var task = Read(r);
        var at = ColumnCount;
        task.Output = r.IsDBNull(at) ? null : r.GetString(at);
        task.Error = r.IsDBNull(at + 1) ? null : r.GetString(at + 1);
        return task;
    }

    private static FunctionTask Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        AccountId = r.GetInt32(1),
        EnvironmentId = r.GetInt32(2),
        ConnectionId = r.GetInt32(3),
        IntegrationId = r.GetInt32(4),
        Kind = r.GetString(5),
        FunctionName = r.GetString(6),
        GroupKey = r.GetString(7),
        GroupMaxConcurrency = r.GetInt32(8),
        State = r.GetString(9),
        Payload = r.GetString(10),
        RetryMax = r.GetInt32(11),
        RetryCount = r.GetInt32(12),
        RetryKey = r.GetGuid(13),
        LogOperationId = r.IsDBNull(14) ? null : r.GetGuid(14),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(15),
        HeartbeatTimeoutSecs = r.GetInt32(16),
        StartedAt = r.IsDBNull(17) ? null : r.GetFieldValue<DateTimeOffset>(17),
    };
}
