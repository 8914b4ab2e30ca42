using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>
/// A receiver that is down for a while loses nothing: once it is back, every pending event arrives, in order per
/// connection, and each is accepted exactly once (refused attempts are the documented at-least-once retries).
/// </summary>
[Trait("Category", "Integration")]
public sealed class WebhookRecoveryTests : IAsyncLifetime
{
    private const int EventsPerConnection = 4;

    // Fast retries, and a breaker that never opens: these tests are about the queue, not about backing off.
    private readonly WebhookFactory _web = new(
        ("Nango:Webhooks:RetryBaseDelay", "00:00:00.200"),
        ("Nango:Webhooks:RetryMaxDelay", "00:00:00.500"),
        ("Nango:Webhooks:MaxAttempts", "1000"),
        ("Nango:Webhooks:CircuitBreakerThreshold", "100000"));

    private WebhookReceiver? _receiver;

    public ValueTask InitializeAsync() => _web.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
    }

    [Fact]
    public async Task Events_queued_while_nothing_listens_all_arrive_once_in_order_per_connection_when_the_receiver_starts()
    {
        var port = FreePort();
        var env = await PointAtAsync(_web, $"http://127.0.0.1:{port}/hooks");
        var connections = await CreateConnectionsAsync(_web, "github", "down-a", "down-b", "down-c");
        var published = await PublishInterleavedAsync(env, connections);

        // While nothing listens, the head event of each connection is retried and the ones behind it wait.
        var heads = connections.Select(c => published.First(p => p.ConnectionId == c.Id).Id).ToHashSet();
        var waiting = await WaitForAsync(async () =>
        {
            var rows = await DeliveriesAsync(_web);
            return rows.Where(r => heads.Contains(r.Id)).All(r => r.Attempts >= 2) ? rows : null;
        }, "every connection's first event to have failed twice");
        Assert.All(waiting.Where(r => heads.Contains(r.Id)), r => Assert.Contains("127.0.0.1", r.LastError, StringComparison.Ordinal));
        Assert.All(waiting.Where(r => !heads.Contains(r.Id)), r => Assert.Equal(0, r.Attempts));

        _receiver = await WebhookReceiver.StartAsync(port);
        var delivered = await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, published.Select(p => p.Id));

        var arrivals = _receiver.All.ToList();
        Assert.Equal(published.Select(p => p.EventId.ToString()).Order(), arrivals.Select(a => a.Header("webhook-id")!).Order());
        AssertInOrderPerConnection(arrivals, connections);
        Assert.All(delivered.Where(r => !heads.Contains(r.Id)), r => Assert.Equal(1, r.Attempts));
    }

    [Fact]
    public async Task Events_refused_with_503_are_retried_and_each_is_accepted_exactly_once_in_order()
    {
        _receiver = await WebhookReceiver.StartAsync();
        var refusing = true;
        var answers = new ConcurrentQueue<(ReceivedWebhook Request, int Status)>();
        _receiver.Respond = (request, _) =>
        {
            var status = Volatile.Read(ref refusing) ? 503 : 200;
            answers.Enqueue((request, status));
            return Task.FromResult(status);
        };
        var env = await PointAtAsync(_web, _receiver.Url.ToString());
        var connections = await CreateConnectionsAsync(_web, "github", "busy-a", "busy-b", "busy-c");
        var published = await PublishInterleavedAsync(env, connections);

        await WaitUntilAsync(() => answers.Count >= 9, "nine refused attempts");
        Volatile.Write(ref refusing, false);
        await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, published.Select(p => p.Id));

        var all = answers.ToList();
        var accepted = all.Where(a => a.Status == 200).Select(a => a.Request).ToList();
        // Exactly once after success: one 200 per event, none for anything not published.
        Assert.Equal(published.Select(p => p.EventId.ToString()).Order(), accepted.Select(a => a.Header("webhook-id")!).Order());
        AssertInOrderPerConnection(accepted, connections);
        // Refusals only ever repeat the connection's oldest unaccepted event: nothing overtakes it, even on retry.
        AssertInOrderPerConnection(all.Select(a => a.Request).ToList(), connections, allowRepeats: true);
        Assert.Contains(all, a => a.Status == 503);
        // Every attempt, retries included, is signed afresh: each verifies on arrival as a receiver checks it.
        var secret = WebhookSigner.StandardWebhooksSecret(await _web.Services.GetRequiredService<EnvironmentService>().RevealWebhookSigningKeyAsync(env, Ct));
        Assert.All(all, a => Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify(secret, a.Request.Headers, a.Request.Body, a.Request.ReceivedAt)));
    }

    private async Task<IReadOnlyList<WebhookDelivery>> PublishInterleavedAsync(EnvironmentContext env, IReadOnlyList<Connection> connections)
    {
        var published = new List<WebhookDelivery>();
        for (var seq = 1; seq <= EventsPerConnection; seq++)
        {
            foreach (var connection in connections)
            {
                // One transaction per event, as separate changes in the product would be.
                published.AddRange(await PublishAsync(_web, Sequenced(env, connection, seq)));
            }
        }
        Assert.Equal(connections.Count * EventsPerConnection, published.Count);
        return published;
    }

    private static void AssertInOrderPerConnection(IReadOnlyList<ReceivedWebhook> arrivals, IReadOnlyList<Connection> connections, bool allowRepeats = false)
    {
        foreach (var connection in connections)
        {
            var seqs = arrivals.Select(ReadSequenced).Where(s => s.ConnectionId == connection.ConnectionId).Select(s => s.Seq).ToList();
            var expected = Enumerable.Range(1, EventsPerConnection).ToList();
            Assert.Equal(expected, allowRepeats ? seqs.Distinct().ToList() : seqs);
            Assert.True(seqs.Zip(seqs.Skip(1)).All(p => p.First <= p.Second), $"{connection.ConnectionId} arrived out of order: {string.Join(',', seqs)}");
        }
    }
}
