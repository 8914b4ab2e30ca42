using System.Collections.Concurrent;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>A failing receiver is left alone for the cooldown once its circuit opens, then gets everything.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookCircuitBreakerTests : IAsyncLifetime
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(3);

    private readonly WebhookFactory _web = new(
        ("Nango:Webhooks:RetryBaseDelay", "00:00:00.100"),
        ("Nango:Webhooks:RetryMaxDelay", "00:00:00.200"),
        ("Nango:Webhooks:MaxAttempts", "100"),
        ("Nango:Webhooks:CircuitBreakerThreshold", "3"),
        ("Nango:Webhooks:CircuitBreakerCooldown", "00:00:03"));

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
    public async Task The_circuit_opens_after_the_threshold_and_no_request_is_made_during_the_cooldown()
    {
        // The first three requests fail and open the circuit; from then on the receiver would accept, so only the
        // open circuit can hold the events back.
        var calls = 0;
        var answers = new ConcurrentQueue<(DateTimeOffset At, string EventId, int Status)>();
        _receiver.Respond = (request, _) =>
        {
            var status = Interlocked.Increment(ref calls) <= 3 ? 500 : 200;
            answers.Enqueue((request.ReceivedAt, request.Header("webhook-id")!, status));
            return Task.FromResult(status);
        };
        var env = await PointAtAsync(_web, _receiver.Url.ToString());
        var url = _receiver.Url.ToString();

        var first = (await PublishAsync(_web, Unordered(env, "breaker-1")))[0];
        await WaitUntilAsync(() => answers.Count >= 3, "three failed attempts");
        var target = await WaitForAsync(async () => await TargetAsync(_web, url) is { CircuitOpenUntil: not null } t ? t : null, "the circuit to open");
        Assert.Equal(3, target.ConsecutiveFailures);
        Assert.InRange(target.CircuitOpenUntil!.Value - target.LastFailureAt!.Value, Cooldown - TimeSpan.FromMilliseconds(50), Cooldown + TimeSpan.FromMilliseconds(50));

        // An event published while the circuit is open waits too.
        var second = (await PublishAsync(_web, Unordered(env, "breaker-2")))[0];
        await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, [first.Id, second.Id], TimeSpan.FromSeconds(20));

        var all = answers.ToList();
        Assert.Equal(3, all.Count(a => a.Status == 500));
        var afterOpening = all.Skip(3).ToList();
        Assert.Equal(2, afterOpening.Count);
        Assert.All(afterOpening, a => Assert.Equal(200, a.Status));
        // Nothing reached the receiver before the cooldown ended (50 ms of slack between the two clocks' readings).
        Assert.All(afterOpening, a => Assert.True(a.At >= target.CircuitOpenUntil.Value.AddMilliseconds(-50),
            $"a request arrived {(target.CircuitOpenUntil.Value - a.At).TotalMilliseconds:0} ms before the circuit closed"));
        Assert.True(afterOpening[0].At - all[2].At >= Cooldown - TimeSpan.FromMilliseconds(100));

        var closed = await TargetAsync(_web, url);
        Assert.Equal(0, closed!.ConsecutiveFailures);
        Assert.Null(closed.CircuitOpenUntil);
        Assert.NotNull(closed.LastSuccessAt);
    }
}
