using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Logs;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using Npgsql;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>How one delivery reacts to each way a receiver can fail, and what the outbox records about it.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookFailureTests : IAsyncLifetime
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(200);

    private readonly WebhookFactory _web = new(
        ("Nango:Webhooks:RetryBaseDelay", "00:00:00.200"),
        ("Nango:Webhooks:RetryMaxDelay", "00:00:05"),
        ("Nango:Webhooks:MaxAttempts", "3"),
        ("Nango:Webhooks:Timeout", "00:00:01"),
        ("Nango:Webhooks:CircuitBreakerThreshold", "100000"));

    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task A_500_is_retried_after_the_backoff_and_every_attempt_is_recorded()
    {
        var calls = 0;
        _receiver.Respond = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1 ? 500 : 200);
        var env = await PointAtAsync(_web, _receiver.Url.ToString());

        var delivery = (await PublishAsync(_web, Unordered(env, "five-hundred")))[0];
        var row = (await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, [delivery.Id]))[0];

        Assert.Equal(2, row.Attempts);
        Assert.Equal(200, row.LastStatusCode);
        Assert.Null(row.LastError);
        Assert.NotNull(row.DeliveredAt);
        var arrivals = _receiver.All.ToList();
        Assert.Equal(2, arrivals.Count);
        Assert.All(arrivals, a => Assert.Equal(delivery.EventId.ToString(), a.Header("webhook-id")));
        Assert.True(arrivals[1].ReceivedAt - arrivals[0].ReceivedAt >= BaseDelay * 0.75, "the retry waited for the backoff");

        // Each attempt is an operation in Logs: the failure with the receiver's status, then the success.
        var states = await WaitForAsync(async () =>
        {
            var found = await LogStatesAsync(delivery.EventId);
            return found.Count == 2 && !found.Contains(OperationStates.Running) ? found : null;
        }, "both attempts to be logged");
        Assert.Equal([OperationStates.Failed, OperationStates.Success], states);
    }

    [Fact]
    public async Task A_429_with_Retry_After_is_retried_no_sooner_than_the_receiver_asked()
    {
        var calls = 0;
        _receiver.Respond = (_, context) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.Headers.RetryAfter = "2";
                return Task.FromResult(429);
            }
            return Task.FromResult(200);
        };
        var env = await PointAtAsync(_web, _receiver.Url.ToString());

        var delivery = (await PublishAsync(_web, Unordered(env, "throttled")))[0];
        var waiting = await WaitForAsync(async () =>
        {
            var r = await DeliveryAsync(_web, delivery.Id);
            return r is { Status: WebhookDeliveryStatus.Pending, Attempts: 1 } ? r : null;
        }, "the throttled attempt to be recorded");

        Assert.Equal(429, waiting.LastStatusCode);
        // The backoff alone would retry after ~200 ms; Retry-After: 2 pushes the next attempt two seconds out.
        var scheduled = waiting.NextAttemptAt - waiting.LastAttemptAt!.Value;
        Assert.InRange(scheduled, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4));

        await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, [delivery.Id]);
        var arrivals = _receiver.All.ToList();
        Assert.Equal(2, arrivals.Count);
        Assert.True(arrivals[1].ReceivedAt - arrivals[0].ReceivedAt >= TimeSpan.FromSeconds(1.95),
            $"retried after {(arrivals[1].ReceivedAt - arrivals[0].ReceivedAt).TotalMilliseconds:0} ms");
        Assert.True(arrivals[1].ReceivedAt >= waiting.NextAttemptAt.AddMilliseconds(-50));
    }

    [Fact]
    public async Task A_410_disables_the_target_until_it_is_re_enabled_and_the_dead_letters_replayed()
    {
        var gone = true;
        _receiver.Respond = (_, _) => Task.FromResult(Volatile.Read(ref gone) ? 410 : 200);
        var env = await PointAtAsync(_web, _receiver.Url.ToString());
        var url = _receiver.Url.ToString();

        var first = (await PublishAsync(_web, Unordered(env, "gone-1")))[0];
        var dead = (await WaitForStatusAsync(_web, WebhookDeliveryStatus.Dead, [first.Id]))[0];
        Assert.Equal(1, dead.Attempts);
        Assert.Equal(410, dead.LastStatusCode);
        var target = await TargetAsync(_web, url);
        Assert.NotNull(target?.DisabledAt);
        Assert.Contains("410", target.DisabledReason, StringComparison.Ordinal);

        // Later events to the disabled URL are dead-lettered without a request.
        var later = await PublishAsync(_web, Unordered(env, "gone-2"), Unordered(env, "gone-3"));
        var deadLater = await WaitForStatusAsync(_web, WebhookDeliveryStatus.Dead, later.Select(d => d.Id));
        Assert.All(deadLater, d => Assert.Contains("disabled", d.LastError, StringComparison.Ordinal));
        Assert.All(deadLater, d => Assert.Null(d.LastStatusCode));
        Assert.Single(_receiver.All);

        Volatile.Write(ref gone, false);
        var service = _web.Services.GetRequiredService<WebhookDeliveryService>();
        Assert.True(await service.EnableTargetAsync(env, url, Ct));
        Assert.Null((await TargetAsync(_web, url))!.DisabledAt);
        var ids = new[] { first.Id }.Concat(later.Select(d => d.Id)).ToList();
        Assert.Equal(3, await service.ReplayAsync(env, ids, Ct));

        var delivered = await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, ids);
        Assert.All(delivered, d => Assert.Equal(1, d.Attempts));
        var replayed = _receiver.All.Skip(1).Select(a => a.Header("webhook-id")!).Order().ToList();
        Assert.Equal(new[] { first }.Concat(later).Select(d => d.EventId.ToString()).Order().ToList(), replayed);
    }

    [Fact]
    public async Task A_receiver_slower_than_the_timeout_is_retried_and_the_timeout_recorded()
    {
        var calls = 0;
        string? errorSeenOnRetry = null;
        var arrivedAt = new ConcurrentQueue<DateTimeOffset>();
        long deliveryId = 0;
        _receiver.Respond = async (_, context) =>
        {
            arrivedAt.Enqueue(DateTimeOffset.UtcNow);
            if (Interlocked.Increment(ref calls) == 1)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // Nango gave up on the request, as it should.
                }
                return 200;
            }
            // While the retry is in flight the row still shows what went wrong with the attempt before.
            errorSeenOnRetry = (await DeliveryAsync(_web, Volatile.Read(ref deliveryId))).LastError;
            return 200;
        };
        var env = await PointAtAsync(_web, _receiver.Url.ToString());

        var delivery = (await PublishAsync(_web, Unordered(env, "slow")))[0];
        Volatile.Write(ref deliveryId, delivery.Id);
        var row = (await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, [delivery.Id]))[0];

        Assert.Equal(2, row.Attempts);
        Assert.Contains("No answer within 1 s", errorSeenOnRetry, StringComparison.Ordinal);
        var times = arrivedAt.ToList();
        Assert.Equal(2, times.Count);
        Assert.True(times[1] - times[0] >= TimeSpan.FromSeconds(1), "the first attempt was given the full timeout");
        Assert.True(times[1] - times[0] < TimeSpan.FromSeconds(8), "the first attempt was abandoned at the timeout, not when the receiver answered");
    }

    [Fact]
    public async Task After_MaxAttempts_failures_an_event_is_dead_lettered_and_a_replay_delivers_it()
    {
        var failing = true;
        _receiver.Respond = (_, _) => Task.FromResult(Volatile.Read(ref failing) ? 500 : 200);
        var env = await PointAtAsync(_web, _receiver.Url.ToString());

        var delivery = (await PublishAsync(_web, Unordered(env, "doomed")))[0];
        var dead = (await WaitForStatusAsync(_web, WebhookDeliveryStatus.Dead, [delivery.Id]))[0];

        Assert.Equal(3, dead.Attempts);
        Assert.Equal(500, dead.LastStatusCode);
        Assert.StartsWith("Dead-lettered after 3 attempts", dead.LastError, StringComparison.Ordinal);
        Assert.Equal(3, _receiver.All.Count);

        Volatile.Write(ref failing, false);
        Assert.Equal(1, await _web.Services.GetRequiredService<WebhookDeliveryService>().ReplayAsync(env, [delivery.Id], Ct));
        var delivered = (await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, [delivery.Id]))[0];

        Assert.Equal(1, delivered.Attempts);
        Assert.Equal(4, _receiver.All.Count);
        Assert.All(_receiver.All, a => Assert.Equal(delivery.EventId.ToString(), a.Header("webhook-id")));
    }

    private async Task<List<string>> LogStatesAsync(Guid eventId)
    {
        await using var connection = new NpgsqlConnection(_web.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT state FROM log_operations WHERE type = 'webhook' AND meta->>'event_id' = $1 ORDER BY created_at", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = eventId.ToString() });
        var states = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            states.Add(reader.GetString(0));
        }
        return states;
    }
}
