using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Persistence;
using Nango.Core.Webhooks;
using Npgsql;

namespace Nango.Bench;

/// <summary>
/// Scenario <c>webhooks</c>: Nango.Web's outgoing-webhook machinery (outbox rows, NOTIFY wake-up, SKIP LOCKED
/// claims, signing, HTTP, bookkeeping and a Logs operation per attempt) against a real Postgres, sending to a
/// loopback Kestrel receiver; baseline in the same run: the same receiver hit directly with HttpClient.
/// Measures throughput draining a queue of events, then publish→receipt latency one event at a time.
/// </summary>
internal static class WebhooksBenchmark
{
    private const string ThroughputGoal = "≥ 1,000 deliveries/s";
    private const string LatencyGoal = "p50 ≤ 50 ms";

    public static async Task<int> RunAsync(string[] args)
    {
        var events = BenchSupport.IntArg(args, "--events", 1000);
        var connections = BenchSupport.IntArg(args, "--connections", 100);
        var latencyEvents = BenchSupport.IntArg(args, "--latency-events", 300);
        var concurrency = BenchSupport.IntArg(args, "--concurrency", 32);
        var keep = args.Contains("--keep");
        var server = BenchSupport.Server;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var database = $"nango_bench_webhooks_{stamp.ToLowerInvariant()}";
        Console.WriteLine($"webhooks benchmark: {events:N0} queued events over {connections} connections, {concurrency} concurrent deliveries, " +
            $"{latencyEvents} sequential events for latency, {System.Environment.ProcessorCount} cores, Postgres {BenchSupport.Redact(server)}");

        await BenchSupport.CreateDatabaseAsync(server, database);
        await using var receiver = await Receiver.StartAsync();
        try
        {
            var body = SampleBody();

            // Baseline: the receiver alone, through a plain HttpClient with as many connections as Nango uses.
            using var direct = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseCookies = false });
            await DirectThroughputAsync(direct, receiver, body, 200, concurrency);
            var baselineThroughput = await DirectThroughputAsync(direct, receiver, body, events, concurrency);
            var baselineLatency = await DirectLatencyAsync(direct, receiver, body, latencyEvents);

