using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core;
using Nango.Core.Environments;
using Nango.Core.Persistence;
using Nango.Core.Syncs.Schedules;
using Npgsql;

namespace Nango.Bench;

/// <summary>
/// Scenario <c>scheduler</c>: the sync scheduler as Nango.Web runs it (the clustered Quartz tick every second, one
/// statement per tick) over N schedules at 30 s spread over the interval, with a loop standing in for the runs (it ends
/// every enqueued task at once, so every schedule runs at every slot). Measures the enqueue lag (task created_at −
/// the slot it was due at), the tick's database time per second, and the burst of a deploy onto every connection at
/// once; baseline in the same run: a plain INSERT … SELECT of the same numbers of rows into a copy of the task table.
/// </summary>
internal static class SchedulerBenchmark
{
    private const string LagGoal = "p99 ≤ 1 s";
    private const int EverySeconds = 30;

    public static async Task<int> RunAsync(string[] args)
    {
        var schedules = BenchSupport.IntArg(args, "--schedules", 10_000);
        var duration = BenchSupport.IntArg(args, "--duration", 95);
        var keep = args.Contains("--keep");
        var server = BenchSupport.Server;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var database = $"nango_bench_scheduler_{stamp.ToLowerInvariant()}";
        Console.WriteLine($"scheduler benchmark: {schedules:N0} schedules every {EverySeconds} s for {duration} s, {System.Environment.ProcessorCount} cores, Postgres {BenchSupport.Redact(server)}");

        await BenchSupport.CreateDatabaseAsync(server, database);
        try
        {
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
                // The tick enqueues; nothing runs the tasks (the completion loop below ends them).
                ["Nango:Functions:DispatchEnabled"] = "false",
            });
            builder.Services.AddNangoCore(builder.Configuration);
            builder.Services.AddDataProtection();
            using var host = builder.Build();
            await host.StartAsync();
            var env = await host.Services.GetRequiredService<EnvironmentService>().FindBySecretKeyAsync(secretKey, CancellationToken.None)
                ?? throw new InvalidOperationException("The bootstrap environment was not created.");
            var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
            var scheduler = host.Services.GetRequiredService<SyncScheduler>();
            // Real ciphertext, so the maintenance jobs (credential re-encryption) see valid rows.
            var credentials = host.Services.GetRequiredService<Nango.Core.Secrets.SecretProtector>().Protect("""{"type":"NONE"}""");
            await SeedAsync(dataSource, env, schedules, credentials);

            // Burst: a deploy onto every connection makes every schedule due at once; the next tick enqueues them all.
            var creation = Stopwatch.StartNew();
            await using (var db = await host.Services.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContextAsync())
            {
                await SyncScheduleWriter.ReconcileEnvironmentAsync(db, env.EnvironmentId, CancellationToken.None);
            }
            creation.Stop();
            var beforeBurst = scheduler.Stats;
            while (await ScalarAsync<long>(dataSource, "SELECT count(*) FROM function_tasks WHERE kind = 'sync'") < schedules)
            {
                await Task.Delay(100);
            }
            await Task.Delay(1500);
            var burst = Delta(scheduler.Stats, beforeBurst);
            var burstLag = await LagAsync(dataSource, DateTimeOffset.MinValue);
            await ExecuteAsync(dataSource, "UPDATE function_tasks SET state = 'SUCCEEDED', ended_at = now() WHERE kind = 'sync' AND state = 'CREATED'");

