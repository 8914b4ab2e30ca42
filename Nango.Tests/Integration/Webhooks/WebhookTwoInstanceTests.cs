using System.Collections.Concurrent;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>Two Nango.Web instances on one database share the outbox: every event is sent once, in order per connection.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookTwoInstanceTests : IAsyncLifetime
{
    private const int Connections = 10;
    private const int EventsPerConnection = 20;
    private const int UnorderedEvents = 100;

    private readonly NangoWebFactory _first = new();
    private NangoWebFactory _second = null!;
    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _first.InitializeAsync();
        _second = new NangoWebFactory().SharingDatabaseWith(_first);
        await _second.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task Each_of_300_events_is_delivered_exactly_once()
    {
        var counts = new ConcurrentDictionary<string, int>();
        _receiver.Respond = (request, _) =>
        {
            counts.AddOrUpdate(request.Header("webhook-id")!, 1, (_, n) => n + 1);
            return Task.FromResult(200);
        };
        var env = await PointAtAsync(_first, _receiver.Url.ToString());
        var connections = await CreateConnectionsAsync(_first, "github", [.. Enumerable.Range(1, Connections).Select(i => $"pair-{i}")]);

        // Published through both instances, in several transactions, while both deliver.
        var published = new List<WebhookDelivery>();
        for (var seq = 1; seq <= EventsPerConnection; seq++)
        {
            var through = seq % 2 == 0 ? _first : _second;
            published.AddRange(await PublishAsync(through, [.. connections.Select(c => Sequenced(env, c, seq)), .. Enumerable.Range(0, UnorderedEvents / EventsPerConnection).Select(i => Unordered(env, $"u-{seq}-{i}"))]));
        }
        Assert.Equal(300, published.Count);

        await WaitForStatusAsync(_first, WebhookDeliveryStatus.Delivered, published.Select(p => p.Id), TimeSpan.FromSeconds(60));

        Assert.Equal(published.Select(p => p.EventId.ToString()).Order(), counts.Keys.Order());
        Assert.All(counts, c => Assert.True(c.Value == 1, $"{c.Key} arrived {c.Value} times"));
        Assert.Equal(300, _receiver.All.Count);
        foreach (var connection in connections)
        {
            var seqs = _receiver.All.Where(a => a.BodyText.Contains("\"forward\"", StringComparison.Ordinal))
                .Select(ReadSequenced).Where(s => s.ConnectionId == connection.ConnectionId).Select(s => s.Seq).ToList();
            Assert.Equal(Enumerable.Range(1, EventsPerConnection), seqs);
        }
    }
}
