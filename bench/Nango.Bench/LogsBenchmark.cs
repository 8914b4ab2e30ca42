using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nango.Core.Common;
using Nango.Core.Logs;
using Npgsql;

namespace Nango.Bench;

/// <summary>
/// Scenario <c>logs</c>: ingest through the real write path (LogService → buffer → flusher → binary COPY)
/// against a raw binary COPY of the very same rows in the same run, then query latencies.
/// </summary>
internal static class LogsBenchmark
{
    private const int BufferCapacity = 100_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = BenchSupport.IntArg(args, "--messages", 1_000_000);
        var operations = BenchSupport.IntArg(args, "--operations", 50_000);
        var queries = BenchSupport.IntArg(args, "--queries", 200);
        var keep = args.Contains("--keep");
        var server = BenchSupport.Server;
        var perOperation = Math.Max(1, messages / operations);
        messages = perOperation * operations;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var end = Clock.ToMicroseconds(DateTimeOffset.UtcNow);
        var dataset = new LogsDataset(operations, perOperation, end);
        Console.WriteLine($"logs benchmark: {operations:N0} operations × {perOperation} messages = {messages:N0} messages, {System.Environment.ProcessorCount} cores, Postgres {BenchSupport.Redact(server)}");

        var copyDb = $"nango_bench_copy_{stamp.ToLowerInvariant()}";
        var pathDb = $"nango_bench_path_{stamp.ToLowerInvariant()}";
        await BenchSupport.CreateDatabaseAsync(server, copyDb);
        await BenchSupport.CreateDatabaseAsync(server, pathDb);
        try
        {
            // 1. The rows the write path produces, captured in memory (not timed).
            var capture = new CaptureStore();
            var captured = await ProduceAsync(dataset, capture, BenchSupport.ConnectionString(server, pathDb));
            var (opRows, messageRows) = capture.FinalRows();
            Console.WriteLine($"captured {opRows.Count:N0} operation rows and {messageRows.Count:N0} message rows");

            // 2. Baseline: one raw binary COPY per table of exactly those rows.
            var copyDataSource = NpgsqlDataSource.Create(BenchSupport.ConnectionString(server, copyDb));
            await PreparePartitionsAsync(copyDataSource, dataset);
            var copyWatch = Stopwatch.StartNew();
            await using (var connection = await copyDataSource.OpenConnectionAsync())
            {
                await using var transaction = await connection.BeginTransactionAsync();
                await PostgresLogStore.CopyOperationsAsync(connection, opRows, CancellationToken.None);
                await PostgresLogStore.CopyMessagesAsync(connection, messageRows, CancellationToken.None);
                await transaction.CommitAsync();
            }
            copyWatch.Stop();
            await copyDataSource.DisposeAsync();
            capture = null;
            opRows = null!;
            messageRows = null!;
            GC.Collect();

            // 3. The real write path into the other database.
            var pathDataSource = NpgsqlDataSource.Create(BenchSupport.ConnectionString(server, pathDb));
            await PreparePartitionsAsync(pathDataSource, dataset);
            var path = await ProduceAsync(dataset, null, BenchSupport.ConnectionString(server, pathDb));

            var copyRate = messages / copyWatch.Elapsed.TotalSeconds;
            var pathRate = messages / path.Total.TotalSeconds;

            // 4. Queries on what the write path wrote.
            await ExecuteAsync(pathDataSource, "ANALYZE log_operations; ANALYZE log_messages;");
            var store = new PostgresLogStore(pathDataSource, new PostgresLogPartitions(pathDataSource, NullLogger<PostgresLogPartitions>.Instance));
            var operationIds = await SampleOperationIdsAsync(pathDataSource, 500);
            var wordHits = new Dictionary<string, long>();
            foreach (var (word, _) in LogsDataset.RareWords)
            {
                wordHits[word] = await CountAsync(pathDataSource, $"SELECT count(*) FROM log_messages WHERE search @@ to_tsquery('simple', '{word}')");
            }
            var from = end - TimeSpan.FromHours(24);
            var integration = await TimeAsync(queries, i => store.SearchOperationsAsync(LogsDataset.MainEnvironment, new LogOperationSearch
            {
                Integrations = [LogsDataset.Integrations[i % LogsDataset.Integrations.Length]],
                States = [OperationStates.Failed],
                From = from,
                To = end,
                Limit = 50,
            }, CancellationToken.None));
            var fullText = await TimeAsync(queries, i => store.SearchOperationsAsync(LogsDataset.MainEnvironment, new LogOperationSearch
            {
                Search = LogsDataset.RareWords[i % LogsDataset.RareWords.Length].Word,
                From = from,
                To = end,
                Limit = 50,
            }, CancellationToken.None));
            var fullTextCommon = await TimeAsync(queries, _ => store.SearchOperationsAsync(LogsDataset.MainEnvironment, new LogOperationSearch
            {
                Search = LogsDataset.RareWords[0].Word,
                From = from,
                To = end,
                Limit = 50,
            }, CancellationToken.None));
            var messagesOfOne = await TimeAsync(queries, i => store.SearchMessagesAsync(LogsDataset.MainEnvironment, new LogMessageSearch
            {
                OperationId = operationIds[i % operationIds.Count],
                Limit = 100,
            }, CancellationToken.None));
            await pathDataSource.DisposeAsync();

            var result = new JsonObject
            {
                ["scenario"] = "logs",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = System.Environment.ProcessorCount,
                ["operations"] = operations,
                ["messages"] = messages,
                ["ingest"] = new JsonObject
                {
                    ["rawCopySeconds"] = BenchSupport.Round(copyWatch.Elapsed.TotalSeconds),
                    ["rawCopyMessagesPerSecond"] = Math.Round(copyRate),
                    ["writePathSeconds"] = BenchSupport.Round(path.Total.TotalSeconds),
                    ["writePathMessagesPerSecond"] = Math.Round(pathRate),
                    ["writePathVsRawCopy"] = BenchSupport.Round(pathRate / copyRate),
                    ["callerSecondsInLogCalls"] = BenchSupport.Round(path.Producer.TotalSeconds),
                    ["producerNanosecondsPerCall"] = Math.Round(path.Producer.TotalNanoseconds / path.Calls),
                    // The same calls with an in-memory store: the caller's own cost without Postgres competing for the cores.
                    ["producerNanosecondsPerCallNoDatabase"] = Math.Round(captured.Producer.TotalNanoseconds / captured.Calls),
                    ["dropped"] = path.Stats.Dropped,
                    ["failed"] = path.Stats.Failed,
                },
                ["queries"] = new JsonObject
                {
                    ["iterations"] = queries,
                    ["a_integration_state_24h"] = Percentiles(integration),
                    ["b_full_text_rare_words"] = Percentiles(fullText),
                    ["b_full_text_1pct_word"] = Percentiles(fullTextCommon),
                    ["c_messages_of_one_operation"] = Percentiles(messagesOfOne),
                },
                ["fullTextWordMessageHits"] = new JsonObject(wordHits.Select(w => KeyValuePair.Create(w.Key, (JsonNode?)w.Value))),
            };
            Print(result);
            var file = BenchSupport.WriteResult(result, "logs", stamp);
            Console.WriteLine($"results: {file}");
            return 0;
        }
        finally
        {
            if (!keep)
            {
                await BenchSupport.DropDatabaseAsync(server, copyDb);
                await BenchSupport.DropDatabaseAsync(server, pathDb);
            }
        }
    }

    private sealed record PathResult(TimeSpan Total, TimeSpan Producer, long Calls, LogWriterStats Stats);

    /// <summary>Runs the generator through the real LogService; into <paramref name="capture"/> if given, else Postgres.</summary>
    private static async Task<PathResult> ProduceAsync(LogsDataset dataset, ILogStore? capture, string connectionString)
    {
        var clock = new BenchClock(dataset.Start);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Nango"] = connectionString,
            ["Nango:Logs:BufferCapacity"] = BufferCapacity.ToString(CultureInfo.InvariantCulture),
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        if (capture is not null)
        {
            builder.Services.AddSingleton(capture);
        }
        builder.Services.AddNangoLogs(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        var logs = host.Services.GetRequiredService<ILogService>();

        var total = Stopwatch.StartNew();
        // Only the log calls themselves are timed as caller cost, not the generation of their content.
        long callTicks = 0;
        long calls = 0;
        for (var i = 0; i < dataset.Operations; i++)
        {
            if (i % 200 == 0)
            {
                // Back-pressure for the benchmark only: measure sustained ingest, not how fast drops are counted.
                while (logs.Stats.Buffered > BufferCapacity * 8 / 10)
                {
                    await Task.Delay(1);
                }
            }
            var plan = dataset.Operation(i);
            clock.Set(plan.At);
            var started = Stopwatch.GetTimestamp();
            var operation = logs.StartOperation(plan.Start);
            callTicks += Stopwatch.GetTimestamp() - started;
            calls++;
            for (var m = 0; m < dataset.MessagesPerOperation; m++)
            {
                clock.Set(plan.At + (LogsDataset.MessageGap * (m + 1)));
                var message = dataset.Message(i, m);
                var entry = message.Http ? null : new LogEntry { Level = message.Level, Message = message.Text, Source = MessageSources.User, Context = MessageContexts.Script };
                started = Stopwatch.GetTimestamp();
                if (entry is null)
                {
                    operation.Http(message.Request!, message.Response, duration: TimeSpan.FromMilliseconds(30));
                }
                else
                {
                    operation.Write(entry);
                }
                callTicks += Stopwatch.GetTimestamp() - started;
                calls++;
            }
            clock.Set(plan.At + (LogsDataset.MessageGap * (dataset.MessagesPerOperation + 1)));
            started = Stopwatch.GetTimestamp();
            switch (plan.EndState)
            {
                case OperationStates.Success: operation.Succeed(); calls++; break;
                case OperationStates.Failed: operation.Fail(plan.Error); calls++; break;
                case OperationStates.Cancelled: operation.Cancel(); calls++; break;
                default: break;
            }
            callTicks += Stopwatch.GetTimestamp() - started;
        }
        var producer = Stopwatch.GetElapsedTime(0, callTicks);
        while (logs.Stats.Written + logs.Stats.Dropped + logs.Stats.Failed < logs.Stats.Offered)
        {
            await Task.Delay(5);
        }
        total.Stop();
        var stats = logs.Stats;
        await host.StopAsync();
        return new PathResult(total.Elapsed, producer, calls, stats);
    }

    private static async Task PreparePartitionsAsync(NpgsqlDataSource dataSource, LogsDataset dataset)
    {
        var partitions = new PostgresLogPartitions(dataSource, NullLogger<PostgresLogPartitions>.Instance);
        await partitions.EnsureAsync(DateOnly.FromDateTime(dataset.Start.UtcDateTime), DateOnly.FromDateTime(DateTime.UtcNow).AddDays(2), CancellationToken.None);
    }

    private static async Task<List<double>> TimeAsync<T>(int iterations, Func<int, Task<T>> query)
    {
        for (var i = 0; i < 10; i++)
        {
            await query(i);
        }
        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var watch = Stopwatch.StartNew();
            await query(i);
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }
        return samples;
    }

    private static JsonObject Percentiles(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        return new JsonObject { ["p50Ms"] = BenchSupport.Round(At(0.50)), ["p95Ms"] = BenchSupport.Round(At(0.95)), ["maxMs"] = BenchSupport.Round(sorted[^1]) };
    }

    private static void Print(JsonObject result)
    {
        var ingest = result["ingest"]!;
        var queries = result["queries"]!;
        Console.WriteLine();
        Console.WriteLine("| measure | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| raw binary COPY | {(double)ingest["rawCopyMessagesPerSecond"]!:N0} messages/s ({ingest["rawCopySeconds"]} s) |");
        Console.WriteLine($"| write path (LogService → buffer → flusher → COPY) | {(double)ingest["writePathMessagesPerSecond"]!:N0} messages/s ({ingest["writePathSeconds"]} s) |");
        Console.WriteLine($"| write path / raw COPY | {(double)ingest["writePathVsRawCopy"]!:P0} (goal ≥ 50%) |");
        Console.WriteLine($"| caller cost | {ingest["producerNanosecondsPerCall"]} ns per log call while Postgres ingests ({ingest["producerNanosecondsPerCallNoDatabase"]} ns without it); dropped {ingest["dropped"]}, failed {ingest["failed"]} |");
        foreach (var (name, goal) in new[] { ("a_integration_state_24h", 50), ("b_full_text_rare_words", 300), ("b_full_text_1pct_word", 300), ("c_messages_of_one_operation", 50) })
        {
            var q = queries[name]!;
            Console.WriteLine($"| {name} | p50 {q["p50Ms"]} ms, p95 {q["p95Ms"]} ms, max {q["maxMs"]} ms (goal p95 ≤ {goal} ms) |");
        }
        Console.WriteLine($"| full-text word hits (messages) | {result["fullTextWordMessageHits"]!.ToJsonString()} |");
    }

    private static async Task<List<Guid>> SampleOperationIdsAsync(NpgsqlDataSource dataSource, int count)
    {
        await using var command = dataSource.CreateCommand($"SELECT id FROM log_operations WHERE environment_id = {LogsDataset.MainEnvironment} ORDER BY random() LIMIT {count}");
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Keeps what the write path hands to the store, folding later end-states into their rows.</summary>
    private sealed class CaptureStore : ILogStore
    {
        private readonly List<LogOperationRow> _operations = [];
        private readonly List<LogMessageRow> _messages = [];
        private readonly List<LogOperationUpdate> _updates = [];

        public (List<LogOperationRow>, List<LogMessageRow>) FinalRows()
        {
            var updates = _updates.GroupBy(u => u.Id).ToDictionary(g => g.Key, g => g.Last());
            var operations = _operations.Select(o => updates.TryGetValue(o.Id, out var u)
                ? o with { State = u.State, UpdatedAt = u.UpdatedAt, EndedAt = u.EndedAt, DurationMs = u.DurationMs, Error = u.Error ?? o.Error }
                : o).ToList();
            return (operations, _messages);
        }

        public Task WriteAsync(LogBatch batch, CancellationToken ct)
        {
            _operations.AddRange(batch.Operations);
            _messages.AddRange(batch.Messages);
            _updates.AddRange(batch.Updates);
            return Task.CompletedTask;
        }

        public Task PrepareAsync(DateOnly firstDay, DateOnly lastDay, CancellationToken ct) => Task.CompletedTask;

        public Task<LogOperationPage> SearchOperationsAsync(int environmentId, LogOperationSearch search, CancellationToken ct) => throw new NotSupportedException();

        public Task<LogOperationRow?> GetOperationAsync(int environmentId, Guid operationId, CancellationToken ct) => throw new NotSupportedException();

        public Task<LogMessagePage> SearchMessagesAsync(int environmentId, LogMessageSearch search, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<LogFilterValue>> ListFilterValuesAsync(int environmentId, LogFilterQuery query, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<LogHistogramBucket>> HistogramAsync(int environmentId, LogHistogramQuery query, CancellationToken ct) => throw new NotSupportedException();

        public Task<int> TimeoutExpiredAsync(DateTimeOffset now, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> DropDaysBeforeAsync(DateOnly firstDayKept, CancellationToken ct) => throw new NotSupportedException();
    }
}
