using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core.Common;
using Nango.Core.Http;
using Nango.Core.Logs;
using Nango.Core.Secrets;

namespace Nango.Core.Webhooks;

/// <summary>
/// Sends outbox rows. Each instance runs one worker that keeps up to <see cref="WebhookOptions.Concurrency"/>
/// deliveries in flight, claiming more as slots free up, waking on NOTIFY or the poll interval. Every attempt is an
/// operation in Logs with its HTTP exchange. A plain <see cref="IHostedService"/>: shutdown always waits for
/// deliveries in flight, and hands back the ones it cancels so another instance (or the next start) sends them.
/// </summary>
public sealed partial class WebhookDeliveryWorker : IHostedService, IDisposable
{
    public const string UserAgent = "Nango";
    private const int ResponseExcerptLength = 1024;

    private readonly WebhookDeliveryStore _store;
    private readonly WebhookWakeup _wakeup;
    private readonly WebhookOptions _options;
    private readonly WebhookRetryPolicy _retryPolicy;
    private readonly SecretProtector _protector;
    private readonly ILogService _logs;
    private readonly ILogger<WebhookDeliveryWorker> _logger;
    private readonly HttpClient _http;
    private readonly StoppingSignal _stopping = new();
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly int _minimumClaim;
    private Task? _loop;