            // Steady state: the schedules spread over one interval, 1/30 of them due each second.
            await ExecuteAsync(dataSource, $"""
                UPDATE sync_schedules s SET next_run_at = date_trunc('second', now()) + make_interval(secs => 3 + n.k % {EverySeconds})
                FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM sync_schedules) n WHERE n.id = s.id
                """);
            var steadyFrom = await ScalarAsync<DateTime>(dataSource, "SELECT min(next_run_at) FROM sync_schedules");
            using var stop = new CancellationTokenSource();
            var completing = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await ExecuteAsync(dataSource, "UPDATE function_tasks SET state = 'SUCCEEDED', ended_at = now() WHERE kind = 'sync' AND state = 'CREATED'");
                    await Task.Delay(250);
                }
            });
            var beforeSteady = scheduler.Stats;
            var wall = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(duration));
            var steady = Delta(scheduler.Stats, beforeSteady);
            wall.Stop();
            await stop.CancelAsync();
            await completing;
            var steadyLag = await LagAsync(dataSource, new DateTimeOffset(steadyFrom, TimeSpan.Zero));
            await host.StopAsync();

            // Baselines: the same numbers of rows written by a plain INSERT … SELECT into a copy of the task table.
            await ExecuteAsync(dataSource, "CREATE TABLE bench_baseline (LIKE function_tasks INCLUDING ALL)");
            var perSecond = (int)Math.Ceiling(schedules / (double)EverySeconds);
            var baselineSecond = new List<double>();
            for (var i = 0; i < 30; i++)
            {
                baselineSecond.Add(await TimedInsertAsync(dataSource, perSecond));
            }
            var baselineBurst = await TimedInsertAsync(dataSource, schedules);

            var result = new JsonObject
            {
                ["scenario"] = "scheduler",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = System.Environment.ProcessorCount,
                ["loadAverage"] = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null,
                ["schedules"] = schedules,
                ["everySeconds"] = EverySeconds,
                ["durationSeconds"] = duration,
                ["steady"] = new JsonObject
                {
                    ["runsEnqueued"] = steadyLag.Count,
                    ["expectedRuns"] = Math.Round(schedules * (wall.Elapsed.TotalSeconds - 3) / EverySeconds),
                    ["enqueueLag"] = steadyLag.Json,
                    ["ticks"] = steady.Ticks,
                    ["tickDatabaseMsPerSecond"] = BenchSupport.Round(steady.TotalElapsed.TotalMilliseconds / wall.Elapsed.TotalSeconds),
                    ["tickMeanMs"] = BenchSupport.Round(steady.TotalElapsed.TotalMilliseconds / Math.Max(1, steady.Ticks)),
                    ["baselineInsertSelectMs"] = Percentiles(baselineSecond),
                    ["baselineRows"] = perSecond,
                },
                ["burst"] = new JsonObject
                {
                    ["scheduleCreationMs"] = BenchSupport.Round(creation.Elapsed.TotalMilliseconds),
                    ["ticks"] = burst.Ticks,
                    ["enqueuedByLargestTickMs"] = BenchSupport.Round(burst.MaxElapsed.TotalMilliseconds),
                    ["enqueueLag"] = burstLag.Json,
                    ["baselineInsertSelectMs"] = BenchSupport.Round(baselineBurst),
                    ["baselineRows"] = schedules,
                },
            };
            Print(result);
            Console.WriteLine($"results: {BenchSupport.WriteResult(result, "scheduler", stamp)}");
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

    private sealed record Lag(long Count, JsonObject Json);

    /// <summary>Enqueue lag of the sync tasks due from <paramref name="from"/>: created_at minus the slot (starts_after).</summary>
    private static async Task<Lag> LagAsync(NpgsqlDataSource dataSource, DateTimeOffset from)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag), min(lag)
            FROM (SELECT extract(epoch FROM created_at - starts_after) * 1000 AS lag FROM function_tasks WHERE kind = 'sync' AND starts_after >= @from) t
            """);
        command.Parameters.AddWithValue("from", from == DateTimeOffset.MinValue ? DateTimeOffset.UnixEpoch : from);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var count = reader.GetInt64(0);
        double At(int i) => reader.IsDBNull(i) ? double.NaN : BenchSupport.Round(Convert.ToDouble(reader.GetValue(i), CultureInfo.InvariantCulture));
        return new Lag(count, new JsonObject { ["p50Ms"] = At(1), ["p99Ms"] = At(2), ["maxMs"] = At(3), ["minMs"] = At(4) });
    }

    private static async Task<double> TimedInsertAsync(NpgsqlDataSource dataSource, int rows)
    {
        await ExecuteAsync(dataSource, "TRUNCATE bench_baseline");
        var watch = Stopwatch.StartNew();
        await ExecuteAsync(dataSource, $"""
            INSERT INTO bench_baseline (id, account_id, environment_id, connection_id, integration_id, kind, function_name, group_key,
                group_max_concurrency, state, payload, retry_max, retry_count, retry_key, starts_after, created_to_started_timeout_secs,
                started_to_completed_timeout_secs, heartbeat_timeout_secs, created_at, last_state_transition_at, schedule_id)
            SELECT gen_random_uuid(), account_id, environment_id, connection_id, integration_id, 'sync', sync_name, 'sync:environment:' || environment_id,
                0, 'CREATED', jsonb_build_object('syncName', sync_name, 'variant', variant, 'scheduleId', id), 0, 0, gen_random_uuid(), next_run_at,
                3600, 86400, 300, now(), now(), id
            FROM sync_schedules LIMIT {rows}
            """);
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>One integration, one deployed sync every 30 s, N connections: rows straight in (the API is not measured here).</summary>
    private static async Task SeedAsync(NpgsqlDataSource dataSource, EnvironmentContext env, int connections, string credentials)
    {
        await using var command = dataSource.CreateCommand($$"""
            INSERT INTO integrations (environment_id, unique_key, provider, forward_webhooks, integration_config, custom, created_at, updated_at)
            VALUES ({{env.EnvironmentId}}, 'github', 'github', false, '{}', '{}', now(), now());
            INSERT INTO connections (environment_id, integration_id, connection_id, credentials_ciphertext, connection_config, metadata, tags, errors,
                created_at, updated_at, refresh_attempts, refresh_exhausted)
            SELECT {{env.EnvironmentId}}, i.id, 'conn-' || n, @credentials, '{}', '{}', '{}', '[]', now(), now(), 0, false
            FROM integrations i, generate_series(1, {{connections}}) AS n;
            INSERT INTO functions (environment_id, integration_id, type, name, enabled, source, current_revision, created_at, last_deployed_at)
            SELECT {{env.EnvironmentId}}, id, 'sync', 'fetchIssues', true, 'repo', 1, now(), now() FROM integrations;
            INSERT INTO function_versions (function_id, revision, version, models, runs, auto_start, track_deletes, endpoints, scopes,
                webhook_subscriptions, attributes, features, bundle_key, code_hash, definition_hash, deployed_at)
            SELECT id, 1, '1.0.0', '["Issue"]', '{{EverySeconds}}s', true, false, '[]', '[]', '[]', '{}', '[]', 'bench', 'bench', 'bench', now() FROM functions;
            """);
        command.Parameters.AddWithValue("credentials", credentials);
        await command.ExecuteNonQueryAsync();
    }

    private static TickStats Delta(TickStats after, TickStats before) =>
        new(after.Ticks - before.Ticks, after.Enqueued - before.Enqueued, after.TotalElapsed - before.TotalElapsed, after.MaxElapsed);

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static JsonObject Percentiles(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        return new JsonObject { ["p50Ms"] = BenchSupport.Round(At(0.50)), ["p99Ms"] = BenchSupport.Round(At(0.99)), ["maxMs"] = BenchSupport.Round(sorted[^1]) };
    }

    private static void Print(JsonObject result)
    {
        var s = result["steady"]!;
        var b = result["burst"]!;
        Console.WriteLine();
        Console.WriteLine("| measure | Nango | baseline (plain INSERT … SELECT, same rows) | goal |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| enqueue lag p50 / p99 / max, {s["runsEnqueued"]} runs (expected ≈ {s["expectedRuns"]}) | {s["enqueueLag"]!["p50Ms"]} / {s["enqueueLag"]!["p99Ms"]} / {s["enqueueLag"]!["maxMs"]} ms | | {LagGoal} |");
        Console.WriteLine($"| tick database time per second ({s["ticks"]} ticks) | {s["tickDatabaseMsPerSecond"]} ms/s (mean {s["tickMeanMs"]} ms per tick) | {s["baselineInsertSelectMs"]!["p50Ms"]} ms p50 for {s["baselineRows"]} rows | |");
        Console.WriteLine($"| burst: all {result["schedules"]} due at once (a deploy onto every connection) | largest tick {b["enqueuedByLargestTickMs"]} ms; lag p99 {b["enqueueLag"]!["p99Ms"]} ms | {b["baselineInsertSelectMs"]} ms for {b["baselineRows"]} rows | |");
        Console.WriteLine($"| creating the schedules (deploy reconcile) | {b["scheduleCreationMs"]} ms | | |");
    }
}
