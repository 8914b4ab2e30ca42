using Microsoft.EntityFrameworkCore;
using Nango.Core.Functions.Deploy;
using Nango.Core.Persistence;

namespace Nango.Core.Syncs.Schedules;

/// <summary>
/// Keeps schedules in step with what exists: a base schedule for every (live connection, deployed sync) pair of an
/// integration, created STARTED when the sync's <c>autoStart</c> is on and PAUSED otherwise, due at once (the
/// initial run); DELETED when the sync is removed or the connection deleted. Each method runs on the caller's
/// context, inside the caller's transaction when there is one, so a deploy or a new connection and its schedules
/// commit together. Every statement is idempotent.
/// </summary>
public static class SyncScheduleWriter
{
    /// <summary>After a deploy: schedules of removed syncs are deleted, new syncs get theirs, changed frequencies apply.</summary>
    public static async Task ReconcileEnvironmentAsync(NangoDbContext db, int environmentId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE sync_schedules s SET state = 'DELETED', updated_at = now()
            FROM functions f
            WHERE f.id = s.function_id AND s.environment_id = {environmentId} AND s.state <> 'DELETED' AND f.deleted_at IS NOT NULL
            """, ct);
        var syncs = await LiveSyncsAsync(db, environmentId, null, ct);
        if (syncs.Count == 0)
        {
            return;
        }
        var ids = syncs.Select(s => s.FunctionId).ToArray();
        var seconds = syncs.Select(s => s.Seconds).ToArray();
        // A new frequency keeps the schedule's phase: the next run moves by the difference, and is not earlier than now.
        await db.Database.ExecuteSqlAsync($"""
            UPDATE sync_schedules s
            SET next_run_at = greatest(s.next_run_at + make_interval(secs => n.secs - s.frequency_secs), date_trunc('second', now())),
                frequency_secs = n.secs, updated_at = now()
            FROM unnest({ids}, {seconds}) AS n(function_id, secs)
            WHERE s.function_id = n.function_id AND s.state <> 'DELETED' AND s.frequency_secs <> n.secs AND s.frequency_override_secs IS NULL
            """, ct);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE sync_schedules s SET frequency_secs = n.secs, updated_at = now()
            FROM unnest({ids}, {seconds}) AS n(function_id, secs)
            WHERE s.function_id = n.function_id AND s.state <> 'DELETED' AND s.frequency_secs <> n.secs
            """, ct);
        await InsertMissingAsync(db, syncs, null, ct);
    }

    /// <summary>After a connection is created (or re-authorised): a schedule for every deployed sync of its integration.</summary>
    public static async Task EnsureForConnectionAsync(NangoDbContext db, int environmentId, int integrationId, int connectionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var syncs = await LiveSyncsAsync(db, environmentId, integrationId, ct);
        if (syncs.Count > 0)
        {
            await InsertMissingAsync(db, syncs, connectionId, ct);
        }
    }

    /// <summary>After connections are deleted (one, or all of an integration's).</summary>
    public static async Task DeleteForConnectionsAsync(NangoDbContext db, IReadOnlyCollection<int> connectionIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(connectionIds);
        var ids = connectionIds.ToArray();
        await db.Database.ExecuteSqlAsync($"""
            UPDATE sync_schedules SET state = 'DELETED', updated_at = now()
            WHERE connection_id = ANY({ids}) AND state <> 'DELETED'
            """, ct);
    }

    /// <summary>After an integration is deleted with its connections.</summary>
    public static async Task DeleteForIntegrationAsync(NangoDbContext db, int integrationId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await db.Database.ExecuteSqlAsync($"""
            UPDATE sync_schedules SET state = 'DELETED', updated_at = now()
            WHERE integration_id = {integrationId} AND state <> 'DELETED'
            """, ct);
    }

    private static async Task InsertMissingAsync(NangoDbContext db, IReadOnlyList<LiveSync> syncs, int? connectionId, CancellationToken ct)
    {
        var ids = syncs.Select(s => s.FunctionId).ToArray();
        var seconds = syncs.Select(s => s.Seconds).ToArray();
        var started = syncs.Select(s => s.AutoStart).ToArray();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO sync_schedules (id, account_id, environment_id, integration_id, connection_id, function_id, sync_name, variant, state,
                frequency_secs, next_run_at, created_at, updated_at)
            SELECT gen_random_uuid(), e.account_id, c.environment_id, c.integration_id, c.id, f.id, f.name, 'base',
                CASE WHEN n.auto_start THEN 'STARTED' ELSE 'PAUSED' END, n.secs, date_trunc('second', now()), now(), now()
            FROM unnest({ids}, {seconds}, {started}) AS n(function_id, secs, auto_start)
            JOIN functions f ON f.id = n.function_id
            JOIN connections c ON c.integration_id = f.integration_id AND c.deleted_at IS NULL
            JOIN environments e ON e.id = c.environment_id
            WHERE {connectionId}::int IS NULL OR c.id = {connectionId}::int
            ON CONFLICT (connection_id, function_id, variant) WHERE state <> 'DELETED' DO NOTHING
            """, ct);
    }

    /// <summary>The live syncs of an environment (or one integration) with their frequency in seconds.</summary>
    private static async Task<List<LiveSync>> LiveSyncsAsync(NangoDbContext db, int environmentId, int? integrationId, CancellationToken ct)
    {
        var rows = await (
            from f in db.Set<DeployedFunction>().AsNoTracking()
            join v in db.Set<FunctionVersion>().AsNoTracking() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
            where f.EnvironmentId == environmentId && f.DeletedAt == null && f.Type == FunctionTypes.Sync
                && (integrationId == null || f.IntegrationId == integrationId)
            select new { f.Id, v.Runs, v.AutoStart }).ToListAsync(ct);
        return rows.Select(r => new LiveSync(r.Id, FrequencySeconds(r.Runs), r.AutoStart)).ToList();
    }

    /// <summary>
    /// The deploy accepts only frequencies that parse; a version stored before that rule (or without <c>runs</c>) gets
    /// Nango's common default of one day rather than breaking the scheduler.
    /// </summary>
    internal static int FrequencySeconds(string? runs)
    {
        var parsed = SyncFrequency.Parse(runs);
        return parsed.IsValid ? parsed.Seconds : 24 * 60 * 60;
    }

    private sealed record LiveSync(int FunctionId, int Seconds, bool AutoStart);
}