    public WebhookDeliveryWorker(
        WebhookDeliveryStore store,
        WebhookWakeup wakeup,
        WebhookOptions options,
        SecretProtector protector,
        ILogService logs,
        OutboundAddressGuard guard,
        ILogger<WebhookDeliveryWorker> logger)
    {
        ArgumentNullException.ThrowIfNull(guard);
        _store = store;
        _wakeup = wakeup;
        _options = options;
        _retryPolicy = new WebhookRetryPolicy(options);
        _minimumClaim = Math.Max(1, options.Concurrency / 4);
        _protector = protector;
        _logs = logs;
        _logger = logger;
        var handler = guard.CreateHandler(allowAutoRedirect: false);
        handler.MaxConnectionsPerServer = Math.Max(options.Concurrency, 2);
        // Per-request timeouts come from a token, so one slow receiver does not share a client-wide budget.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.DeliveryEnabled)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await Task.WhenAll(_inFlight.Values).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _http.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var free = _options.Concurrency - _inFlight.Count;
                var claimedAll = false;
                // Under load, claim in batches of at least a quarter of the slots: one claim query per freed slot
                // made the claim loop the bottleneck. When idle, claim at once so an event is sent without delay.
                if (free > 0 && (free >= _minimumClaim || _inFlight.IsEmpty))
                {
                    var claimed = await _store.ClaimAsync(free, ct);
                    foreach (var delivery in claimed)
                    {
                        _inFlight[delivery.Id] = Task.Run(() => DeliverAndReleaseSlotAsync(delivery, ct), CancellationToken.None);
                    }
                    claimedAll = claimed.Count == free;
                }
                if (!claimedAll)
                {
                    await _wakeup.WaitAsync(_options.PollInterval, ct);
                }
                else if (_options.Concurrency - _inFlight.Count < _minimumClaim)
                {
                    // Too few free slots for a batch: finished deliveries signal.
                    await _wakeup.WaitAsync(_options.PollInterval, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
            {
                LogClaimFailed(ex);
                await Task.Delay(_options.PollInterval, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task DeliverAndReleaseSlotAsync(ClaimedDelivery delivery, CancellationToken stopping)
    {
        try
        {
            await DeliverAsync(delivery, stopping);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The row stays claimed and comes back when its lease ends: nothing is lost, only delayed.
            LogDeliveryCrashed(ex, delivery.Id);
        }
        finally
        {
            _inFlight.TryRemove(delivery.Id, out _);
            _wakeup.Signal();
        }
    }

    private async Task DeliverAsync(ClaimedDelivery delivery, CancellationToken stopping)
    {
        var log = _logs.StartOperation(new OperationStart
        {
            Kind = OperationKind(delivery),
            AccountId = delivery.AccountId,
            EnvironmentId = delivery.EnvironmentId,
            EnvironmentName = delivery.EnvironmentName,
            ConnectionId = delivery.ConnectionId,
            Meta = new() { ["event_id"] = delivery.EventId.ToString(), ["delivery_id"] = delivery.Id, ["attempt"] = delivery.Attempt },
        });
        var request = new LogHttpRequest("POST", delivery.TargetUrl, null, delivery.Body);

        if (delivery.TargetDisabled)
        {
            const string disabled = "The target URL is disabled (it answered 410 Gone); re-enable it on the Webhooks page, then replay.";
            await _store.MarkDeadAsync(delivery, new DeliveryOutcome(null, null, disabled, 0), disableTarget: false, countFailure: false, CancellationToken.None);
            log.Error(disabled);
            log.Fail(new LogError("webhook_target_disabled", disabled));
            return;
        }

        var signingKey = Unprotect(delivery.SigningKeyCiphertext);
        var previousKey = delivery.PreviousSigningKeyCiphertext is null ? null : Unprotect(delivery.PreviousSigningKeyCiphertext);
        var bodyBytes = Encoding.UTF8.GetBytes(delivery.Body);
        using var message = new HttpRequestMessage(HttpMethod.Post, delivery.TargetUrl)
        {
            Content = new ByteArrayContent(bodyBytes),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (delivery.Headers is not null)
        {
            foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(delivery.Headers) ?? [])
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }
        foreach (var (name, value) in WebhookSigner.Sign(delivery.Body, delivery.EventId, DateTimeOffset.UtcNow, signingKey, previousKey))
        {
            message.Headers.Remove(name);
            message.Headers.TryAddWithoutValidation(name, value);
        }

        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(_options.Timeout);
        int? status = null;
        string? excerpt = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            retryAfter = RetryAfter(response);
            excerpt = await ReadExcerptAsync(response, timeout.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: hand the row back at once instead of waiting for its lease to end.
            await _store.ReleaseAsync(delivery, CancellationToken.None);
            log.Warn("Delivery interrupted by shutdown; it will be sent again.");
            log.Cancel();
            return;
        }
        catch (OperationCanceledException)
        {
            error = $"No answer within {_options.Timeout.TotalSeconds:0} s.";
        }
        catch (HttpRequestException ex)
        {
            error = ex.Message;
        }

        var outcome = new DeliveryOutcome(status, excerpt, error, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        var logResponse = status is { } code ? new LogHttpResponse(code, null, excerpt) : null;
        log.Http(request, logResponse, $"POST {delivery.TargetUrl} (attempt {delivery.Attempt})", Stopwatch.GetElapsedTime(started), context: MessageContexts.Webhook);

        if (status is >= 200 and < 300)
        {
            await _store.MarkDeliveredAsync(delivery, outcome, CancellationToken.None);
            log.Succeed(logResponse);
            return;
        }

        outcome = outcome with { Error = error ?? $"The receiver answered {status}." };
        if (status == (int)HttpStatusCode.Gone)
        {
            var gone = $"The receiver answered 410 Gone: {delivery.TargetUrl} is disabled until it is re-enabled on the Webhooks page.";
            await _store.MarkDeadAsync(delivery, outcome with { Error = gone }, disableTarget: true, countFailure: true, CancellationToken.None);
            log.Error(gone);
            log.Fail(new LogError("webhook_target_gone", gone), logResponse);
            return;
        }

        var delay = _retryPolicy.NextDelay(delivery.Attempt, retryAfter);
        if (delay is { } next)
        {
            await _store.MarkRetryAsync(delivery, outcome, next, CancellationToken.None);
            log.Warn($"Attempt {delivery.Attempt} of {_options.MaxAttempts} failed ({outcome.Error}); next attempt in {Math.Ceiling(next.TotalSeconds):0} s.");
            log.Fail(new LogError("webhook_delivery_failed", outcome.Error!), logResponse);
        }
        else
        {
            var dead = $"Dead-lettered after {delivery.Attempt} attempts: {outcome.Error}";
            await _store.MarkDeadAsync(delivery, outcome with { Error = dead }, disableTarget: false, countFailure: true, CancellationToken.None);
            log.Error(dead);
            log.Fail(new LogError("webhook_dead_lettered", dead), logResponse);
        }
    }

    private static LogOperationKind OperationKind(ClaimedDelivery delivery) => delivery.EventType switch
    {
        "auth" when delivery.Body.Contains("\"operation\":\"refresh\"", StringComparison.Ordinal) => LogOperationKinds.WebhookConnectionRefresh,
        "auth" => LogOperationKinds.WebhookConnectionCreate,
        "sync" => LogOperationKinds.WebhookSync,
        "forward" => LogOperationKinds.WebhookForward,
        "async_action" => LogOperationKinds.WebhookAsyncAction,
        _ => LogOperationKinds.WebhookTest,
    };

    /// <summary><c>Retry-After</c> as seconds or a date; honoured on any failing status (429 and 503 send it).</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
        return null;
    }

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[ResponseExcerptLength];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    private string Unprotect(string ciphertext) => _keys.GetOrAdd(ciphertext, c => _protector.Unprotect(c));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claiming webhook deliveries failed; retrying after the poll interval")]
    private partial void LogClaimFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook delivery {DeliveryId} failed unexpectedly; it will be retried when its claim expires")]
    private partial void LogDeliveryCrashed(Exception exception, long deliveryId);
}