            // Nango: the Core services as Nango.Web hosts them (AddNangoCore), without the scheduler, which plays no part.
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
            var secretKey = Guid.NewGuid().ToString();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Nango"] = BenchSupport.ConnectionString(server, database),
                ["Nango:EncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Nango:DataPath"] = Path.Combine(Path.GetTempPath(), database),
                ["Nango:Bootstrap:AdminEmail"] = "bench@example.com",
                ["Nango:Bootstrap:AdminPassword"] = "bench-password-1",
                ["Nango:Bootstrap:SecretKey"] = secretKey,
                ["Nango:Scheduling:Enabled"] = "false",
                ["Nango:Proxy:AllowPrivateNetworks"] = "true",
                ["Nango:Webhooks:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture),
            });
            builder.Services.AddNangoCore(builder.Configuration);
            // Identity (used by the bootstrap owner) needs data protection, which Nango.Web registers.
            builder.Services.AddDataProtection();
            using var host = builder.Build();
            await host.StartAsync();
            var environments = host.Services.GetRequiredService<EnvironmentService>();
            var env = await environments.FindBySecretKeyAsync(secretKey, CancellationToken.None)
                ?? throw new InvalidOperationException("The bootstrap environment was not created.");
            await environments.UpdateWebhookSettingsAsync(env, new WebhookSettingsUpdate(receiver.Url, null, true, true, true, true, true), CancellationToken.None);
            var contexts = host.Services.GetRequiredService<IDbContextFactory<NangoDbContext>>();
            var publisher = host.Services.GetRequiredService<WebhookPublisher>();
            // Events of one connection are delivered in order, so spread them over many (rows are not needed:
            // the publisher only reads the ids that make the ordering key).
            var owners = Enumerable.Range(0, connections)
                .Select(i => new Connection { EnvironmentId = env.EnvironmentId, IntegrationId = 1, ConnectionId = $"bench-{i}", CredentialsCiphertext = "" })
                .ToArray();

            var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
            await DrainAsync(contexts, dataSource, publisher, receiver, env, owners, 200);
            var (throughput, publishSeconds) = await DrainAsync(contexts, dataSource, publisher, receiver, env, owners, events);
            await LatencyAsync(contexts, publisher, receiver, env, owners, 20);
            var latency = await LatencyAsync(contexts, publisher, receiver, env, owners, latencyEvents);
            var outbox = await OutboxSummaryAsync(contexts);
            await host.StopAsync();

            var result = new JsonObject
            {
                ["scenario"] = "webhooks",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = System.Environment.ProcessorCount,
                // The 1/5/15-minute load average at the end: other work on the machine competes for the cores.
                ["loadAverage"] = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null,
                ["events"] = events,
                ["connections"] = connections,
                ["concurrency"] = concurrency,
                ["bodyBytes"] = Encoding.UTF8.GetByteCount(body),
                ["throughput"] = new JsonObject
                {
                    ["nangoDeliveriesPerSecond"] = Math.Round(throughput.PerSecond),
                    ["nangoSeconds"] = BenchSupport.Round(throughput.Seconds),
                    ["directRequestsPerSecond"] = Math.Round(baselineThroughput.PerSecond),
                    ["directSeconds"] = BenchSupport.Round(baselineThroughput.Seconds),
                    ["nangoVsDirect"] = BenchSupport.Round(throughput.PerSecond / baselineThroughput.PerSecond),
                    ["duplicates"] = throughput.Duplicates,
                    // Queuing the events (PublishAsync + one SaveChanges) before the drain, not part of it.
                    ["publishSeconds"] = BenchSupport.Round(publishSeconds),
                    // CPU of this process (Nango and the receiver; Postgres not included) per delivery or request:
                    // on a machine shared with other work, the rates above vary with the load and this does not.
                    ["nangoCpuMsPerDelivery"] = BenchSupport.Round(throughput.CpuMsPerItem),
                    ["directCpuMsPerRequest"] = BenchSupport.Round(baselineThroughput.CpuMsPerItem),
                },
                ["latency"] = new JsonObject
                {
                    ["events"] = latencyEvents,
                    ["nangoPublishToReceipt"] = Percentiles(latency),
                    ["directRequest"] = Percentiles(baselineLatency),
                },
                ["outbox"] = outbox,
            };
            Print(result);
            Console.WriteLine($"results: {BenchSupport.WriteResult(result, "webhooks", stamp)}");
            return 0;
        }
        finally
        {
            if (!keep)
            {
                await BenchSupport.DropDatabaseAsync(server, database);
            }
        }
    }

    private sealed record Throughput(double Seconds, double PerSecond, int Duplicates, double CpuMsPerItem);

    /// <summary>
    /// Queues <paramref name="count"/> events in one transaction while the receiver's circuit is held open (so
    /// nothing is sent yet), then closes the circuit, wakes the workers and times until the last receipt: the
    /// drain rate of a full queue, without the publisher's own cost, which is reported separately.
    /// </summary>
    private static async Task<(Throughput Drain, double PublishSeconds)> DrainAsync(
        IDbContextFactory<NangoDbContext> contexts, NpgsqlDataSource dataSource, WebhookPublisher publisher, Receiver receiver,
        EnvironmentContext env, Connection[] owners, int count)
    {
        await ExecuteAsync(dataSource, $"""
            INSERT INTO webhook_targets (environment_id, url, consecutive_failures, circuit_open_until)
            VALUES ({env.EnvironmentId}, '{receiver.Url}', 0, now() + interval '1 hour')
            ON CONFLICT (environment_id, url) DO UPDATE SET circuit_open_until = now() + interval '1 hour'
            """);
        var publishing = Stopwatch.StartNew();
        List<string> ids;
        await using (var db = await contexts.CreateDbContextAsync())
        {
            for (var i = 0; i < count; i++)
            {
                await publisher.PublishAsync(db, SyncEvent(env, owners[i % owners.Length], i), CancellationToken.None);
            }
            ids = db.ChangeTracker.Entries<WebhookDelivery>().Select(e => e.Entity.EventId.ToString()).ToList();
            await db.SaveChangesAsync();
        }
        publishing.Stop();

        var done = receiver.Expect(ids);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await ExecuteAsync(dataSource, $"""
            UPDATE webhook_targets SET circuit_open_until = NULL WHERE environment_id = {env.EnvironmentId};
            NOTIFY {WebhookWakeup.Channel};
            """);
        await done.WaitAsync(TimeSpan.FromMinutes(5));
        watch.Stop();
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        return (new Throughput(watch.Elapsed.TotalSeconds, count / watch.Elapsed.TotalSeconds, receiver.Duplicates(ids), cpuMs / count), publishing.Elapsed.TotalSeconds);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One event at a time on an empty queue: from the publish call to the receiver reading the request.</summary>
    private static async Task<List<double>> LatencyAsync(
        IDbContextFactory<NangoDbContext> contexts, WebhookPublisher publisher, Receiver receiver, EnvironmentContext env, Connection[] owners, int count)
    {
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await using var db = await contexts.CreateDbContextAsync();
            await publisher.PublishAsync(db, SyncEvent(env, owners[i % owners.Length], i), CancellationToken.None);
            var id = db.ChangeTracker.Entries<WebhookDelivery>().Single().Entity.EventId.ToString();
            var arrived = receiver.Expect([id]);
            await db.SaveChangesAsync();
            await arrived.WaitAsync(TimeSpan.FromSeconds(30));
            samples.Add(Stopwatch.GetElapsedTime(started, receiver.ReceivedAt(id)).TotalMilliseconds);
        }
        return samples;
    }

    private static async Task<Throughput> DirectThroughputAsync(HttpClient client, Receiver receiver, string body, int count, int concurrency)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid().ToString()).ToList();
        var done = receiver.Expect(ids);
        var next = -1;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await PostAsync(client, receiver, body, ids[i]);
            }
        }));
        await done;
        watch.Stop();
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        return new Throughput(watch.Elapsed.TotalSeconds, count / watch.Elapsed.TotalSeconds, receiver.Duplicates(ids), cpuMs / count);
    }

    private static async Task<List<double>> DirectLatencyAsync(HttpClient client, Receiver receiver, string body, int count)
    {
        for (var i = 0; i < 20; i++)
        {
            await PostAsync(client, receiver, body, Guid.NewGuid().ToString());
        }
        var samples = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid().ToString();
            var started = Stopwatch.GetTimestamp();
            await PostAsync(client, receiver, body, id);
            samples.Add(Stopwatch.GetElapsedTime(started, receiver.ReceivedAt(id)).TotalMilliseconds);
        }
        return samples;
    }

    private static async Task PostAsync(HttpClient client, Receiver receiver, string body, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(WebhookSigner.IdHeader, id);
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static WebhookMessage SyncEvent(EnvironmentContext env, Connection owner, int i) => new(
        env.EnvironmentId,
        WebhookTopic.SyncSuccess,
        WebhookPayloads.SyncSuccess(new SyncWebhookEvent(owner.ConnectionId, "github", "issues", "base", "Issue", "INCREMENTAL"),
            new SyncResultCounts(i % 50, i % 7, 0), DateTimeOffset.UtcNow),
        owner);

    private static string SampleBody() => WebhookPayloads.Serialize(WebhookPayloads.SyncSuccess(
        new SyncWebhookEvent("bench-0", "github", "issues", "base", "Issue", "INCREMENTAL"), new SyncResultCounts(12, 3, 0), DateTimeOffset.UtcNow));

    private static async Task<JsonObject> OutboxSummaryAsync(IDbContextFactory<NangoDbContext> contexts)
    {
        await using var db = await contexts.CreateDbContextAsync();
        var byStatus = await db.WebhookDeliveries.GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync();
        var retried = await db.WebhookDeliveries.CountAsync(d => d.Attempts > 1);
        var summary = new JsonObject(byStatus.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Count)))
        {
            ["retried"] = retried,
        };
        return summary;
    }

    private static JsonObject Percentiles(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        return new JsonObject { ["p50Ms"] = BenchSupport.Round(At(0.50)), ["p99Ms"] = BenchSupport.Round(At(0.99)), ["maxMs"] = BenchSupport.Round(sorted[^1]) };
    }

    private static void Print(JsonObject result)
    {
        var t = result["throughput"]!;
        var l = result["latency"]!;
        var nango = l["nangoPublishToReceipt"]!;
        var direct = l["directRequest"]!;
        Console.WriteLine();
        Console.WriteLine("| measure | Nango | direct HttpClient (baseline) | goal |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| throughput, {result["events"]} events, {result["concurrency"]} concurrent | {(double)t["nangoDeliveriesPerSecond"]!:N0} deliveries/s ({t["nangoSeconds"]} s) | {(double)t["directRequestsPerSecond"]!:N0} requests/s ({t["directSeconds"]} s) | {ThroughputGoal} |");
        Console.WriteLine($"| queuing the events first (PublishAsync + SaveChanges, not timed above) | {t["publishSeconds"]} s | | |");
        Console.WriteLine($"| process CPU per delivery (Postgres excluded) | {t["nangoCpuMsPerDelivery"]} ms | {t["directCpuMsPerRequest"]} ms | |");
        Console.WriteLine($"| latency p50, one at a time | {nango["p50Ms"]} ms (publish → receipt) | {direct["p50Ms"]} ms (request → receipt) | {LatencyGoal} |");
        Console.WriteLine($"| latency p99 | {nango["p99Ms"]} ms | {direct["p99Ms"]} ms | |");
        Console.WriteLine($"| latency max | {nango["maxMs"]} ms | {direct["maxMs"]} ms | |");
        Console.WriteLine($"| load average (1/5/15 min) | {result["loadAverage"]} on {result["cores"]} cores | | |");
        Console.WriteLine($"| outbox after the run | {result["outbox"]!.ToJsonString()}; duplicates received: {t["duplicates"]} | | |");
    }

    /// <summary>A loopback receiver that answers 200 and notes when each webhook-id first arrived.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, long> _arrivals = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, Waiter> _waiting = new(StringComparer.Ordinal);

        private Receiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.Run(receiver.HandleAsync);
            await app.StartAsync();
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";
            return receiver;
        }

        /// <summary>Completes when every one of <paramref name="ids"/> has arrived.</summary>
        public Task Expect(List<string> ids)
        {
            var waiter = new Waiter(ids.Count);
            foreach (var id in ids)
            {
                _waiting[id] = waiter;
            }
            foreach (var id in ids)
            {
                if (_arrivals.ContainsKey(id) && _waiting.TryRemove(id, out var w))
                {
                    w.Arrived();
                }
            }
            return waiter.Task;
        }

        public long ReceivedAt(string id) => _arrivals[id];

        public int Duplicates(IEnumerable<string> ids) => ids.Sum(id => Math.Max(0, _counts.GetValueOrDefault(id) - 1));

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task HandleAsync(HttpContext context)
        {
            // Read the whole body, as a real receiver verifying a signature must.
            var buffer = new byte[16 * 1024];
            while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
            {
            }
            var id = context.Request.Headers[WebhookSigner.IdHeader].ToString();
            var at = Stopwatch.GetTimestamp();
            _counts.AddOrUpdate(id, 1, (_, n) => n + 1);
            if (_arrivals.TryAdd(id, at) && _waiting.TryRemove(id, out var waiter))
            {
                waiter.Arrived();
            }
            context.Response.StatusCode = StatusCodes.Status200OK;
        }

        private sealed class Waiter(int count)
        {
            private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
            private int _left = count;

            public Task Task => _done.Task;

            public void Arrived()
            {
                if (Interlocked.Decrement(ref _left) == 0)
                {
                    _done.TrySetResult();
                }
            }
        }
    }
}
