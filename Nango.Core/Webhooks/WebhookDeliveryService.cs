using Microsoft.EntityFrameworkCore;
using Nango.Core.Environments;
using Nango.Core.Persistence;

namespace Nango.Core.Webhooks;

/// <summary>Filters of the deliveries list; <c>Before</c> pages newest first (only ids below it).</summary>
public sealed record WebhookDeliveryFilter(
    IReadOnlyList<string>? Statuses = null,
    IReadOnlyList<string>? EventTypes = null,
    int? ConnectionId = null,
    string? TargetUrl = null,
    long? Before = null,
    int Limit = 50);

public sealed record WebhookDeliveryPage(IReadOnlyList<WebhookDelivery> Items, long? NextBefore);

public sealed record WebhookDeliveryCounts(int Pending, int Delivering, int Delivered, int Dead);

/// <summary>What the dashboard reads and does with the outbox; every call is scoped to one environment.</summary>
public sealed class WebhookDeliveryService(
    IDbContextFactory<NangoDbContext> contextFactory,
    WebhookPublisher publisher,
    TimeProvider clock)
{
    public const int MaxPageSize = 200;

    public async Task<WebhookDeliveryPage> ListAsync(EnvironmentContext env, WebhookDeliveryFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(filter);
        var limit = Math.Clamp(filter.Limit, 1, MaxPageSize);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var query = db.WebhookDeliveries.AsNoTracking().Where(d => d.EnvironmentId == env.EnvironmentId);
        if (filter.Statuses is { Count: > 0 } statuses)
        {
            query = query.Where(d => statuses.Contains(d.Status));
        }
        if (filter.EventTypes is { Count: > 0 } types)
        {
            query = query.Where(d => types.Contains(d.EventType));
        }
        if (filter.ConnectionId is { } connectionId)
        {
            query = query.Where(d => d.ConnectionId == connectionId);
        }
        if (!string.IsNullOrWhiteSpace(filter.TargetUrl))
        {
            query = query.Where(d => d.TargetUrl == filter.TargetUrl);
        }
        if (filter.Before is { } before)
        {
            query = query.Where(d => d.Id < before);
        }
        var items = await query.OrderByDescending(d => d.Id).Take(limit + 1).ToListAsync(ct);
        var next = items.Count > limit ? items[limit - 1].Id : (long?)null;
        return new WebhookDeliveryPage(items.Take(limit).ToList(), next);
    }

    public async Task<WebhookDelivery?> GetAsync(EnvironmentContext env, long id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await db.WebhookDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id && d.EnvironmentId == env.EnvironmentId, ct);
    }

    public async Task<WebhookDeliveryCounts> CountAsync(EnvironmentContext env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var counts = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.EnvironmentId == env.EnvironmentId)
            .GroupBy(d => d.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Status, g => g.Count, ct);
        return new WebhookDeliveryCounts(
            counts.GetValueOrDefault(WebhookDeliveryStatus.Pending),
            counts.GetValueOrDefault(WebhookDeliveryStatus.Delivering),
            counts.GetValueOrDefault(WebhookDeliveryStatus.Delivered),
            counts.GetValueOrDefault(WebhookDeliveryStatus.Dead));
    }

    /// <summary>
    /// Sends dead-lettered deliveries again: each gets a fresh set of attempts and keeps its event id (receivers
    /// that already processed it de-duplicate). Only dead rows of this environment move; returns how many did.
    /// </summary>
    public async Task<int> ReplayAsync(EnvironmentContext env, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return 0;
        }
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await RequeueAsync(db.WebhookDeliveries.Where(d => d.EnvironmentId == env.EnvironmentId && ids.Contains(d.Id) && d.Status == WebhookDeliveryStatus.Dead), ct);
    }

    /// <summary>Replays every dead-lettered delivery of the environment (optionally of one target).</summary>
    public async Task<int> ReplayAllDeadAsync(EnvironmentContext env, string? targetUrl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await RequeueAsync(db.WebhookDeliveries.Where(d => d.EnvironmentId == env.EnvironmentId && d.Status == WebhookDeliveryStatus.Dead && (targetUrl == null || d.TargetUrl == targetUrl)), ct);
    }

    /// <summary>Dead deliveries back to pending, due now, with a fresh set of attempts.</summary>
    private Task<int> RequeueAsync(IQueryable<WebhookDelivery> dead, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return dead.ExecuteUpdateAsync(u => u
            .SetProperty(d => d.Status, WebhookDeliveryStatus.Pending)
            .SetProperty(d => d.Attempts, 0)
            .SetProperty(d => d.NextAttemptAt, now)
            .SetProperty(d => d.LastError, (string?)null), ct);
    }

    /// <summary>Queues a test event to the environment's URLs; returns how many deliveries (0 when no URL is set).</summary>
    public async Task<int> SendTestAsync(EnvironmentContext env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var count = await publisher.PublishAsync(db, new WebhookMessage(env.EnvironmentId, WebhookTopic.Test, WebhookPayloads.Test(env.EnvironmentName, clock.GetUtcNow())), ct);
        await db.SaveChangesAsync(ct);
        return count;
    }

    public async Task<IReadOnlyList<WebhookTarget>> ListTargetsAsync(EnvironmentContext env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await db.WebhookTargets.AsNoTracking().Where(t => t.EnvironmentId == env.EnvironmentId).OrderBy(t => t.Url).ToListAsync(ct);
    }

    /// <summary>Re-enables a URL that answered 410 and closes its circuit; its dead deliveries can then be replayed.</summary>
    public async Task<bool> EnableTargetAsync(EnvironmentContext env, string url, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var changed = await db.WebhookTargets
            .Where(t => t.EnvironmentId == env.EnvironmentId && t.Url == url)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.DisabledAt, (DateTimeOffset?)null)
                .SetProperty(t => t.DisabledReason, (string?)null)
                .SetProperty(t => t.ConsecutiveFailures, 0)
                .SetProperty(t => t.CircuitOpenUntil, (DateTimeOffset?)null), ct);
        return changed > 0;
    }
}
