using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Persistence;
using Nango.Core.Webhooks;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>Nango.Web with the webhook settings a test class needs (short delays, small thresholds).</summary>
public sealed class WebhookFactory(params (string Key, string Value)[] settings) : NangoWebFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value));
}

/// <summary>Setting up environments, connections and events, and reading the outbox back, for the webhook tests.</summary>
internal static class WebhookHarness
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Points the dev environment's primary URL at <paramref name="url"/> with every toggle on.</summary>
    public static async Task<EnvironmentContext> PointAtAsync(NangoWebFactory web, string url, string? secondaryUrl = null)
    {
        var env = await web.GetEnvironmentAsync(web.SecretKey);
        await web.Services.GetRequiredService<EnvironmentService>()
            .UpdateWebhookSettingsAsync(env, new WebhookSettingsUpdate(url, secondaryUrl, true, true, true, true, true), Ct);
        return env;
    }

    /// <summary>Creates an integration and connections through the public API, then loads their rows.</summary>
    public static async Task<IReadOnlyList<Connection>> CreateConnectionsAsync(NangoWebFactory web, string integration, params string[] connectionIds)
    {
        using var api = web.CreateApiClient();
        await api.CreateIntegrationAsync(integration);
        foreach (var id in connectionIds)
        {
            await api.ImportConnectionAsync(integration, id);
        }
        var env = await web.GetEnvironmentAsync(web.SecretKey);
        await using var db = await CreateDbAsync(web);
        var rows = await db.Connections.AsNoTracking()
            .Where(c => c.EnvironmentId == env.EnvironmentId && connectionIds.Contains(c.ConnectionId))
            .ToListAsync(Ct);
        return connectionIds.Select(id => rows.Single(r => r.ConnectionId == id)).ToList();
    }

    public static Task<NangoDbContext> CreateDbAsync(NangoWebFactory web) =>
        web.Services.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContextAsync(Ct);

    /// <summary>Publishes the messages in one transaction, as a Core service would, and returns the outbox rows written.</summary>
    public static async Task<IReadOnlyList<WebhookDelivery>> PublishAsync(NangoWebFactory web, params WebhookMessage[] messages)
    {
        var publisher = web.Services.GetRequiredService<WebhookPublisher>();
        await using var db = await CreateDbAsync(web);
        foreach (var message in messages)
        {
            await publisher.PublishAsync(db, message, Ct);
        }
        await db.SaveChangesAsync(Ct);
        return db.ChangeTracker.Entries<WebhookDelivery>().Select(e => e.Entity).OrderBy(d => d.Id).ToList();
    }

    /// <summary>A forward event of a connection whose payload carries a sequence number, to check ordering.</summary>
    public static WebhookMessage Sequenced(EnvironmentContext env, Connection connection, int seq) =>
        new(env.EnvironmentId, WebhookTopic.Forward,
            WebhookPayloads.Forward("github", "github", connection.ConnectionId, new JsonObject { ["seq"] = seq }), connection);

    /// <summary>An event about no connection (no ordering key): the dashboard's test event.</summary>
    public static WebhookMessage Unordered(EnvironmentContext env, string label) =>
        new(env.EnvironmentId, WebhookTopic.Test, new JsonObject { ["from"] = "nango", ["type"] = "test", ["label"] = label });

    public static (string ConnectionId, int Seq) ReadSequenced(ReceivedWebhook received)
    {
        var body = JsonNode.Parse(received.Body)!;
        return ((string)body["connectionId"]!, (int)body["payload"]!["seq"]!);
    }

    public static async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync(NangoWebFactory web)
    {
        await using var db = await CreateDbAsync(web);
        return await db.WebhookDeliveries.AsNoTracking().OrderBy(d => d.Id).ToListAsync(Ct);
    }

    public static async Task<WebhookDelivery> DeliveryAsync(NangoWebFactory web, long id)
    {
        await using var db = await CreateDbAsync(web);
        return await db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == id, Ct);
    }

    public static async Task<WebhookTarget?> TargetAsync(NangoWebFactory web, string url)
    {
        await using var db = await CreateDbAsync(web);
        return await db.WebhookTargets.AsNoTracking().SingleOrDefaultAsync(t => t.Url == url, Ct);
    }

    /// <summary>Polls until every delivery with these ids has <paramref name="status"/>.</summary>
    public static async Task<IReadOnlyList<WebhookDelivery>> WaitForStatusAsync(NangoWebFactory web, string status, IEnumerable<long> ids, TimeSpan? timeout = null)
    {
        var wanted = ids.ToHashSet();
        return await WaitForAsync(async () =>
        {
            var rows = (await DeliveriesAsync(web)).Where(d => wanted.Contains(d.Id)).ToList();
            return rows.Count == wanted.Count && rows.All(r => r.Status == status) ? rows : null;
        }, $"deliveries {string.Join(',', wanted)} to be {status}", timeout);
    }

    /// <summary>Polls <paramref name="probe"/> every 50 ms until it returns a value, or fails the test after the timeout.</summary>
    public static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var deadline = DateTimeOffset.UtcNow + limit;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}.");
            }
            await Task.Delay(50, Ct);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitForAsync(() => Task.FromResult(condition() ? string.Empty : null), what, timeout);

    /// <summary>A loopback port nothing listens on (the receiver is "down").</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
