using Npgsql;
using NpgsqlTypes;

namespace Nango.Core.Webhooks;

/// <summary>A delivery claimed by a worker, with what it needs to send it.</summary>
public sealed record ClaimedDelivery(
    long Id,
    Guid EventId,
    int EnvironmentId,
    int AccountId,
    string EnvironmentName,
    string EventType,
    int? ConnectionId,
    string TargetUrl,
    string Body,
    string? Headers,
    int Attempt,
    string SigningKeyCiphertext,
    string? PreviousSigningKeyCiphertext,
    bool TargetDisabled,
    bool TargetFailing = false);

/// <summary>How one attempt ended.</summary>
public sealed record DeliveryOutcome(int? StatusCode, string? ResponseExcerpt, string? Error, int DurationMs);

/// <summary>
/// The outbox's hot path, in SQL. Workers claim due rows with <c>FOR UPDATE SKIP LOCKED</c>, so any number of
/// instances share the queue without taking the same row; a claim is a lease (<c>next_attempt_at</c> moves to its
/// end), so a row claimed by an instance that dies becomes due again by itself.
/// </summary>
public sealed class WebhookDeliveryStore(NpgsqlDataSource dataSource, WebhookOptions options)
{
    // A row is due when its time has come, its target's circuit is closed, and (when it has an ordering key)
    // no earlier row of the same key to the same target is unfinished: events of one connection go in order.
    private const string ClaimSql = """
        WITH due AS (
            SELECT d.id
            FROM webhook_deliveries d
            WHERE d.status IN ('pending', 'delivering')
              AND d.next_attempt_at <= now()
              AND NOT EXISTS (
                  SELECT 1 FROM webhook_targets t
                  WHERE t.environment_id = d.environment_id AND t.url = d.target_url
                    AND t.circuit_open_until > now() AND t.disabled_at IS NULL)
              AND (d.ordering_key IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries e
                  WHERE e.target_url = d.target_url AND e.ordering_key = d.ordering_key
                    AND e.id < d.id AND e.status IN ('pending', 'delivering')))
            ORDER BY d.next_attempt_at, d.id
            LIMIT $1
            FOR UPDATE OF d SKIP LOCKED)
        UPDATE webhook_deliveries w
        SET status = 'delivering', attempts = w.attempts + 1, last_attempt_at = now(),
            next_attempt_at = now() + $2, locked_until = now() + $2
        FROM due, environments env
        WHERE w.id = due.id AND env.id = w.environment_id
        RETURNING w.id, w.event_id, w.environment_id, env.account_id, env.name, w.event_type, w.connection_id,
                  w.target_url, w.body, w.headers::text, w.attempts, env.webhook_signing_key_ciphertext,
                  CASE WHEN env.previous_webhook_signing_key_expires_at > now() THEN env.previous_webhook_signing_key_ciphertext END,
                  EXISTS (SELECT 1 FROM webhook_targets t
                          WHERE t.environment_id = w.environment_id AND t.url = w.target_url AND t.disabled_at IS NOT NULL),
                  EXISTS (SELECT 1 FROM webhook_targets t
                          WHERE t.environment_id = w.environment_id AND t.url = w.target_url
                            AND (t.consecutive_failures <> 0 OR t.circuit_open_until IS NOT NULL))
        """;

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options.ClaimDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        var claimed = new List<ClaimedDelivery>(limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            claimed.Add(new ClaimedDelivery(
                reader.GetInt64(0),
                reader.GetGuid(1),
                reader.GetInt32(2),
                reader.GetInt32(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetInt32(6),
                reader.GetString(7),
                reader.GetString(8),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.GetInt32(10),
                reader.GetString(11),
                reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.GetBoolean(13),
                reader.GetBoolean(14)));
        }
        // Claim order is due time; send the oldest first.
        claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
        return claimed;
    }

