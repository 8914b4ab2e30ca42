using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core;
using Nango.Core.Accounts;
using Npgsql;

namespace Nango.Bench;

/// <summary>
/// Scenario <c>actions</c> (issue 7): a trivial action — a CommonJS bundle as the CLI emits it, returning its input —
/// deployed through <c>POST /sync/deploy</c> to a Nango.Web process and triggered with <c>POST /action/trigger</c>
/// (secret key, Connection-Id, Provider-Config-Key) by a fixed-time closed loop at each concurrency, every answer
/// checked to equal the input. Cold starts: fresh accounts, each with its own environment, integration, connection and
/// deploy, timed from the first trigger (whose dispatch spawns the account's runner process) to its answer. Baseline in
/// the same run: the same bundle run in this process by the runner's own execution code (<see cref="ActionsBaseline"/>).
/// </summary>
internal static class ActionsBenchmark
{
    public const string IntegrationKey = "bench-actions";
    public const string ConnectionName = "bench-connection";
    public const string ActionName = "benchEcho";

    private const string CliUserAgent = "nango-cli/0.71.10 (linux/6.1.0; node.js/20.20.2)";

    /// <summary>The action as the CLI compiles it: <c>module.exports.default</c> holds it; <c>exec</c> returns its input.</summary>
    public const string Bundle = """
        "use strict";
        var __defProp = Object.defineProperty;
        var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
        var __getOwnPropNames = Object.getOwnPropertyNames;
        var __hasOwnProp = Object.prototype.hasOwnProperty;
        var __export = (target, all) => {
          for (var name in all)
            __defProp(target, name, { get: all[name], enumerable: true });
        };
        var __copyProps = (to, from, except, desc) => {
          if (from && typeof from === "object" || typeof from === "function") {
            for (let key of __getOwnPropNames(from))
              if (!__hasOwnProp.call(to, key) && key !== except)
                __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
          }
          return to;
        };
        var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);
        var benchEcho_exports = {};
        __export(benchEcho_exports, { default: () => benchEcho_default });
        module.exports = __toCommonJS(benchEcho_exports);
        var action = {
          type: "action",
          description: "Returns its input",
          version: "1.0.0",
          endpoint: { method: "POST", path: "/bench/echo", group: "Bench" },
          exec: async (nango, input) => {
            return input;
          }
        };
        var benchEcho_default = action;
        """;

