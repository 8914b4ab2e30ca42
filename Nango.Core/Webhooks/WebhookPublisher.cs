using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Persistence;

namespace Nango.Core.Webhooks;

/// <summary>Which environment toggle decides whether an event is sent (reference §4.5).</summary>
public enum WebhookTopic
{
    /// <summary>Auth creation or override (<c>on_auth_creation</c>).</summary>
    AuthCreation,

    /// <summary>A failed token refresh (<c>on_auth_refresh_error</c>).</summary>
    AuthRefreshError,

    /// <summary>A sync run with changes; without changes only when <c>on_sync_completion_always</c>.</summary>
    SyncSuccess,

    /// <summary>A failed sync run (<c>on_sync_error</c>).</summary>
    SyncError,

    /// <summary>An async action finished (<c>on_async_action_completion</c>).</summary>
    AsyncAction,

    /// <summary>A provider webhook passed on: always sent when a URL exists.</summary>
    Forward,

    /// <summary>The dashboard's test event: always sent.</summary>
    Test,
}

/// <summary>
/// One event to send. <paramref name="Connection"/> picks the targets (its <c>webhook_url_override</c> replaces the
/// environment's URLs) and keeps events of one connection in order. <paramref name="Body"/> is any JSON: Nango's
/// own events are objects, but an unmatched provider webhook goes out as the provider sent it (see
/// <see cref="UnmatchedForward"/>).
/// </summary>
public sealed record WebhookMessage(
    int EnvironmentId,
    WebhookTopic Topic,
    JsonNode Body,
    Connection? Connection = null,
    bool HasChanges = true,
    IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>
    /// A provider webhook that matched no connection: Nango sends the provider's body unwrapped (no <c>from</c>,
    /// <c>type</c> or <c>connectionId</c>; HubSpot's is even an array) with the provider's headers passed through.
    /// </summary>
    public static WebhookMessage UnmatchedForward(int environmentId, JsonNode providerPayload, IReadOnlyDictionary<string, string>? headers)
    {
        ArgumentNullException.ThrowIfNull(providerPayload);
        return new WebhookMessage(environmentId, WebhookTopic.Forward, providerPayload.DeepClone(), Headers: headers);
    }

    /// <summary>
    /// Nango's payload <c>type</c>. Every forward is <c>forward</c> whatever its body says: an unwrapped provider body
    /// may carry a <c>type</c> of its own (Slack's <c>event_callback</c>).
    /// </summary>
    public string EventType => Topic == WebhookTopic.Forward
        ? "forward"
        : (Body as JsonObject)?["type"] is JsonValue type && type.TryGetValue<string>(out var name) ? name : "unknown";
}

/// <summary>
/// Publishes events into the outbox. Publishing only adds rows to the caller's <see cref="NangoDbContext"/>: they
/// are written by the caller's <c>SaveChanges</c>, inside the caller's transaction, so an event exists exactly when
/// the change that caused it committed. A database trigger then wakes the delivery workers (NOTIFY is sent on
/// commit and dropped on rollback).
/// </summary>
public sealed class WebhookPublisher(TimeProvider clock)
{
    /// <summary>Adds one outbox row per target; returns how many (0 when the toggle is off or no URL is set).</summary>
    public async Task<int> PublishAsync(NangoDbContext db, WebhookMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(message);
        var environment = await db.Environments.FindAsync([message.EnvironmentId], ct)
            ?? throw new InvalidOperationException($"Environment {message.EnvironmentId} does not exist.");
        if (message.Connection is { } c && c.EnvironmentId != environment.Id)
        {
            throw new InvalidOperationException("A webhook's connection must belong to its environment.");
        }
        if (!IsEnabled(environment, message))
        {
            return 0;
        }

        var targets = Targets(environment, message.Connection);
        if (targets.Count == 0)
        {
            return 0;
        }

        var body = WebhookPayloads.Serialize(message.Body);
        var headers = message.Headers is { Count: > 0 } ? JsonSerializer.Serialize(message.Headers) : null;
        var eventId = Guid.CreateVersion7(clock.GetUtcNow());
        var orderingKey = message.Connection is { } connection
            ? $"{connection.IntegrationId}:{connection.ConnectionId}"
            : null;
        foreach (var url in targets)
        {
            db.WebhookDeliveries.Add(new WebhookDelivery
            {
                EventId = eventId,
                EnvironmentId = environment.Id,
                EventType = message.EventType,
                ConnectionId = message.Connection is { Id: > 0 } saved ? saved.Id : null,
                OrderingKey = orderingKey,
                TargetUrl = url,
                Body = body,
                Headers = headers,
            });
        }
        return targets.Count;
    }

    private static bool IsEnabled(NangoEnvironment environment, WebhookMessage message) => message.Topic switch
    {
        WebhookTopic.AuthCreation => environment.SendAuthWebhook,
        WebhookTopic.AuthRefreshError => environment.SendRefreshFailedWebhook,
        WebhookTopic.SyncSuccess => message.HasChanges || environment.AlwaysSendSyncCompletionWebhook,
        WebhookTopic.SyncError => environment.SendSyncErrorWebhook,
        WebhookTopic.AsyncAction => environment.SendAsyncActionWebhook,
        WebhookTopic.Forward or WebhookTopic.Test => true,
        _ => false,
    };

    /// <summary>A connection's override replaces the environment's URLs; otherwise primary and secondary, once each.</summary>
    public static IReadOnlyList<string> Targets(NangoEnvironment environment, Connection? connection)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(connection?.WebhookUrlOverride))
        {
            return [connection.WebhookUrlOverride];
        }
        var urls = new List<string>(2);
        foreach (var url in new[] { environment.WebhookUrl, environment.WebhookUrlSecondary })
        {
            if (!string.IsNullOrWhiteSpace(url) && !urls.Contains(url, StringComparer.Ordinal))
            {
                urls.Add(url);
            }
        }
        return urls;
    }
}
