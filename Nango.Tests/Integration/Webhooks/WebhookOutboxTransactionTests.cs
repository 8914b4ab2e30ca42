using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>An event exists exactly when the change that caused it committed: the outbox shares the caller's transaction.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookOutboxTransactionTests : IAsyncLifetime
{
    private readonly NangoWebFactory _web = new();
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
    public async Task A_transaction_that_rolls_back_publishes_nothing()
    {
        var env = await PointAtAsync(_web, _receiver.Url.ToString());
        var connection = (await CreateConnectionsAsync(_web, "github", "rollback-conn"))[0];
        var publisher = _web.Services.GetRequiredService<WebhookPublisher>();

        await using (var db = await CreateDbAsync(_web))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(Ct);
            Assert.Equal(1, await publisher.PublishAsync(db, Sequenced(env, connection, 1), Ct));
            await db.SaveChangesAsync(Ct);
            await transaction.RollbackAsync(Ct);
        }
        // A committed event of the same connection after it: had the first one survived, ordering would send it first.
        var marker = await PublishAsync(_web, Sequenced(env, connection, 2));
        var arrived = await _receiver.NextAsync();

        Assert.Equal(("rollback-conn", 2), ReadSequenced(arrived));
        Assert.Equal(marker.Select(m => m.Id), (await DeliveriesAsync(_web)).Select(d => d.Id));
        await WaitForStatusAsync(_web, WebhookDeliveryStatus.Delivered, marker.Select(m => m.Id));
        Assert.Single(_receiver.All);
    }

    [Fact]
    public async Task An_event_is_sent_only_after_its_transaction_commits()
    {
        var env = await PointAtAsync(_web, _receiver.Url.ToString());
        var connections = await CreateConnectionsAsync(_web, "github", "slow-tx", "other-tx");
        var publisher = _web.Services.GetRequiredService<WebhookPublisher>();

        await using var db = await CreateDbAsync(_web);
        await using var transaction = await db.Database.BeginTransactionAsync(Ct);
        await publisher.PublishAsync(db, Sequenced(env, connections[0], 1), Ct);
        await db.SaveChangesAsync(Ct);

        // Another event committed meanwhile is claimed and sent; the uncommitted one is invisible to that claim.
        await PublishAsync(_web, Sequenced(env, connections[1], 1));
        Assert.Equal(("other-tx", 1), ReadSequenced(await _receiver.NextAsync()));
        Assert.Single(_receiver.All);

        await transaction.CommitAsync(Ct);
        Assert.Equal(("slow-tx", 1), ReadSequenced(await _receiver.NextAsync()));
        Assert.Equal(2, _receiver.All.Count);
    }
}