    /// <summary>A small input of every JSON kind; the action's answer must equal it.</summary>
    public static readonly JsonObject Input = new()
    {
        ["id"] = "bench-1",
        ["title"] = "Echo me",
        ["count"] = 42,
        ["ratio"] = 0.5,
        ["open"] = true,
        ["closedAt"] = null,
        ["tags"] = new JsonArray("a", "b", "c"),
        ["author"] = new JsonObject { ["login"] = "bench", ["id"] = 7 },
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(BenchSupport.IntArg(args, "--duration", 10));
        // Warm means steady state: in 3 s Nango.Web had not finished tiering its hot paths up and Npgsql had not prepared
        // the hot statements on every pooled connection; c1 p50 was 10–12 ms then, 7.5–9 ms after 15 s.
        var warmup = TimeSpan.FromSeconds(BenchSupport.IntArg(args, "--warmup", 15));
        var concurrencies = BenchSupport.IntListArg(args, "--concurrency", [1, 16]);
        var coldAccounts = BenchSupport.IntArg(args, "--cold", 5);
        var keep = args.Contains("--keep");
        var server = BenchSupport.Server;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var database = $"nango_bench_actions_{stamp.ToLowerInvariant()}";
        var workDirectory = Path.Combine(Path.GetTempPath(), database);
        Console.WriteLine($"actions benchmark: {duration.TotalSeconds:0} s per row after {warmup.TotalSeconds:0} s of warm-up, concurrency {string.Join(", ", concurrencies)}, " +
            $"{coldAccounts} cold starts, {System.Environment.ProcessorCount} cores, load average {RecordsBenchmark.LoadAverage()}, Postgres {BenchSupport.Redact(server)}");

        await BenchSupport.CreateDatabaseAsync(server, database);
        Directory.CreateDirectory(workDirectory);
        try
        {
            var runnerPath = await BenchSupport.RunnerAsShippedAsync(args, workDirectory);
            var connectionString = BenchSupport.ConnectionString(server, database);
            var secretKey = Guid.NewGuid().ToString();
            var encryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            await using var web = await RecordsBenchmark.StartNangoWebAsync(connectionString, workDirectory, secretKey, encryptionKey, runnerPath);
            using var accounts = AccountsHost(connectionString, encryptionKey, workDirectory);
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            using (var api = RecordsBenchmark.ApiClient(web.Url, secretKey))
            {
                await SetUpAsync(api);
            }

            var inputJson = Input.ToJsonString();
            var body = Encoding.UTF8.GetBytes(new JsonObject { ["action_name"] = ActionName, ["input"] = Input.DeepClone() }.ToJsonString());
            var expected = new Expected(HttpStatusCode.OK, null, IsInput);
            using var load = ClosedLoopLoad.CreateClient();
            HttpRequestMessage Trigger() => TriggerRequest(web.Url, secretKey, body);

            // Untimed: the first call spawns the account's runner; the rest warm both processes (JIT, pools, engines).
            var warm = await ClosedLoopLoad.RunAsync(load, Trigger, expected, concurrencies.Max(), warmup, web.Process);
            Console.WriteLine($"  warm-up: {warm.Requests:N0} actions, {warm.Errors} errors{(warm.FirstError is { } e ? $" (first: {e})" : "")}");
            // The first runner start also starts the pool's spare process in the background: the rows time the steady state.
            await SettleAsync(web.Process);

            var rows = new List<(int Concurrency, LoadResult Result, double RunnerCpuMs)>();
            foreach (var concurrency in concurrencies)
            {
                var runnerCpu = ProcessCpu.Children(web.Process.Id);
                var result = await ClosedLoopLoad.RunAsync(load, Trigger, expected, concurrency, duration, web.Process);
                var runnerCpuMs = (ProcessCpu.Children(web.Process.Id) - runnerCpu).TotalMilliseconds;
                rows.Add((concurrency, result, runnerCpuMs));
                Console.WriteLine($"  POST /action/trigger, concurrency {concurrency}: {Describe(result)}; CPU per action: Nango.Web {result.ServerCpuMsPerRequest:0.00} ms, " +
                    $"runner {runnerCpuMs / Math.Max(1, result.Requests):0.00} ms");
            }

            var colds = new List<ColdStart>();
            for (var i = 0; i < coldAccounts; i++)
            {
                // Each new account arrives at a settled platform (its spare, if any, started), not on the heels of the last one.
                await SettleAsync(web.Process);
                colds.Add(await ColdStartAsync(accounts.Services, web, dataSource, body, i));
                Console.WriteLine($"  cold start {i + 1}: {colds[^1].Describe()}");
            }

            using var baselineInput = JsonDocument.Parse(inputJson);
            var inputElement = baselineInput.RootElement.Clone();
            var baseline = new ActionsBaseline(Bundle, concurrencies.Max());
            _ = await ClosedLoopLoad.RunAsync(() => baseline.RunAsync(inputElement), concurrencies.Max(), warmup);
            var baselineRows = new List<(int Concurrency, LoadResult Result)>();
            foreach (var concurrency in concurrencies)
            {
                var result = await ClosedLoopLoad.RunAsync(() => baseline.RunAsync(inputElement), concurrency, duration);
                baselineRows.Add((concurrency, result));
                Console.WriteLine($"  in-process runner execution (baseline), concurrency {concurrency}: {Describe(result)}; CPU per action {result.BenchCpuMsPerRequest:0.000} ms");
            }

            var c1 = rows.FirstOrDefault(r => r.Concurrency == 1).Result ?? rows[0].Result;
            var c16 = rows.FirstOrDefault(r => r.Concurrency == 16).Result ?? rows[^1].Result;
            var coldSeconds = colds.Select(c => c.Seconds).Order().ToArray();
            var coldMedian = coldSeconds.Length == 0 ? double.NaN : coldSeconds[(coldSeconds.Length - 1) / 2];
            var coldMax = coldSeconds.Length == 0 ? double.NaN : coldSeconds[^1];
            var errors = rows.Sum(r => r.Result.Errors) + baselineRows.Sum(r => r.Result.Errors) + colds.Count(c => c.Error is not null);

            var report = new JsonObject
            {
                ["scenario"] = "actions",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = System.Environment.ProcessorCount,
                ["loadAverage"] = RecordsBenchmark.LoadAverage(),
                ["durationSeconds"] = duration.TotalSeconds,
                ["input"] = Input.DeepClone(),
                ["warm"] = new JsonArray([.. rows.Select(r =>
                {
                    var json = r.Result.ToJson();
                    json["concurrency"] = r.Concurrency;
                    json["runnerCpuMsPerAction"] = BenchSupport.Round(r.RunnerCpuMs / Math.Max(1, r.Result.Requests));
                    var inProcess = baselineRows.First(b => b.Concurrency == r.Concurrency).Result;
                    json["p50VsBaseline"] = BenchSupport.Round(r.Result.P50 / inProcess.P50);
                    json["throughputVsBaseline"] = BenchSupport.Round(r.Result.PerSecond / inProcess.PerSecond);
                    return (JsonNode)json;
                })]),
                ["baseline"] = new JsonArray([.. baselineRows.Select(r =>
                {
                    var json = r.Result.ToJson();
                    json["concurrency"] = r.Concurrency;
                    return (JsonNode)json;
                })]),
                ["cold"] = new JsonObject
                {
                    ["accounts"] = colds.Count,
                    ["medianSeconds"] = BenchSupport.Round(coldMedian),
                    ["maxSeconds"] = BenchSupport.Round(coldMax),
                    ["starts"] = new JsonArray([.. colds.Select(c => (JsonNode)c.ToJson())]),
                },
            };
            var goals = new (string Text, string Measured, bool Met)[]
            {
                ("warm p50 at concurrency 1 ≤ 10 ms", $"{c1.P50:0.0} ms", c1.P50 <= 10),
                ("warm p99 at concurrency 1 ≤ 50 ms", $"{c1.P99:0.0} ms", c1.P99 <= 50),
                ("≥ 300 actions/s at concurrency 16", $"{c16.PerSecond:N0}/s", c16.PerSecond >= 300),
                ("cold start (first action of a new account, runner spawn included) ≤ 1.5 s, median", $"{coldMedian:0.000} s (max {coldMax:0.000} s)", coldMedian <= 1.5),
                ("every answer equals the input", $"{errors} errors", errors == 0),
            };
            report["goals"] = new JsonArray([.. goals.Select(g => new JsonObject { ["goal"] = g.Text, ["measured"] = g.Measured, ["result"] = g.Met ? "PASS" : "MISS" })]);

            Console.WriteLine();
            Console.WriteLine($"Each row is a closed loop of {duration.TotalSeconds:0} s: every worker sends its next POST /action/trigger when the previous answer " +
                "has been read and checked; latencies are the client's, loopback HTTP included. The baseline runs the same bundle with the runner's own " +
                "execution code in this process (warm engines, no HTTP, no database).");
            Console.WriteLine();
            Console.WriteLine("| row | actions | errors | actions/s | p50 ms | p99 ms | CPU ms/action | vs baseline |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var (concurrency, load1, runnerCpuMs) in rows)
            {
                var inProcess = baselineRows.First(b => b.Concurrency == concurrency).Result;
                Console.WriteLine($"| POST /action/trigger, concurrency {concurrency} | {load1.Requests:N0} | {load1.Errors} | {load1.PerSecond:N0} | {load1.P50:0.00} | {load1.P99:0.00} | " +
                    $"Web {load1.ServerCpuMsPerRequest:0.00} + runner {runnerCpuMs / Math.Max(1, load1.Requests):0.00} | " +
                    $"p50 {load1.P50 / inProcess.P50:0.0}×, throughput {load1.PerSecond / inProcess.PerSecond:0.000}× |");
            }
            foreach (var (concurrency, load1) in baselineRows)
            {
                Console.WriteLine($"| in-process runner execution (baseline), concurrency {concurrency} | {load1.Requests:N0} | {load1.Errors} | {load1.PerSecond:N0} | {load1.P50:0.000} | {load1.P99:0.000} | {load1.BenchCpuMsPerRequest:0.000} | |");
            }
            Console.WriteLine($"| cold start, {colds.Count} new accounts | {colds.Count} | {colds.Count(c => c.Error is not null)} | | median {coldMedian * 1000:0} | max {coldMax * 1000:0} | | |");
            Console.WriteLine();
            Console.WriteLine("| goal (issue 7) | measured | result |");
            Console.WriteLine("|---|---|---|");
            foreach (var goal in goals)
            {
                Console.WriteLine($"| {goal.Text} | {goal.Measured} | {(goal.Met ? "PASS" : "MISS")} |");
            }
            Console.WriteLine();
            Console.WriteLine($"load average (1/5/15 min) at the end: {RecordsBenchmark.LoadAverage()} on {System.Environment.ProcessorCount} cores");
            Console.WriteLine($"results: {BenchSupport.WriteResult(report, "actions", stamp)}");
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

    private static string Describe(LoadResult result) =>
        $"{result.Requests:N0} actions, {result.PerSecond:N0}/s, p50 {result.P50:0.00} ms, p99 {result.P99:0.00} ms, {result.Errors} errors" +
        (result.FirstError is { } error ? $" (first: {error})" : "");

    private static bool IsInput(ReadOnlySpan<byte> body)
    {
        try
        {
            return JsonNode.DeepEquals(JsonNode.Parse(body), Input);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static HttpRequestMessage TriggerRequest(Uri web, string secretKey, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(web, "/action/trigger")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secretKey);
        request.Headers.Add("Connection-Id", ConnectionName);
        request.Headers.Add("Provider-Config-Key", IntegrationKey);
        return request;
    }

    /// <summary>
    /// A new account (its own environments and secret key), its integration, connection and deploy, then its first
    /// action, timed from sending the trigger to reading the answer. The task row tells where the time went (database clock).
    /// </summary>
    private static async Task<ColdStart> ColdStartAsync(IServiceProvider services, RecordsBenchmark.RunningWeb web, NpgsqlDataSource dataSource, byte[] body, int index)
    {
        var secretKey = Guid.NewGuid().ToString();
        var account = await services.GetRequiredService<AccountService>()
            .CreateAccountAsync($"Bench cold {index + 1}", new Dictionary<string, string> { ["dev"] = secretKey });
        using (var api = RecordsBenchmark.ApiClient(web.Url, secretKey))
        {
            await SetUpAsync(api);
        }
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        // The connection to Nango.Web is opened first: the cold start is the platform's, not this client's.
        using (var health = await client.GetAsync(new Uri(web.Url, "/health")))
        {
            health.EnsureSuccessStatusCode();
        }
        var watch = Stopwatch.StartNew();
        string? error = null;
        using (var request = TriggerRequest(web.Url, secretKey, body))
        using (var response = await client.SendAsync(request))
        {
            var answer = await response.Content.ReadAsByteArrayAsync();
            watch.Stop();
            if (response.StatusCode != HttpStatusCode.OK || !IsInput(answer))
            {
                error = $"{(int)response.StatusCode} {Encoding.UTF8.GetString(answer)}";
            }
        }
        var first = watch.Elapsed.TotalSeconds;
        // The account's second action: its runner is up now.
        var second = Stopwatch.StartNew();
        using (var request = TriggerRequest(web.Url, secretKey, body))
        using (var response = await client.SendAsync(request))
        {
            await response.Content.ReadAsByteArrayAsync();
            second.Stop();
        }
        await using var command = dataSource.CreateCommand("""
            SELECT extract(epoch FROM started_at - created_at) * 1000, extract(epoch FROM ended_at - started_at) * 1000, runner_id
            FROM function_tasks WHERE account_id = @account ORDER BY created_at LIMIT 1
            """);
        command.Parameters.AddWithValue("account", account.Id);
        await using var reader = await command.ExecuteReaderAsync();
        var (queued, running, runner) = await reader.ReadAsync() && !reader.IsDBNull(1)
            ? (Convert.ToDouble(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToDouble(reader.GetValue(1), CultureInfo.InvariantCulture), reader.IsDBNull(2) ? null : reader.GetString(2))
            : (double.NaN, double.NaN, null);
        return new ColdStart(first, queued, running, second.Elapsed.TotalMilliseconds, error, runner);
    }

    /// <summary>
    /// Until Nango.Web's runner processes are quiet (under 5% of a core for half a second), at most 20 s: background
    /// process starts (the spare) are not charged to the row or the cold start measured next.
    /// </summary>
    private static async Task SettleAsync(BenchProcess web)
    {
        var watch = Stopwatch.StartNew();
        var before = ProcessCpu.Children(web.Id);
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(500);
            var now = ProcessCpu.Children(web.Id);
            if ((now - before).TotalMilliseconds < 25)
            {
                return;
            }
            before = now;
        }
    }

    /// <summary>Integration, imported connection and the action's deploy, through the public API as a user would.</summary>
    private static async Task SetUpAsync(HttpClient api)
    {
        using (var integration = await api.PostAsJsonAsync("/integrations", new
        {
            provider = "github",
            unique_key = IntegrationKey,
            credentials = new { type = "OAUTH2", client_id = "bench-client", client_secret = "bench-secret", scopes = "repo" },
        }))
        {
            await EnsureAsync(integration, "POST /integrations");
        }
        using (var connection = await api.PostAsJsonAsync("/connections", new
        {
            provider_config_key = IntegrationKey,
            connection_id = ConnectionName,
            credentials = new { type = "OAUTH2", access_token = "bench-access" },
        }))
        {
            await EnsureAsync(connection, "POST /connections");
        }
        var flow = new JsonObject
        {
            ["syncName"] = ActionName,
            ["providerConfigKey"] = IntegrationKey,
            ["models"] = new JsonArray($"Output_{ActionName}"),
            ["runs"] = null,
            ["version"] = "1.0.0",
            ["metadata"] = new JsonObject { ["description"] = "Returns its input", ["scopes"] = new JsonArray() },
            ["input"] = $"Input_{ActionName}",
            ["type"] = "action",
            ["fileBody"] = new JsonObject { ["js"] = Bundle, ["ts"] = $"// {ActionName}.ts (bench: returns its input)\n" },
            ["endpoints"] = new JsonArray(new JsonObject { ["method"] = "POST", ["path"] = "/bench/echo", ["group"] = "Bench" }),
            ["track_deletes"] = false,
            ["models_json_schema"] = new JsonObject
            {
                ["definitions"] = new JsonObject
                {
                    [$"Input_{ActionName}"] = new JsonObject { ["type"] = "object" },
                    [$"Output_{ActionName}"] = new JsonObject(),
                },
            },
            ["features"] = new JsonArray(),
        };
        var deploy = new JsonObject
        {
            ["flowConfigs"] = new JsonArray(flow),
            ["onEventScriptsByProvider"] = new JsonArray(),
            ["deployMode"] = "all",
            ["reconcile"] = true,
            ["debug"] = false,
            ["sdkVersion"] = "0.71.10-zero",
            ["nangoYamlBody"] = "",
            ["source"] = "repo",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sync/deploy")
        {
            Content = new StringContent(deploy.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", CliUserAgent);
        using var response = await api.SendAsync(request);
        await EnsureAsync(response, "POST /sync/deploy");
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Core's services over the bench database with Nango.Web's encryption key, never started: only to create accounts.</summary>
    private static IHost AccountsHost(string connectionString, string encryptionKey, string workDirectory)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Nango"] = connectionString,
            ["Nango:EncryptionKey"] = encryptionKey,
            ["Nango:DataPath"] = Path.Combine(workDirectory, "accounts-host"),
        });
        builder.Services.AddNangoCore(builder.Configuration);
        builder.Services.AddDataProtection();
        return builder.Build();
    }

    /// <summary>One new account's first action: trigger → answer, and from its task row the wait to be claimed and the run (spawn included).</summary>
    /// <remarks>
    /// <see cref="RunnerId"/> tells how the account got its runner: <c>spare-…</c> is the process the pool started ahead
    /// of need (Nango__Runner__SpareProcesses, default 1), <c>account-…</c> one spawned for it on the spot (run with
    /// Nango__Runner__SpareProcesses=0 to time that).
    /// </remarks>
    private sealed record ColdStart(double Seconds, double QueuedMs, double StartedToEndedMs, double SecondActionMs, string? Error, string? RunnerId)
    {
        public string Describe() =>
            $"{Seconds * 1000:0} ms trigger → answer (task queued {QueuedMs:0} ms, started → ended {StartedToEndedMs:0} ms, runner {RunnerId ?? "?"}" +
            (RunnerId?.StartsWith("spare-", StringComparison.Ordinal) == true ? ", the spare started ahead" : ", spawned for it") +
            $"); the account's second action {SecondActionMs:0} ms" +
            (Error is null ? "" : $"; ERROR {Error}");

        public JsonObject ToJson() => new()
        {
            ["seconds"] = BenchSupport.Round(Seconds),
            ["queuedMs"] = double.IsNaN(QueuedMs) ? null : BenchSupport.Round(QueuedMs),
            ["startedToEndedMs"] = double.IsNaN(StartedToEndedMs) ? null : BenchSupport.Round(StartedToEndedMs),
            ["secondActionMs"] = BenchSupport.Round(SecondActionMs),
            ["runnerId"] = RunnerId,
            ["error"] = Error,
        };
    }
}
