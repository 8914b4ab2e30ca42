using System.Buffers;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;
using Nango.Core.Secrets;

namespace Nango.Core.Webhooks.Incoming;

public enum IncomingWebhookStatus
{
    Accepted,
    UnknownEnvironment,
    UnknownIntegration,
    TooLarge,
    MissingSignature,
    InvalidSignature,
}

/// <summary>
/// A provider's call to <c>POST /webhook/{environmentUuid}/{providerConfigKey}</c>. <see cref="Body"/> is read here,
/// at most <see cref="WebhookOptions.IncomingMaxBodyBytes"/> of it, and kept as raw bytes for signature checks.
/// Headers hold one entry per name (repeated values joined with commas).
/// </summary>
public sealed record IncomingWebhookRequest(
    Guid EnvironmentUuid,
    string ProviderConfigKey,
    string Path,
    string? ContentType,
    long? ContentLength,
    Stream Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<KeyValuePair<string, string>> Query);

public sealed record IncomingWebhookResult(IncomingWebhookStatus Status, string? Message = null, IReadOnlyList<string>? ConnectionIds = null);

/// <summary>
/// Receives provider webhooks: finds the environment and integration, checks the provider's signature when the
/// integration has a webhook secret and the catalog says how, routes the body to connections by the catalog's
/// <c>webhook_routing</c>, queues one <c>forward</c> event per matched connection (or the raw body when none
/// matched) in the outbox, and calls the <see cref="IIncomingWebhookHandler"/>s. Delivery is the outbox's job, so
/// the provider gets its answer as soon as the events are committed. Every step goes to one
/// <c>webhook:incoming</c> operation in Logs.
/// </summary>
public sealed partial class IncomingWebhookService(
    IDbContextFactory<NangoDbContext> contextFactory,
    IProviderCatalog catalog,
    SecretProtector protector,
    ConnectionService connections,
    WebhookPublisher publisher,
    WebhookOptions options,
    ILogService logs,
    TimeProvider clock,
    IEnumerable<IIncomingWebhookHandler> handlers,
    ILogger<IncomingWebhookService> logger)
{
    private readonly IIncomingWebhookHandler[] _handlers = [.. handlers];

    public async Task<IncomingWebhookResult> ReceiveAsync(IncomingWebhookRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var environment = await db.Environments.AsNoTracking().SingleOrDefaultAsync(e => e.Uuid == request.EnvironmentUuid, ct);
        if (environment is null)
        {
            // No tenant to write a log operation for: the server log is the only trace.
            LogUnknownEnvironment(request.EnvironmentUuid);
            return new IncomingWebhookResult(IncomingWebhookStatus.UnknownEnvironment, $"No environment has the id {request.EnvironmentUuid}.");
        }
        var env = EnvironmentContext.From(environment);
        var integration = await IntegrationService.FindAsync(db, env, request.ProviderConfigKey, ct);
        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.WebhookIncoming, env) with
        {
            IntegrationId = integration?.Id,
            IntegrationKey = request.ProviderConfigKey,
            Provider = integration?.Provider,
            Request = new LogHttpRequest("POST", request.Path, Join(request.Headers)),
        });
        try
        {
            return integration is null
                ? Refuse(log, IncomingWebhookStatus.UnknownIntegration, ErrorCodes.UnknownProviderConfig,
                    $"No integration '{request.ProviderConfigKey}' in environment '{env.EnvironmentName}'.")
                : await ProcessAsync(db, env, integration, request, log, ct);
        }
        catch (OperationCanceledException)
        {
            log.Cancel();
            throw;
        }
        catch (Exception ex)
        {
            log.Fail(LogError.From(ex));
            throw;
        }
    }

    private async Task<IncomingWebhookResult> ProcessAsync(
        NangoDbContext db, EnvironmentContext env, Integration integration, IncomingWebhookRequest request, IOperationLog log, CancellationToken ct)
    {
        var max = options.IncomingMaxBodyBytes;
        var raw = request.ContentLength > max ? null : await ReadAtMostAsync(request.Body, max, ct);
        if (raw is null)
        {
            return Refuse(log, IncomingWebhookStatus.TooLarge, ErrorCodes.RequestTooLarge,
                $"The body is larger than {max} bytes (Nango:Webhooks:IncomingMaxBodyBytes); nothing was forwarded.");
        }
        var body = IncomingWebhookBody.Parse(raw, request.ContentType);
        log.Info($"Received {raw.Length} bytes ({request.ContentType ?? "no content type"}, read as {body.Kind}).",
            new JsonObject { ["size"] = raw.Length, ["content_type"] = request.ContentType });

        var provider = catalog.Find(integration.Provider);
        var headers = Join(request.Headers);
        var secret = protector.UnprotectOrNull(integration.WebhookSecretCiphertext);
        if (string.IsNullOrEmpty(secret))
        {
            log.Info("Signature not checked: the integration has no webhook secret.");
        }
        else if (provider?.WebhookSignature is not { } scheme)
        {
            log.Warn($"Signature not checked: the catalog does not say how {integration.Provider} signs webhooks (webhook_signature).");
        }
        else
        {
            var check = WebhookSignatureVerifier.Verify(scheme, secret, name => headers.GetValueOrDefault(name), raw, clock.GetUtcNow());
            switch (check.Status)
            {
                case WebhookSignatureStatus.Missing:
                    return Refuse(log, IncomingWebhookStatus.MissingSignature, ErrorCodes.WebhookMissingSignature, check.Reason);
                case WebhookSignatureStatus.Invalid:
                    return Refuse(log, IncomingWebhookStatus.InvalidSignature, ErrorCodes.WebhookInvalidSignature, check.Reason);
                default:
                    log.Info(check.Reason);
                    break;
            }
        }

        var parts = new IncomingWebhookRequestParts(body, headers, FirstValues(request.Query));
        var matched = await RouteAsync(env, integration, provider, parts, log, ct);
        await ForwardAsync(db, env, integration, body, request.Headers, matched, log, ct);

        var eventType = provider?.WebhookEventType is { } source && WebhookRouting.Read(source, parts) is [var first, ..] ? first : null;
        foreach (var connection in matched)
        {
            var webhook = new IncomingWebhookEvent(env, integration.Id, integration.UniqueKey, integration.Provider, connection.Id, connection.ConnectionId, eventType, body.Payload);
            foreach (var handler in _handlers)
            {
                try
                {
                    await handler.HandleAsync(webhook, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One failing handler must not cost the provider its 200 (it would retry and duplicate the forwards).
                    log.Error($"Webhook handler {handler.GetType().Name} failed for connection '{connection.ConnectionId}': {ex.Message}", LogError.From(ex));
                }
            }
        }

        log.Succeed();
        return new IncomingWebhookResult(IncomingWebhookStatus.Accepted, ConnectionIds: matched.Select(c => c.ConnectionId).ToList());
    }

    private async Task<IReadOnlyList<Connection>> RouteAsync(
        EnvironmentContext env, Integration integration, ProviderDefinition? provider, IncomingWebhookRequestParts parts, IOperationLog log, CancellationToken ct)
    {
        if (provider is null || provider.WebhookRouting.Count == 0)
        {
            log.Info($"Not routed: the catalog has no webhook_routing for {integration.Provider}.");
            return [];
        }
        if (WebhookRouting.Evaluate(provider.WebhookRouting, parts) is not { } match)
        {
            var looked = string.Join(", ", provider.WebhookRouting.Select(r => $"{r.Source.Origin.ToString().ToLowerInvariant()} {r.Source.Path}"));
            log.Info($"Not routed: the request has no value at {looked}.");
            return [];
        }
        var matched = await connections.FindForWebhookAsync(env, integration.Id, match.Route.Field, match.Route.Key, match.Values, ct);
        var values = string.Join(", ", match.Values);
        var ids = new JsonArray(matched.Select(c => (JsonNode?)JsonValue.Create(c.ConnectionId)).ToArray());
        log.Info(matched.Count == 0
                ? $"No connection has {match.Route.MatchText} = {values}."
                : $"Matched {matched.Count} connection(s) by {match.Route.MatchText} = {values}: {string.Join(", ", matched.Select(c => c.ConnectionId))}.",
            new JsonObject { ["match"] = match.Route.MatchText, ["values"] = new JsonArray(match.Values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()), ["connection_ids"] = ids });
        return matched;
    }

    /// <summary>Nango forwards only when the integration's <c>forward_webhooks</c> is on and a URL exists.</summary>
    private async Task ForwardAsync(
        NangoDbContext db, EnvironmentContext env, Integration integration, IncomingWebhookBody body,
        IReadOnlyList<KeyValuePair<string, string>> requestHeaders, IReadOnlyList<Connection> matched, IOperationLog log, CancellationToken ct)
    {
        if (!integration.ForwardWebhooks)
        {
            log.Info("Not forwarded: forwarding is off for this integration (forward_webhooks).");
            return;
        }
        var passed = WebhookPayloads.PassThroughHeaders(requestHeaders);
        var events = 0;
        var deliveries = 0;
        if (matched.Count == 0)
        {
            deliveries = await publisher.PublishAsync(db, WebhookMessage.UnmatchedForward(env.EnvironmentId, body.Payload, passed), ct);
            events = deliveries > 0 ? 1 : 0;
        }
        foreach (var connection in matched)
        {
            var forward = WebhookPayloads.Forward(integration.Provider, integration.UniqueKey, connection.ConnectionId, body.Payload);
            var queued = await publisher.PublishAsync(db, new WebhookMessage(env.EnvironmentId, WebhookTopic.Forward, forward, connection, Headers: passed), ct);
            deliveries += queued;
            events += queued > 0 ? 1 : 0;
        }
        await db.SaveChangesAsync(ct);
        log.Info(deliveries == 0
            ? "Not forwarded: no webhook URL is set for the environment (or the matched connections)."
            : matched.Count == 0
                ? $"Queued the raw body for the environment's webhook URLs ({deliveries} deliveries)."
                : $"Queued {events} forward event(s) ({deliveries} deliveries).",
            new JsonObject { ["events"] = events, ["deliveries"] = deliveries });
    }

    private static IncomingWebhookResult Refuse(IOperationLog log, IncomingWebhookStatus status, string code, string reason)
    {
        var error = new LogError(code, reason);
        log.Error(reason, error);
        log.Fail(error);
        return new IncomingWebhookResult(status, reason);
    }

    /// <summary>The body, or null as soon as it passes <paramref name="max"/> bytes (the rest is never buffered).</summary>
    private static async Task<byte[]?> ReadAtMostAsync(Stream body, long max, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return buffer.ToArray();
    }

    private static Dictionary<string, string> Join(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        var joined = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in pairs)
        {
            joined[name] = joined.TryGetValue(name, out var earlier) ? earlier + ", " + value : value;
        }
        return joined;
    }

    private static Dictionary<string, string> FirstValues(IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in pairs)
        {
            first.TryAdd(name, value);
        }
        return first;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Incoming webhook for unknown environment {EnvironmentUuid} refused")]
    private partial void LogUnknownEnvironment(Guid environmentUuid);
}
