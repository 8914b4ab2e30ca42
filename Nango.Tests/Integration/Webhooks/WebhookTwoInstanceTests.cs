using System.Collections.Concurrent;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using Npgsql;
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

        // Everything is queued first, behind the target's circuit held open, so both instances then race for
        // 300 due events at once (20 per connection) instead of each event being sent as it is published.
        await HoldCircuitAsync(_first, env.EnvironmentId, _receiver.Url.ToString(), TimeSpan.FromHours(1));
        var published = new List<WebhookDelivery>();
        for (var seq = 1; seq <= EventsPerConnection; seq++)
        {
            var through = seq % 2 == 0 ? _first : _second;
            published.AddRange(await PublishAsync(through, [.. connections.Select(c => Sequenced(env, c, seq)), .. Enumerable.Range(0, UnorderedEvents / EventsPerConnection).Select(i => Unordered(env, $"u-{seq}-{i}"))]));
        }
        Assert.Equal(300, published.Count);
        Assert.Empty(_receiver.All);
        await HoldCircuitAsync(_first, env.EnvironmentId, _receiver.Url.ToString(), null);

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

    /// <summary>Opens (or, with null, closes) a target's circuit and wakes every instance's worker.</summary>
    private static async Task HoldCircuitAsync(NangoWebFactory web, int environmentId, string url, TimeSpan? holdFor)
    {
        await using var connection = new NpgsqlConnection(web.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO webhook_targets (environment_id, url, consecutive_failures, circuit_open_until)
            VALUES ($1, $2, 0, now() + $3)
            ON CONFLICT (environment_id, url) DO UPDATE SET circuit_open_until = excluded.circuit_open_until
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = environmentId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = url });
        command.Parameters.Add(new NpgsqlParameter { Value = holdFor.HasValue ? holdFor.Value : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
        await command.ExecuteNonQueryAsync(Ct);
        await using var wake = new NpgsqlCommand($"NOTIFY {WebhookWakeup.Channel}", connection);
        await wake.ExecuteNonQueryAsync(Ct);
    }
}
