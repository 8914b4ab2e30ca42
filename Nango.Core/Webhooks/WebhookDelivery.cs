namespace Nango.Core.Webhooks;

/// <summary>
/// One event on its way to one target URL: the outbox row. It is added to the same <c>DbContext</c> (and so
/// the same transaction) as the change that causes it, so an event exists exactly when its change committed.
/// </summary>
public sealed class WebhookDelivery
{
    /// <summary>Insertion order; delivery order per <see cref="OrderingKey"/> follows it.</summary>
    public long Id { get; set; }

    /// <summary>The event id (UUID v7), the same for every target of one event; sent as <c>webhook-id</c> so receivers can de-duplicate.</summary>
    public Guid EventId { get; set; }

    public int EnvironmentId { get; set; }

    /// <summary>Nango's payload <c>type</c>: auth, sync, async_action, forward, or test.</summary>
    public required string EventType { get; set; }

    /// <summary>Internal id of the connection the event is about, when there is one.</summary>
    public int? ConnectionId { get; set; }

    /// <summary>Deliveries with the same key and target are sent strictly in <see cref="Id"/> order; null means no ordering.</summary>
    public string? OrderingKey { get; set; }

    public required string TargetUrl { get; set; }

    /// <summary>The exact body bytes (UTF-8 JSON) that are signed and sent.</summary>
    public required string Body { get; set; }

    /// <summary>jsonb object of extra request headers (provider headers passed through on forwards).</summary>
    public string? Headers { get; set; }

    public string Status { get; set; } = WebhookDeliveryStatus.Pending;

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>While <see cref="WebhookDeliveryStatus.Delivering"/>: the claim expires then, and another worker may take the row over.</summary>
    public DateTimeOffset? LockedUntil { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public int? LastStatusCode { get; set; }

    /// <summary>The first kilobyte of the receiver's last answer.</summary>
    public string? LastResponseExcerpt { get; set; }

    public string? LastError { get; set; }

    public int? LastDurationMs { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public static class WebhookDeliveryStatus
{
    /// <summary>Waiting for its first attempt or for a retry.</summary>
    public const string Pending = "pending";

    /// <summary>Claimed by a worker; back to due when <see cref="WebhookDelivery.LockedUntil"/> passes (crash).</summary>
    public const string Delivering = "delivering";

    public const string Delivered = "delivered";

    /// <summary>Dead-lettered: attempts exhausted, or the target answered 410 / is disabled. Can be replayed.</summary>
    public const string Dead = "dead";

    public static readonly IReadOnlyList<string> All = [Pending, Delivering, Delivered, Dead];
}

/// <summary>
/// Health of one receiving URL of an environment, shared by every instance: the circuit breaker and the
/// disabled flag (a 410 answer) live here so all workers stop hammering a dead endpoint together.
/// </summary>
public sealed class WebhookTarget
{
    public int Id { get; set; }

    public int EnvironmentId { get; set; }

    public required string Url { get; set; }

    public int ConsecutiveFailures { get; set; }

    public DateTimeOffset? CircuitOpenUntil { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    public string? DisabledReason { get; set; }

    public DateTimeOffset? LastSuccessAt { get; set; }

    public DateTimeOffset? LastFailureAt { get; set; }
}