    /// <summary>Records a 2xx and closes the target's circuit.</summary>
    public Task MarkDeliveredAsync(ClaimedDelivery delivery, DeliveryOutcome outcome, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (delivery.TargetFailing)
        {
            // Rare: the target's failure count must be reset too.
            return FinishAsync(delivery, outcome, WebhookDeliveryStatus.Delivered, nextAttemptIn: null, targetSucceeded: true, disableTarget: false, ct);
        }
        // Group commit: successes that finish while one write is running are written together by the next one,
        // one statement for many rows. Each caller still returns only once its row is stored.
        var pending = new PendingSuccess(delivery, outcome, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _successes.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _writingSuccesses, 1, 0) == 0)
        {
            _ = Task.Run(WriteSuccessesAsync, CancellationToken.None);
        }
        return pending.Stored.Task;
    }

    private sealed record PendingSuccess(ClaimedDelivery Delivery, DeliveryOutcome Outcome, TaskCompletionSource Stored);

    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingSuccess> _successes = new();
    private int _writingSuccesses;

    private async Task WriteSuccessesAsync()
    {
        while (true)
        {
            var batch = new List<PendingSuccess>();
            while (batch.Count < 500 && _successes.TryDequeue(out var item))
            {
                batch.Add(item);
            }
            if (batch.Count == 0)
            {
                Volatile.Write(ref _writingSuccesses, 0);
                // Something queued between the last dequeue and the reset: keep writing unless another writer took over.
                if (_successes.IsEmpty || Interlocked.CompareExchange(ref _writingSuccesses, 1, 0) != 0)
                {
                    return;
                }
                continue;
            }
            try
            {
                await using var command = dataSource.CreateCommand("""
                    UPDATE webhook_deliveries w
                    SET status = 'delivered', locked_until = NULL, last_status_code = u.code, last_response_excerpt = u.excerpt,
                        last_error = NULL, last_duration_ms = u.duration_ms, delivered_at = now()
                    FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::int[]) AS u(id, attempts, code, excerpt, duration_ms)
                    WHERE w.id = u.id AND w.status = 'delivering' AND w.attempts = u.attempts
                    """);
                command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = batch.Select(b => b.Delivery.Id).ToArray() });
                command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = batch.Select(b => b.Delivery.Attempt).ToArray() });
                command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = batch.Select(b => b.Outcome.StatusCode ?? 0).ToArray() });
                command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = batch.Select(b => b.Outcome.ResponseExcerpt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = batch.Select(b => b.Outcome.DurationMs).ToArray() });
                await command.ExecuteNonQueryAsync(CancellationToken.None);
                foreach (var item in batch)
                {
                    item.Stored.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The rows stay claimed and are sent again when their claims expire (at-least-once).
                foreach (var item in batch)
                {
                    item.Stored.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>Schedules the next attempt and counts the failure against the target's circuit.</summary>
    public Task MarkRetryAsync(ClaimedDelivery delivery, DeliveryOutcome outcome, TimeSpan delay, CancellationToken ct) =>
        FinishAsync(delivery, outcome, WebhookDeliveryStatus.Pending, delay, targetSucceeded: false, disableTarget: false, ct);

    /// <summary>Dead-letters the delivery; <paramref name="disableTarget"/> also disables its URL (a 410 answer).</summary>
    public Task MarkDeadAsync(ClaimedDelivery delivery, DeliveryOutcome outcome, bool disableTarget, bool countFailure, CancellationToken ct) =>
        FinishAsync(delivery, outcome, WebhookDeliveryStatus.Dead, nextAttemptIn: null, targetSucceeded: countFailure ? false : null, disableTarget, ct);

    /// <summary>Hands a claimed row back untouched (shutdown): due now, and the attempt does not count.</summary>
    public async Task ReleaseAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), locked_until = NULL, attempts = attempts - 1
            WHERE id = $1 AND status = 'delivering' AND attempts = $2
            """);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delivery.Id });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = delivery.Attempt });
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task FinishAsync(
        ClaimedDelivery delivery, DeliveryOutcome outcome, string status, TimeSpan? nextAttemptIn,
        bool? targetSucceeded, bool disableTarget, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();

        // Guarded by the attempt number: if this worker's lease expired and another instance re-claimed the row,
        // the newer attempt owns it and this late result is dropped (the receiver de-duplicates by webhook-id).
        var update = new NpgsqlBatchCommand("""
            UPDATE webhook_deliveries
            SET status = $1,
                next_attempt_at = CASE WHEN $2::interval IS NULL THEN next_attempt_at ELSE now() + $2::interval END,
                locked_until = NULL, last_status_code = $3, last_response_excerpt = $4, last_error = $5,
                last_duration_ms = $6, delivered_at = CASE WHEN $1 = 'delivered' THEN now() END
            WHERE id = $7 AND status = 'delivering' AND attempts = $8
            """);
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
        update.Parameters.Add(new NpgsqlParameter { Value = nextAttemptIn.HasValue ? nextAttemptIn.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval });
        update.Parameters.Add(new NpgsqlParameter { Value = outcome.StatusCode.HasValue ? outcome.StatusCode.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.ResponseExcerpt ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter { Value = (object?)outcome.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = outcome.DurationMs });
        update.Parameters.Add(new NpgsqlParameter<long> { TypedValue = delivery.Id });
        update.Parameters.Add(new NpgsqlParameter<int> { TypedValue = delivery.Attempt });
        batch.BatchCommands.Add(update);

        // A healthy target (the usual case) has nothing to reset: skip the statement on the hot path.
        if (targetSucceeded is true && delivery.TargetFailing)
        {
            // Most successes find the target healthy already; only touch the row when there is something to reset.
            var target = new NpgsqlBatchCommand("""
                UPDATE webhook_targets SET consecutive_failures = 0, circuit_open_until = NULL, last_success_at = now()
                WHERE environment_id = $1 AND url = $2 AND (consecutive_failures <> 0 OR circuit_open_until IS NOT NULL)
                """);
            AddTarget(target, delivery);
            batch.BatchCommands.Add(target);
        }
        else if (targetSucceeded is false || disableTarget)
        {
            var target = new NpgsqlBatchCommand("""
                INSERT INTO webhook_targets (environment_id, url, consecutive_failures, circuit_open_until, last_failure_at, disabled_at, disabled_reason)
                VALUES ($1, $2, 1, CASE WHEN 1 >= $3 THEN now() + $4 END, now(), CASE WHEN $5 THEN now() END, CASE WHEN $5 THEN $6 END)
                ON CONFLICT (environment_id, url) DO UPDATE SET
                    consecutive_failures = webhook_targets.consecutive_failures + 1,
                    circuit_open_until = CASE WHEN webhook_targets.consecutive_failures + 1 >= $3 THEN now() + $4
                                              ELSE webhook_targets.circuit_open_until END,
                    last_failure_at = now(),
                    disabled_at = CASE WHEN $5 THEN now() ELSE webhook_targets.disabled_at END,
                    disabled_reason = CASE WHEN $5 THEN $6 ELSE webhook_targets.disabled_reason END
                """);
            AddTarget(target, delivery);
            target.Parameters.Add(new NpgsqlParameter<int> { TypedValue = options.CircuitBreakerThreshold });
            target.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = options.CircuitBreakerCooldown, NpgsqlDbType = NpgsqlDbType.Interval });
            target.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = disableTarget });
            target.Parameters.Add(new NpgsqlParameter<string> { TypedValue = outcome.Error ?? "disabled" });
            batch.BatchCommands.Add(target);
        }

        await batch.ExecuteNonQueryAsync(ct);
    }

    private static void AddTarget(NpgsqlBatchCommand command, ClaimedDelivery delivery)
    {
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = delivery.EnvironmentId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = delivery.TargetUrl });
    }
}
