using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Records;
using Npgsql;
using NpgsqlTypes;

namespace Nango.Bench;

/// <summary>
/// Scenario <c>records</c>: a sync saving ~1 KB records (<see cref="RecordsDataset"/>) through the runner into the store
/// (<see cref="RecordsThroughRunner"/>: a sync deployed and triggered through the public API of a Nango.Web process, its
/// script building the records and saving them with <c>batchSave</c> in chunks of 1,000), a first run and an unchanged
/// re-run; the same through <see cref="RecordStore.SaveAsync"/> called in this process, to isolate the store's own cost;
/// then every record read back through <c>GET /records</c> with limit 1,000 over loopback HTTP. Baselines in the same
/// run: a raw binary COPY of the same rows into a plain table (without and with the records table's two indexes, and
/// with the payload as the store's bytea instead of jsonb), and a raw keyset <c>SELECT</c> of the same pages.
/// </summary>
internal static class RecordsBenchmark
{
    private const string IntegrationKey = "bench-github";
    private const string ConnectionName = "bench-connection";
    private const string Model = "BenchRecord";
    private const int Chunk = RecordsDataset.Chunk;
    private const int PageSize = 1000;

    /// <summary>
    /// After untimed warm-up work, before the timed run: the JIT's background thread compiles the tier-1 code of what
    /// the warm-up made hot (100 ms after those calls), and the timed run should not share the cores with it.
    /// </summary>
    private static readonly TimeSpan _tierUpPause = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string[] args)
    {
        var count = BenchSupport.IntArg(args, "--records", 100_000);
        var keep = args.Contains("--keep");
        var server = BenchSupport.Server;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var database = $"nango_bench_records_{stamp.ToLowerInvariant()}";
        var workDirectory = Path.Combine(Path.GetTempPath(), database);
        Console.WriteLine($"records benchmark: {count:N0} records of about 1 KB, chunks of {Chunk:N0}, pages of {PageSize:N0}, {System.Environment.ProcessorCount} cores, " +
            $"load average {LoadAverage()}, Postgres {BenchSupport.Redact(server)}");

        await BenchSupport.CreateDatabaseAsync(server, database);
        Directory.CreateDirectory(workDirectory);
        try
        {
            var connectionString = BenchSupport.ConnectionString(server, database);
            var secretKey = Guid.NewGuid().ToString();
            var runnerPath = await BenchSupport.RunnerAsShippedAsync(args, workDirectory);
            await using var web = await StartNangoWebAsync(connectionString, workDirectory, secretKey, runnerPath: runnerPath);
            using var api = ApiClient(web.Url, secretKey);
            await CreateConnectionAsync(api, ConnectionName);
            await CreateConnectionAsync(api, RecordsThroughRunner.ConnectionName);
            await RecordsThroughRunner.DeployAsync(api, IntegrationKey, Model, count);
            using var store = new RecordStore(connectionString, new RecordsOptions());
            var connectionId = await store.FindConnectionAsync(1, IntegrationKey, ConnectionName, CancellationToken.None)
                ?? await FindAnyConnectionAsync(connectionString);

            using var document = RecordsDataset.Build(count);
            var records = document.RootElement.EnumerateArray().ToList();
            var bytes = records.Sum(r => (long)JsonMarshal.GetRawUtf8Value(r).Length);
            Console.WriteLine($"  dataset: {count:N0} records, {bytes / (double)count:N0} bytes each on average");

            await SettleAsync(connectionString);
            var copyPlain = await RawCopyAsync(connectionString, connectionId, records, withIndexes: false);
            await SettleAsync(connectionString);
            var copyIndexed = await RawCopyAsync(connectionString, connectionId, records, withIndexes: true);
            await SettleAsync(connectionString);
            var copyBytea = await RawCopyAsync(connectionString, connectionId, records, withIndexes: false, payloadAsBytea: true);
            Console.WriteLine($"  raw COPY, plain table: {Rate(count, copyPlain)}; with the two indexes: {Rate(count, copyIndexed)}; payload as bytea: {Rate(count, copyBytea)}");

            // The store alone, called in this process: what the runner path adds is the difference to the rows below.
            await SettleAsync(connectionString);
            var (first, firstResult) = await SaveAllAsync(store, connectionId, records);
            Console.WriteLine($"  store, first run: {Rate(count, first)} ({firstResult})");
            await SettleAsync(connectionString);
            var (again, againResult) = await SaveAllAsync(store, connectionId, records);
            Console.WriteLine($"  store, unchanged re-run: {Rate(count, again)} ({againResult})");
            if (firstResult.Added != count || againResult.Unchanged != count)
            {
                Console.Error.WriteLine($"unexpected counts: first {firstResult}, re-run {againResult}");
                return 1;
            }

            // The runner path, on its own connection: a sync deployed through the API, triggered through the API. The
            // warm-up run starts the runner process, so no timed run pays for a cold start.
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var runTimeout = TimeSpan.FromMinutes(30);
            // Warm means steady state: with one short warm-up run, the JIT's background tier-up of the records path in
            // Nango.Web and the runner took about 30% of the machine's CPU during the timed first run (perf, 2 cores).
            for (var run = 1; run <= RecordsThroughRunner.WarmupRuns; run++)
            {
                var warmup = await RecordsThroughRunner.RunAsync(api, dataSource, web.Process, IntegrationKey, RecordsThroughRunner.WarmupSync, runTimeout);
                Console.WriteLine($"  runner warm-up {run}/{RecordsThroughRunner.WarmupRuns} ({RecordsThroughRunner.WarmupRecords:N0} records, untimed): {warmup.TriggerToEndSeconds:0.000} s ({warmup.Describe(RecordsThroughRunner.WarmupModel)})");
            }
            await SettleAsync(connectionString);
            await Task.Delay(_tierUpPause);
            var scriptOnly = await RecordsThroughRunner.RunAsync(api, dataSource, web.Process, IntegrationKey, RecordsThroughRunner.ScriptOnlySync, runTimeout);
            Console.WriteLine($"  sync run, script alone (builds the records, saves none): {Rate(count, scriptOnly.TriggerToEndSeconds)} ({scriptOnly.Describe(Model)})");
            await SettleAsync(connectionString);
            var runnerFirst = await RecordsThroughRunner.RunAsync(api, dataSource, web.Process, IntegrationKey, RecordsThroughRunner.SaveSync, runTimeout);
            Console.WriteLine($"  sync run through the runner, first run: {Rate(count, runnerFirst.TriggerToEndSeconds)} ({runnerFirst.Describe(Model)})");
            var firstStatus = await RecordsThroughRunner.StatusAsync(api, IntegrationKey, RecordsThroughRunner.SaveSync);
            await SettleAsync(connectionString);
            var runnerAgain = await RecordsThroughRunner.RunAsync(api, dataSource, web.Process, IntegrationKey, RecordsThroughRunner.SaveSync, runTimeout);
            Console.WriteLine($"  sync run through the runner, unchanged re-run: {Rate(count, runnerAgain.TriggerToEndSeconds)} ({runnerAgain.Describe(Model)})");
            var againStatus = await RecordsThroughRunner.StatusAsync(api, IntegrationKey, RecordsThroughRunner.SaveSync);
            if (runnerFirst.Count(Model, "added") != count || runnerAgain.Count(Model, "unchanged") != count || runnerAgain.Count(Model, "added") + runnerAgain.Count(Model, "updated") != 0
                || (string?)firstStatus["latestExecutionStatus"] != "SUCCESS" || (int?)firstStatus["latestResult"]?[Model]?["added"] != count
                || (string?)againStatus["latestExecutionStatus"] != "SUCCESS" || (int?)againStatus["latestResult"]?[Model]?["unchanged"] != count)
            {
                Console.Error.WriteLine($"unexpected runner results: first {runnerFirst.Models.ToJsonString()} (status {firstStatus.ToJsonString()}), " +
                    $"re-run {runnerAgain.Models.ToJsonString()} (status {againStatus.ToJsonString()})");
                return 1;
            }
            // Statistics first: planned without them, the comparison below can take a nested loop over both models.
            await ExecuteAsync(connectionString, "ANALYZE records");
            // The runner saved the very records the in-process rows saved: same ids, same payloads.
            var identical = await IdenticalRecordsAsync(dataSource, connectionId, RecordsThroughRunner.ConnectionName);
            if (identical != count)
            {
                Console.Error.WriteLine($"the runner's records differ from the dataset: {identical:N0} of {count:N0} identical");
                return 1;
            }

            await SettleAsync(connectionString);
            var rawSelect = await RawSelectAsync(connectionString, connectionId, count);
            Console.WriteLine($"  raw keyset SELECT: {Rate(count, rawSelect)}");
            await SettleAsync(connectionString);
            var (http, pages, cpu) = await ReadThroughApiAsync(web, secretKey, count);
            Console.WriteLine($"  GET /records: {Rate(count, http)} in {pages} pages");

            var runnerFirstSeconds = runnerFirst.TriggerToEndSeconds;
            var runnerAgainSeconds = runnerAgain.TriggerToEndSeconds;
            var result = new JsonObject
            {
                ["scenario"] = "records",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = System.Environment.ProcessorCount,
                ["loadAverage"] = LoadAverage(),
                ["records"] = count,
                ["averageRecordBytes"] = Math.Round(bytes / (double)count),
                ["rawCopyPlainPerSecond"] = PerSecond(count, copyPlain),
                ["rawCopyIndexedPerSecond"] = PerSecond(count, copyIndexed),
                ["rawCopyByteaPerSecond"] = PerSecond(count, copyBytea),
                ["storeFirstRunPerSecond"] = PerSecond(count, first),
                ["storeUnchangedRunPerSecond"] = PerSecond(count, again),
                ["runnerScriptOnlyPerSecond"] = PerSecond(count, scriptOnly.TriggerToEndSeconds),
                ["runnerScriptOnlyCpuSeconds"] = BenchSupport.Round(scriptOnly.RunnerCpu.TotalSeconds),
                ["runnerFirstRunPerSecond"] = PerSecond(count, runnerFirstSeconds),
                ["runnerFirstRunStartedToEndPerSecond"] = PerSecond(count, runnerFirst.StartedToEndSeconds),
                ["runnerUnchangedRunPerSecond"] = PerSecond(count, runnerAgainSeconds),
                ["runnerUnchangedRunStartedToEndPerSecond"] = PerSecond(count, runnerAgain.StartedToEndSeconds),
                ["runnerFirstRunCpuSeconds"] = runnerFirst.CpuJson(),
                ["runnerUnchangedRunCpuSeconds"] = runnerAgain.CpuJson(),
                ["rawSelectPerSecond"] = PerSecond(count, rawSelect),
                ["apiReadPerSecond"] = PerSecond(count, http),
                ["apiReadWebCpuMsPerPage"] = BenchSupport.Round(cpu.TotalMilliseconds / pages),
                ["storeFirstRunVsRawCopyPlain"] = BenchSupport.Round(copyPlain / first),
                ["storeFirstRunVsRawCopyIndexed"] = BenchSupport.Round(copyIndexed / first),
                ["storeUnchangedSpeedupOverFirst"] = BenchSupport.Round(first / again),
                ["runnerFirstRunVsRawCopyPlain"] = BenchSupport.Round(copyPlain / runnerFirstSeconds),
                ["runnerFirstRunVsRawCopyIndexed"] = BenchSupport.Round(copyIndexed / runnerFirstSeconds),
                ["runnerFirstRunVsRawCopyBytea"] = BenchSupport.Round(copyBytea / runnerFirstSeconds),
                ["runnerFirstRunVsStore"] = BenchSupport.Round(first / runnerFirstSeconds),
                ["runnerUnchangedSpeedupOverFirst"] = BenchSupport.Round(runnerFirstSeconds / runnerAgainSeconds),
                ["apiReadVsRawSelect"] = BenchSupport.Round(rawSelect / http),
            };
            var goals = new (string Text, string Measured, bool Met)[]
            {
                ("first sync run through the runner ≥ 40,000 records/s", $"{PerSecond(count, runnerFirstSeconds):N0}/s", PerSecond(count, runnerFirstSeconds) >= 40_000),
                ("first sync run through the runner ≥ 0.3× raw COPY (plain table)", $"{copyPlain / runnerFirstSeconds:0.00}×", copyPlain / runnerFirstSeconds >= 0.3),
                ("unchanged re-run through the runner ≥ 2× faster than the first", $"{runnerFirstSeconds / runnerAgainSeconds:0.00}×", runnerFirstSeconds / runnerAgainSeconds >= 2),
                ("reads through GET /records ≥ 50,000 records/s", $"{PerSecond(count, http):N0}/s", PerSecond(count, http) >= 50_000),
            };
            result["goals"] = new JsonArray([.. goals.Select(g => new JsonObject { ["goal"] = g.Text, ["measured"] = g.Measured, ["result"] = g.Met ? "PASS" : "MISS" })]);

            Console.WriteLine();
            Console.WriteLine("Sync runs are timed from the trigger (the task row POST /sync/trigger writes) to the run's end (sync_runs.ended_at), " +
                "on the database's clock, after untimed warm-up runs started the runner process and brought both processes to steady state; \"started → end\" leaves out the wait for a runner to take the task.");
            Console.WriteLine();
            Console.WriteLine("| step | seconds | records/s | ratio |");
            Console.WriteLine("|---|---|---|---|");
            Console.WriteLine($"| raw COPY, plain table (baseline) | {copyPlain:0.000} | {PerSecond(count, copyPlain):N0} | |");
            Console.WriteLine($"| raw COPY, plain table + PK + cursor index | {copyIndexed:0.000} | {PerSecond(count, copyIndexed):N0} | |");
            Console.WriteLine($"| raw COPY, plain table, payload as bytea (the store's column type; Postgres parses no JSON) | {copyBytea:0.000} | {PerSecond(count, copyBytea):N0} | |");
            Console.WriteLine($"| RecordStore.SaveAsync in process, first run | {first:0.000} | {PerSecond(count, first):N0} | {copyPlain / first:0.00}× raw COPY (plain), {copyIndexed / first:0.00}× (indexed) |");
            Console.WriteLine($"| RecordStore.SaveAsync in process, unchanged re-run | {again:0.000} | {PerSecond(count, again):N0} | {first / again:0.00}× faster than the first |");
            Console.WriteLine($"| sync run, script alone (builds the records in the runner, saves none) | {scriptOnly.TriggerToEndSeconds:0.000} | {PerSecond(count, scriptOnly.TriggerToEndSeconds):N0} | runner CPU {scriptOnly.RunnerCpu.TotalSeconds:0.00} s: what saving adds to the runner is the runs' runner CPU less this |");
            Console.WriteLine($"| sync run through the runner, first run (trigger → end) | {runnerFirstSeconds:0.000} | {PerSecond(count, runnerFirstSeconds):N0} | " +
                $"{copyPlain / runnerFirstSeconds:0.00}× raw COPY (plain), {copyIndexed / runnerFirstSeconds:0.00}× (indexed), {copyBytea / runnerFirstSeconds:0.00}× (bytea), {first / runnerFirstSeconds:0.00}× the store in process; " +
                $"started → end {runnerFirst.StartedToEndSeconds:0.000} s; {runnerFirst.DescribeCpu()} |");
            Console.WriteLine($"| sync run through the runner, unchanged re-run (trigger → end) | {runnerAgainSeconds:0.000} | {PerSecond(count, runnerAgainSeconds):N0} | " +
                $"{runnerFirstSeconds / runnerAgainSeconds:0.00}× faster than the first; started → end {runnerAgain.StartedToEndSeconds:0.000} s; " +
                $"{runnerAgain.DescribeCpu()} |");
            Console.WriteLine($"| raw keyset SELECT, pages of {PageSize:N0} (baseline) | {rawSelect:0.000} | {PerSecond(count, rawSelect):N0} | |");
            Console.WriteLine($"| GET /records, limit {PageSize:N0}, loopback HTTP | {http:0.000} | {PerSecond(count, http):N0} | {rawSelect / http:0.00}× raw SELECT; Nango.Web CPU {cpu.TotalMilliseconds / pages:0.0} ms/page |");
            Console.WriteLine();
            Console.WriteLine("| goal (issue 8) | measured | result |");
            Console.WriteLine("|---|---|---|");
            foreach (var goal in goals)
            {
                Console.WriteLine($"| {goal.Text} | {goal.Measured} | {(goal.Met ? "PASS" : "MISS")} |");
            }
            Console.WriteLine();
            Console.WriteLine($"CPU floor (the three processes' CPU over {System.Environment.ProcessorCount} cores): first run {runnerFirst.CpuFloorSeconds:0.00} s " +
                $"(at most {PerSecond(count, runnerFirst.CpuFloorSeconds):N0} records/s with that much work), unchanged re-run {runnerAgain.CpuFloorSeconds:0.00} s " +
                $"(at most {runnerFirst.CpuFloorSeconds / runnerAgain.CpuFloorSeconds:0.00}× faster than the first's floor).");
            Console.WriteLine($"load average (1/5/15 min) at the end: {LoadAverage()} on {System.Environment.ProcessorCount} cores");
            Console.WriteLine($"results: {BenchSupport.WriteResult(result, "records", stamp)}");
            return 0;
        }
        finally
        {
            if (!keep)
            {
                await BenchSupport.DropDatabaseAsync(server, database);
            }
            Directory.Delete(workDirectory, recursive: true);
        }
    }

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static double PerSecond(int count, double seconds) => Math.Round(count / seconds);

    private static string Rate(int count, double seconds) => $"{seconds:0.000} s, {count / seconds:N0} records/s";

    private static async Task<(double Seconds, RecordWriteResult Total)> SaveAllAsync(RecordStore store, int connectionId, List<JsonElement> records)
    {
        var options = new RecordWriteOptions { SyncName = "bench" };
        var total = RecordWriteResult.None;
        var watch = Stopwatch.StartNew();
        for (var offset = 0; offset < records.Count; offset += Chunk)
        {
            var chunk = records.GetRange(offset, Math.Min(Chunk, records.Count - offset));
            var result = await store.SaveAsync(1, connectionId, Model, chunk, options, CancellationToken.None);
            total = new RecordWriteResult(total.Added + result.Added, total.Updated + result.Updated, total.Unchanged + result.Unchanged, 0);
        }
        return (watch.Elapsed.TotalSeconds, total);
    }

    /// <summary>
    /// The same rows (ids and hashes computed before timing) in one binary COPY into an unpartitioned table; the payload
    /// as jsonb (Nango's own column type: Postgres parses each record), or with <paramref name="payloadAsBytea"/> as the
    /// bytea the store keeps (the record's text as sent, which Postgres stores without parsing).
    /// </summary>
    private static async Task<double> RawCopyAsync(string connectionString, int connectionId, List<JsonElement> records, bool withIndexes, bool payloadAsBytea = false)
    {
        var table = payloadAsBytea ? "bench_copy_bytea" : withIndexes ? "bench_copy_indexed" : "bench_copy_plain";
        await ExecuteAsync(connectionString, $"""
            CREATE TABLE {table} (id uuid NOT NULL, environment_id integer NOT NULL, connection_id integer NOT NULL, model text NOT NULL,
                external_id varchar(255) NOT NULL, data {(payloadAsBytea ? "bytea" : "jsonb")} NOT NULL, data_hash bytea NOT NULL, size_bytes integer NOT NULL,
                created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)
            """ + (withIndexes
                ? $"; ALTER TABLE {table} ADD PRIMARY KEY (connection_id, model, external_id); CREATE INDEX ON {table} (connection_id, model, updated_at, id)"
                : ""));
        var rows = records.Select(r =>
        {
            var raw = JsonMarshal.GetRawUtf8Value(r).ToArray();
            var externalId = r.GetProperty("id").GetString()!;
            // The same hash the store computes.
            return (Id: RecordIds.For(connectionId, Model, externalId), ExternalId: externalId, Json: raw, Hash: XxHash128.Hash(raw));
        }).ToList();
        var now = DateTimeOffset.UtcNow;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync();
        var watch = Stopwatch.StartNew();
        await using (var writer = await connection.BeginBinaryImportAsync(
            $"COPY {table} (id, environment_id, connection_id, model, external_id, data, data_hash, size_bytes, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(row.Id, NpgsqlDbType.Uuid);
                await writer.WriteAsync(1, NpgsqlDbType.Integer);
                await writer.WriteAsync(connectionId, NpgsqlDbType.Integer);
                await writer.WriteAsync(Model, NpgsqlDbType.Text);
                await writer.WriteAsync(row.ExternalId, NpgsqlDbType.Varchar);
                await writer.WriteAsync(row.Json, payloadAsBytea ? NpgsqlDbType.Bytea : NpgsqlDbType.Jsonb);
                await writer.WriteAsync(row.Hash, NpgsqlDbType.Bytea);
                await writer.WriteAsync(row.Json.Length, NpgsqlDbType.Integer);
                await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
            }
            await writer.CompleteAsync();
        }
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The API's query without the API: keyset pages of the same size, every column read. Timed on its second pass,
    /// like the read through the API (<see cref="ReadThroughApiAsync"/>).
    /// </summary>
    private static async Task<double> RawSelectAsync(string connectionString, int connectionId, int expected)
    {
        await RawSelectPassAsync(connectionString, connectionId, expected);
        await Task.Delay(_tierUpPause);
        return await RawSelectPassAsync(connectionString, connectionId, expected);
    }

    private static async Task<double> RawSelectPassAsync(string connectionString, int connectionId, int expected)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync();
        var read = 0;
        (DateTimeOffset At, Guid Id) after = (DateTimeOffset.MinValue, Guid.Empty);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            await using var command = new NpgsqlCommand("""
                SELECT id, external_id, payload, created_at, updated_at, deleted_at, pruned_at FROM records
                WHERE connection_id = @c AND model = @m AND size_bytes >= 0 AND (updated_at, id) > (@at, @id)
                ORDER BY updated_at, id LIMIT @limit
                """, connection);
            command.Parameters.AddWithValue("c", connectionId);
            command.Parameters.AddWithValue("m", Model);
            command.Parameters.AddWithValue("at", after.At);
            command.Parameters.AddWithValue("id", after.Id);
            command.Parameters.AddWithValue("limit", PageSize);
            var inPage = 0;
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    after = (reader.GetFieldValue<DateTimeOffset>(4), reader.GetGuid(0));
                    _ = reader.GetString(1);
                    _ = reader.GetFieldValue<byte[]>(2);
                    inPage++;
                }
            }
            read += inPage;
            if (inPage < PageSize)
            {
                break;
            }
        }
        var seconds = watch.Elapsed.TotalSeconds;
        if (read != expected)
        {
            throw new InvalidOperationException($"raw SELECT read {read:N0} records, expected {expected:N0}");
        }
        return seconds;
    }

    private static async Task<(double Seconds, int Pages, TimeSpan WebCpu)> ReadThroughApiAsync(RunningWeb web, string secretKey, int expected)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = web.Url };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secretKey);
        client.DefaultRequestHeaders.Add("Connection-Id", ConnectionName);
        client.DefaultRequestHeaders.Add("Provider-Config-Key", IntegrationKey);
        // One whole read untimed, by cursor like the timed one: the server's first requests pay for JIT, its tier-up
        // and connection set-up, and a warm-up of first pages only (no cursor) left the cursor path cold (perf: the JIT
        // took 13-18% of Nango.Web's samples during the timed read).
        await ReadAllAsync(client, expected);
        await Task.Delay(_tierUpPause);
        var cpuBefore = web.Process.CpuTime;
        var watch = Stopwatch.StartNew();
        var pages = await ReadAllAsync(client, expected);
        var seconds = watch.Elapsed.TotalSeconds;
        var cpu = web.Process.CpuTime - cpuBefore;
        return (seconds, pages, cpu);
    }

    /// <summary>Every record, page after page by cursor; returns the number of pages.</summary>
    private static async Task<int> ReadAllAsync(HttpClient client, int expected)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var pages = 0;
        string? cursor = null;
        do
        {
            (cursor, var pageIds) = await ReadPageAsync(client, cursor);
            ids.UnionWith(pageIds);
            pages++;
        }
        while (cursor is not null);
        if (ids.Count != expected)
        {
            throw new InvalidOperationException($"GET /records returned {ids.Count:N0} distinct records, expected {expected:N0}");
        }
        return pages;
    }

    private static async Task<(string? Cursor, List<string> Ids)> ReadPageAsync(HttpClient client, string? cursor)
    {
        var path = $"/records?model={Model}&limit={PageSize}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(body)}");
        }
        using var page = JsonDocument.Parse(body);
        var ids = page.RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();
        var next = page.RootElement.GetProperty("next_cursor");
        return (next.ValueKind == JsonValueKind.Null ? null : next.GetString(), ids);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Before a timed step: what autovacuum and the checkpointer do between scheduled runs, done now and waited for, so a
    /// step pays for its own writes and not for the steps before it. Without it, a checkpoint started by the WAL of the
    /// earlier steps, or autovacuum analysing the rows they wrote, ran inside the timed first run on some runs and not
    /// on others (Postgres CPU 1.5 s to 2.1 s for the same run; perf showed ANALYZE taking a third of it).
    /// </summary>
    private static async Task SettleAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        // An autovacuum worker busy with this database would make VACUUM wait for its lock, then be cancelled: let it end.
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2) && await RecordsThroughRunner.AutovacuumActiveAsync(dataSource))
        {
            await Task.Delay(200);
        }
        // Separate statements: VACUUM cannot run inside the implicit transaction of a multi-statement command.
        foreach (var sql in new[] { "VACUUM (ANALYZE)", "CHECKPOINT" })
        {
            await using var command = dataSource.CreateCommand(sql);
            command.CommandTimeout = 600;
            try
            {
                await command.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                // CHECKPOINT needs a superuser or pg_checkpoint: without it, the step may share the machine with one.
            }
        }
    }

    private static async Task<int> FindAnyConnectionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM connections WHERE connection_id = @c LIMIT 1", connection);
        command.Parameters.AddWithValue("c", ConnectionName);
        return (int)(await command.ExecuteScalarAsync() ?? throw new InvalidOperationException("The bench connection was not created."));
    }

    internal sealed record RunningWeb(BenchProcess Process, Uri Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    /// <summary>
    /// Nango.Web from this build's output (Release with <c>-c Release</c>), configured for production; a caller that
    /// writes secrets of its own into the database passes the <paramref name="encryptionKey"/> to use.
    /// </summary>
    internal static async Task<RunningWeb> StartNangoWebAsync(string connectionString, string workDirectory, string secretKey, string? encryptionKey = null, string? runnerPath = null)
    {
        var port = BenchProcess.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Nango"] = connectionString,
            ["Nango__EncryptionKey"] = encryptionKey ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Nango__DataPath"] = Path.Combine(workDirectory, "data"),
            ["Nango__ServerUrl"] = url.GetLeftPart(UriPartial.Authority),
            ["Nango__InternalUrl"] = $"http://127.0.0.1:{BenchProcess.FreePort()}",
            ["Nango__Bootstrap__AdminEmail"] = "bench@example.com",
            ["Nango__Bootstrap__AdminPassword"] = "bench-password-1",
            ["Nango__Bootstrap__SecretKey"] = secretKey,
        };
        if (runnerPath is not null)
        {
            environment["Nango__Runner__Path"] = runnerPath;
        }
        var process = BenchProcess.Start("Nango.Web", "dotnet", [Path.Combine(AppContext.BaseDirectory, "Nango.Web.dll"), "--urls", url.GetLeftPart(UriPartial.Authority)],
            AppContext.BaseDirectory, environment);
        try
        {
            await process.WaitUntilHealthyAsync(new Uri(url, "/health"), TimeSpan.FromMinutes(2));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new RunningWeb(process, url);
    }

    internal static HttpClient ApiClient(Uri web, string secretKey)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = web };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secretKey);
        return client;
    }

    /// <summary>Records of <paramref name="otherConnection"/> whose id and payload equal those of <paramref name="connectionId"/>'s.</summary>
    private static async Task<long> IdenticalRecordsAsync(NpgsqlDataSource dataSource, int connectionId, string otherConnection)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT count(*) FROM records a
            JOIN connections c ON c.connection_id = @other
            JOIN records b ON b.connection_id = c.id AND b.model = a.model AND b.external_id = a.external_id AND b.payload = a.payload
            WHERE a.connection_id = @c AND a.model = @m
            """);
        command.Parameters.AddWithValue("other", otherConnection);
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("m", Model);
        command.CommandTimeout = 600;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>An OAuth integration of the built-in catalog (once) and an imported connection, through the public API.</summary>
    private static async Task CreateConnectionAsync(HttpClient client, string connectionName)
    {
        if (connectionName == ConnectionName)
        {
            using var integration = await client.PostAsJsonAsync("/integrations", new
            {
                provider = "github",
                unique_key = IntegrationKey,
                credentials = new { type = "OAUTH2", client_id = "bench-client", client_secret = "bench-secret", scopes = "repo" },
            });
            if (!integration.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /integrations: {(int)integration.StatusCode} {await integration.Content.ReadAsStringAsync()}");
            }
        }
        using var connection = await client.PostAsJsonAsync("/connections", new
        {
            provider_config_key = IntegrationKey,
            connection_id = connectionName,
            credentials = new { type = "OAUTH2", access_token = "bench-access" },
        });
        if (connection.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /connections: {(int)connection.StatusCode} {await connection.Content.ReadAsStringAsync()}");
        }
    }
}
