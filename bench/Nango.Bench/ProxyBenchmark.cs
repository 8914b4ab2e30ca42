using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Nango.Bench;

/// <summary>
/// Scenario <c>proxy</c>: <c>GET /proxy/…</c> on a Nango.Web process (Release, its own database, an API-key
/// connection made through the public API) in front of a loopback Kestrel upstream serving pre-built JSON
/// bodies. Baselines in the same run, at the same body size and concurrency: the upstream called directly, the
/// upstream behind a Node forwarder (Node's http server + axios, as Nango forwards), and the upstream behind YARP's
/// forwarder (<see cref="YarpForwarder"/>: one .NET forwarding hop that does nothing else, the ceiling for any proxy
/// on this stack).
/// </summary>
internal static class ProxyBenchmark
{
    private const string ProviderName = "bench-upstream";
    private const string IntegrationKey = "bench-upstream";
    private const string ConnectionName = "bench-connection";
    private const string AxiosVersion = "1.18.0";
    private const string WebEnvironmentPrefix = "NANGO_BENCH_WEB_";

    private static readonly int[] _sizes = [1024, 100 * 1024];

    public static async Task<int> RunAsync(string[] args)
    {
        var duration = TimeSpan.FromSeconds(BenchSupport.IntArg(args, "--duration", 10));
        var warmup = TimeSpan.FromSeconds(BenchSupport.IntArg(args, "--warmup", 2));
        var prewarm = TimeSpan.FromSeconds(BenchSupport.IntArg(args, "--prewarm", 30));
        var concurrencies = BenchSupport.IntListArg(args, "--concurrency", [1, 32]);
        var keep = args.Contains("--keep");
        var breakdown = !args.Contains("--no-breakdown");
        var server = BenchSupport.Server;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
        var database = $"nango_bench_proxy_{stamp.ToLowerInvariant()}";
        var workDirectory = Path.Combine(Path.GetTempPath(), database);
        Console.WriteLine($"proxy benchmark: GET of {string.Join(" and ", _sizes.Select(SizeLabel))} JSON, concurrency {string.Join(", ", concurrencies)}, " +
            $"{duration.TotalSeconds:0} s per run after {warmup.TotalSeconds:0} s of warm-up ({prewarm.TotalSeconds:0} s per target before the first), {System.Environment.ProcessorCount} cores, Postgres {BenchSupport.Redact(server)}");

        var nodeDirectory = Path.Combine(BenchSupport.RepositoryRoot(), "bench", "node");
        await EnsureNodeModulesAsync(nodeDirectory);
        await BenchSupport.CreateDatabaseAsync(server, database);
        Directory.CreateDirectory(workDirectory);
        try
        {
            var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            await using var upstream = await Upstream.StartAsync(apiKey, _sizes);
            var secretKey = Guid.NewGuid().ToString();
            await using var web = await StartNangoWebAsync(server, database, workDirectory, upstream.Url, secretKey);
            await CreateConnectionAsync(web.Url, secretKey, apiKey);
            await using var node = await StartNodeForwarderAsync(nodeDirectory, upstream.Url, apiKey);
            await using var yarp = await StartYarpForwarderAsync(upstream.Url, apiKey);

            using var directClient = ClosedLoopLoad.CreateClient();
            using var proxyClient = ClosedLoopLoad.CreateClient();
            using var nodeClient = ClosedLoopLoad.CreateClient();
            using var yarpClient = ClosedLoopLoad.CreateClient();
            Target[] targets =
            [
                new("direct", directClient, size => Get(upstream.Url, size, ("x-api-key", apiKey)), null),
                new("proxy", proxyClient, size => Get(new Uri(web.Url, "/proxy/"), size,
                    ("Authorization", $"Bearer {secretKey}"), ("Connection-Id", ConnectionName), ("Provider-Config-Key", IntegrationKey)), web.Process),
                new("node", nodeClient, size => Get(new Uri(node.Url, "/proxy/"), size), node.Process),
                new("yarp", yarpClient, size => Get(new Uri(yarp.Url, "/proxy/"), size), yarp.Process),
            ];
            await CheckBodiesAsync(targets, upstream);
            await PrewarmAsync(targets, prewarm, concurrencies.Max());

            var rows = new List<Row>();
            foreach (var size in _sizes)
            {
                foreach (var concurrency in concurrencies)
                {
                    var results = new Dictionary<string, LoadResult>(StringComparer.Ordinal);
                    foreach (var target in targets)
                    {
                        await ClosedLoopLoad.RunAsync(target.Client, () => target.Request(size), Expected.Ok(size), concurrency, warmup, target.Server);
                        results[target.Name] = await MeasureAsync(target, size, concurrency, duration);
                    }
                    var row = new Row(size, concurrency, results["direct"], results["proxy"], results["node"], results["yarp"]);
                    rows.Add(row);
                    Console.WriteLine($"  {SizeLabel(size)} × {concurrency}: direct {row.Direct.PerSecond:N0}/s, proxy {row.Proxy.PerSecond:N0}/s, " +
                        $"node {row.Node.PerSecond:N0}/s, yarp {row.Yarp.PerSecond:N0}/s");
                }
            }
            var steps = new List<Step>();
            if (breakdown)
            {
                var full = targets.Single(t => t.Name == "proxy");
                foreach (var concurrency in concurrencies)
                {
                    foreach (var probe in Probes(web, secretKey))
                    {
                        await ClosedLoopLoad.RunAsync(proxyClient, probe.Request, probe.Expected, concurrency, warmup, web.Process);
                        steps.Add(new Step(probe.Name, concurrency, await ClosedLoopLoad.RunAsync(proxyClient, probe.Request, probe.Expected, concurrency, duration, web.Process)));
                    }
                    steps.Add(new Step($"the same, through to the upstream ({SizeLabel(_sizes[0])})", concurrency,
                        rows.Single(r => r.Size == _sizes[0] && r.Concurrency == concurrency).Proxy));
                }
            }
            if (web.Process.HasExited || node.Process.HasExited || yarp.Process.HasExited)
            {
                Console.Error.WriteLine($"a server exited during the run. Nango.Web:\n{web.Process.Tail}\nNode:\n{node.Process.Tail}\nYARP:\n{yarp.Process.Tail}");
                return 1;
            }

            var goals = Goals(rows);
            var result = new JsonObject
            {
                ["scenario"] = "proxy",
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["cores"] = System.Environment.ProcessorCount,
                // The 1/5/15-minute load average at the end: other work on the machine competes for the cores.
                ["loadAverage"] = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null,
                ["durationSeconds"] = duration.TotalSeconds,
                ["warmupSeconds"] = warmup.TotalSeconds,
                ["prewarmSecondsPerTarget"] = prewarm.TotalSeconds,
                ["node"] = node.Version,
                ["axios"] = AxiosVersion,
                ["yarp"] = yarp.Version,
                ["upstreamRejectedRequests"] = upstream.Rejected,
                ["rows"] = new JsonArray([.. rows.Select(r => r.ToJson())]),
                ["goals"] = new JsonArray([.. goals.Select(g => g.ToJson())]),
                ["breakdown"] = new JsonArray([.. steps.Select(s => s.ToJson())]),
            };
            Print(result, rows, goals, steps);
            Console.WriteLine($"results: {BenchSupport.WriteResult(result, "proxy", stamp)}");
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

    private sealed record Target(string Name, HttpClient Client, Func<int, HttpRequestMessage> Request, BenchProcess? Server);

    /// <summary>
    /// One timed run, with the database's CPU beside the forwarder's: Nango.Web's proxy writes a log operation per call,
    /// work a baseline does not do that lands in Postgres rather than in Nango.Web's own CPU.
    /// </summary>
    private static async Task<LoadResult> MeasureAsync(Target target, int size, int concurrency, TimeSpan duration)
    {
        var postgresBefore = ProcessCpu.Postgres();
        var result = await ClosedLoopLoad.RunAsync(target.Client, () => target.Request(size), Expected.Ok(size), concurrency, duration, target.Server);
        return result with { PostgresCpuMs = (ProcessCpu.Postgres() - postgresBefore).TotalMilliseconds };
    }

    private sealed record Row(int Size, int Concurrency, LoadResult Direct, LoadResult Proxy, LoadResult Node, LoadResult Yarp)
    {
        public double ProxyVsDirect => Proxy.PerSecond / Direct.PerSecond;

        public double NodeVsDirect => Node.PerSecond / Direct.PerSecond;

        public double ProxyVsNode => Proxy.PerSecond / Node.PerSecond;

        public double YarpVsDirect => Yarp.PerSecond / Direct.PerSecond;

        public double ProxyVsYarp => Proxy.PerSecond / Yarp.PerSecond;

        public JsonObject ToJson() => new()
        {
            ["bodyBytes"] = Size,
            ["concurrency"] = Concurrency,
            ["direct"] = Direct.ToJson(),
            ["proxy"] = Proxy.ToJson(),
            ["node"] = Node.ToJson(),
            ["yarp"] = Yarp.ToJson(),
            ["proxyVsDirect"] = BenchSupport.Round(ProxyVsDirect),
            ["nodeVsDirect"] = BenchSupport.Round(NodeVsDirect),
            ["proxyVsNode"] = BenchSupport.Round(ProxyVsNode),
            ["yarpVsDirect"] = BenchSupport.Round(YarpVsDirect),
            ["proxyVsYarp"] = BenchSupport.Round(ProxyVsYarp),
            ["proxyAddedP50Ms"] = BenchSupport.Round(Proxy.P50 - Direct.P50),
            ["proxyAddedP99Ms"] = BenchSupport.Round(Proxy.P99 - Direct.P99),
            ["nodeAddedP50Ms"] = BenchSupport.Round(Node.P50 - Direct.P50),
            ["nodeAddedP99Ms"] = BenchSupport.Round(Node.P99 - Direct.P99),
            ["yarpAddedP50Ms"] = BenchSupport.Round(Yarp.P50 - Direct.P50),
            ["yarpAddedP99Ms"] = BenchSupport.Round(Yarp.P99 - Direct.P99),
        };
    }

    /// <summary>A request to Nango.Web that stops after one more part of the proxy's work than the one before.</summary>
    private sealed record Probe(string Name, Func<HttpRequestMessage> Request, Expected Expected);

    private sealed record Step(string Name, int Concurrency, LoadResult Result)
    {
        public JsonObject ToJson()
        {
            var json = Result.ToJson();
            json["step"] = Name;
            json["concurrency"] = Concurrency;
            return json;
        }
    }

    /// <summary>
    /// The proxy's work in layers: Kestrel and the middleware alone, then the secret-key check (cached per instance),
    /// then the connection lookup and the call's log operation (refused before any upstream call).
    /// </summary>
    private static Probe[] Probes(RunningServer web, string secretKey) =>
    [
        new("GET /health: Kestrel and middleware, no auth, no database", () => Get(new Uri(web.Url, "/health"), null), new Expected(HttpStatusCode.OK, null)),
        new("/proxy without Connection-Id: + secret key check → 400", () => Get(new Uri(web.Url, "/proxy/"), _sizes[0],
            ("Authorization", $"Bearer {secretKey}")), new Expected(HttpStatusCode.BadRequest, null)),
        new("/proxy, unknown connection: + connection lookup + log operation → 404", () => Get(new Uri(web.Url, "/proxy/"), _sizes[0],
            ("Authorization", $"Bearer {secretKey}"), ("Connection-Id", "no-such-connection"), ("Provider-Config-Key", IntegrationKey)), new Expected(HttpStatusCode.NotFound, null)),
    ];

    private sealed record Goal(string Text, string Measured, bool? Met)
    {
        public string Verdict => Met switch { true => "PASS", false => "MISS", null => "n/a" };

        public JsonObject ToJson() => new() { ["goal"] = Text, ["measured"] = Measured, ["result"] = Verdict };
    }

    /// <summary>Issue 6's goals for this 2-core machine. A miss is reported, not turned into a failing exit code.</summary>
    private static List<Goal> Goals(List<Row> rows)
    {
        var goals = new List<Goal>();
        foreach (var (size, minimum) in new[] { (1024, 0.5), (100 * 1024, 0.8) })
        {
            var text = $"{SizeLabel(size)}, concurrency 32: proxy ≥ {minimum:0.0}× direct req/s";
            goals.Add(rows.FirstOrDefault(r => r.Size == size && r.Concurrency == 32) is { } row
                ? new Goal(text, $"{row.ProxyVsDirect:0.00}×", row.ProxyVsDirect >= minimum)
                : new Goal(text, "not run", null));
        }
        foreach (var size in _sizes)
        {
            var text = $"{SizeLabel(size)}, concurrency 1: proxy adds ≤ 1 ms at p50";
            goals.Add(rows.FirstOrDefault(r => r.Size == size && r.Concurrency == 1) is { } row
                ? new Goal(text, $"{row.Proxy.P50 - row.Direct.P50:0.000} ms", row.Proxy.P50 - row.Direct.P50 <= 1.0)
                : new Goal(text, "not run", null));
        }
        foreach (var row in rows)
        {
            goals.Add(new Goal($"{SizeLabel(row.Size)}, concurrency {row.Concurrency}: proxy ahead of Node (req/s)", $"{row.ProxyVsNode:0.00}×", row.ProxyVsNode > 1.0));
        }
        return goals;
    }

    private static void Print(JsonObject result, List<Row> rows, List<Goal> goals, List<Step> steps)
    {
        Console.WriteLine();
        Console.WriteLine("| body | concurrency | direct req/s | proxy req/s | node req/s | yarp req/s | proxy/direct | node/direct | yarp/direct | proxy/node | proxy/yarp |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            Console.WriteLine($"| {SizeLabel(r.Size)} | {r.Concurrency} | {r.Direct.PerSecond:N0} | {r.Proxy.PerSecond:N0} | {r.Node.PerSecond:N0} | {r.Yarp.PerSecond:N0} " +
                $"| {r.ProxyVsDirect:0.00} | {r.NodeVsDirect:0.00} | {r.YarpVsDirect:0.00} | {r.ProxyVsNode:0.00} | {r.ProxyVsYarp:0.00} |");
        }
        Console.WriteLine();
        Console.WriteLine("| body | concurrency | direct p50 / p99 ms | proxy adds p50 / p99 ms | node adds p50 / p99 ms | yarp adds p50 / p99 ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            Console.WriteLine($"| {SizeLabel(r.Size)} | {r.Concurrency} | {Ms(r.Direct.P50)} / {Ms(r.Direct.P99)} | {Added(r.Proxy, r.Direct)} | {Added(r.Node, r.Direct)} | {Added(r.Yarp, r.Direct)} |");
        }
        Console.WriteLine();
        Console.WriteLine("CPU per request (ms): the forwarding process, Postgres during the proxy's runs (its log writes), and this bench process (load generator + upstream).");
        Console.WriteLine("| body | concurrency | Nango.Web | Postgres, proxy | node | yarp | bench, direct | bench, proxy | bench, node | bench, yarp |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            Console.WriteLine($"| {SizeLabel(r.Size)} | {r.Concurrency} | {Ms(r.Proxy.ServerCpuMsPerRequest ?? double.NaN)} | {Ms(r.Proxy.PostgresCpuMsPerRequest ?? double.NaN)} " +
                $"| {Ms(r.Node.ServerCpuMsPerRequest ?? double.NaN)} | {Ms(r.Yarp.ServerCpuMsPerRequest ?? double.NaN)} | {Ms(r.Direct.BenchCpuMsPerRequest)} " +
                $"| {Ms(r.Proxy.BenchCpuMsPerRequest)} | {Ms(r.Node.BenchCpuMsPerRequest)} | {Ms(r.Yarp.BenchCpuMsPerRequest)} |");
        }
        var failed = rows.SelectMany(r => new[] { ("direct", r.Direct), ("proxy", r.Proxy), ("node", r.Node), ("yarp", r.Yarp) }.Where(t => t.Item2.Errors > 0)
            .Select(t => $"{SizeLabel(r.Size)} × {r.Concurrency} {t.Item1}: {t.Item2.Errors} errors, first: {t.Item2.FirstError}")).ToList();
        if (failed.Count > 0 || (int)result["upstreamRejectedRequests"]! > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"errors (not counted above): {string.Join("; ", failed)}; upstream refused {result["upstreamRejectedRequests"]} requests for a wrong API key");
        }
        if (steps.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("Where the proxy's time goes: requests to Nango.Web that stop after each part of its work.");
            Console.WriteLine("| concurrency | request | req/s | p50 / p99 ms | p50 over the line above | Nango.Web CPU ms/req |");
            Console.WriteLine("|---|---|---|---|---|---|");
            Step? above = null;
            foreach (var step in steps)
            {
                var added = above is not null && above.Concurrency == step.Concurrency ? Ms(step.Result.P50 - above.Result.P50) : "";
                Console.WriteLine($"| {step.Concurrency} | {step.Name} | {step.Result.PerSecond:N0} | {Ms(step.Result.P50)} / {Ms(step.Result.P99)} | {added} | {Ms(step.Result.ServerCpuMsPerRequest ?? double.NaN)} |");
                above = step;
            }
        }
        Console.WriteLine();
        Console.WriteLine("| goal (issue 6) | measured | result |");
        Console.WriteLine("|---|---|---|");
        foreach (var goal in goals)
        {
            Console.WriteLine($"| {goal.Text} | {goal.Measured} | {goal.Verdict} |");
        }
        Console.WriteLine();
        Console.WriteLine($"load average (1/5/15 min) {result["loadAverage"]} on {result["cores"]} cores; Node {result["node"]}, axios {result["axios"]}, YARP {result["yarp"]}");
    }

    private static string Added(LoadResult through, LoadResult direct) => $"{Ms(through.P50 - direct.P50)} / {Ms(through.P99 - direct.P99)}";

    private static string Ms(double value) => double.IsNaN(value) ? "–" : value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string SizeLabel(int bytes) => $"{bytes / 1024} KB";

    /// <summary>GET of the upstream path for <paramref name="size"/> under <paramref name="baseUrl"/> (or of <paramref name="baseUrl"/> itself).</summary>
    private static HttpRequestMessage Get(Uri baseUrl, int? size, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, size is { } bytes ? new Uri(baseUrl, Upstream.PathFor(bytes).TrimStart('/')) : baseUrl);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    /// <summary>
    /// Load on every target, both body sizes in turn, before the first measurement. Nango.Web starts on tier-0 code
    /// and recompiles its hot path in the background: under load on two busy cores that went on for about a minute
    /// (dotnet-counters: JIT time ≈ process CPU time throughout the first 1 KB run), which a run's own short warm-up
    /// does not cover. Node and the bench process get the same, so no target is measured cold.
    /// </summary>
    private static async Task PrewarmAsync(Target[] targets, TimeSpan prewarm, int concurrency)
    {
        if (prewarm <= TimeSpan.Zero)
        {
            return;
        }
        Console.WriteLine($"  warming up: {prewarm.TotalSeconds:0} s per target at concurrency {concurrency}");
        var slice = TimeSpan.FromSeconds(2);
        foreach (var target in targets)
        {
            for (var (spent, i) = (TimeSpan.Zero, 0); spent < prewarm; spent += slice, i++)
            {
                var size = _sizes[i % _sizes.Length];
                await ClosedLoopLoad.RunAsync(target.Client, () => target.Request(size), Expected.Ok(size), concurrency, slice, null);
            }
        }
    }

    /// <summary>Each target must return the upstream's bytes exactly before anything is timed.</summary>
    private static async Task CheckBodiesAsync(Target[] targets, Upstream upstream)
    {
        foreach (var target in targets)
        {
            foreach (var size in _sizes)
            {
                using var request = target.Request(size);
                using var response = await target.Client.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK || !body.AsSpan().SequenceEqual(upstream.Body(size)))
                {
                    throw new InvalidOperationException(
                        $"{target.Name} {request.RequestUri}: {(int)response.StatusCode}, {body.Length} bytes, not the upstream's {size}: {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 500)))}" +
                        (target.Server is { } server ? $"\n{server.Name} output:\n{server.Tail}" : ""));
                }
            }
        }
    }

    private sealed record RunningServer(BenchProcess Process, Uri Url, string Version) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    /// <summary>
    /// Nango.Web from this build's output (Release with <c>-c Release</c>), configured for production except that the
    /// proxy may reach 127.0.0.1 (the upstream's only address) and the catalog has the bench provider.
    /// </summary>
    private static async Task<RunningServer> StartNangoWebAsync(string server, string database, string workDirectory, Uri upstreamUrl, string secretKey)
    {
        var catalogFile = Path.Combine(workDirectory, "bench-providers.yaml");
        // The upstream URL is a single-quoted YAML scalar; ${apiKey} is Nango's template, filled from the credentials.
        await File.WriteAllTextAsync(catalogFile, $$"""
            {{ProviderName}}:
              display_name: Bench upstream
              categories:
                - dev-tools
              auth_mode: API_KEY
              proxy:
                base_url: '{{upstreamUrl.GetLeftPart(UriPartial.Authority)}}'
                headers:
                  x-api-key: ${apiKey}
              docs: 'https://nango.dev/docs'

            """);
        var port = BenchProcess.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var web = Path.Combine(AppContext.BaseDirectory, "Nango.Web.dll");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Nango"] = BenchSupport.ConnectionString(server, database),
            ["Nango__EncryptionKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Nango__DataPath"] = Path.Combine(workDirectory, "data"),
            ["Nango__ServerUrl"] = url.GetLeftPart(UriPartial.Authority),
            ["Nango__InternalUrl"] = $"http://127.0.0.1:{BenchProcess.FreePort()}",
            ["Nango__Bootstrap__AdminEmail"] = "bench@example.com",
            ["Nango__Bootstrap__AdminPassword"] = "bench-password-1",
            ["Nango__Bootstrap__SecretKey"] = secretKey,
            ["Nango__Catalog__ExtraFiles__0"] = catalogFile,
            ["Nango__Proxy__AllowedNetworks__0"] = "127.0.0.1/32",
        };
        // For profiling and experiments: NANGO_BENCH_WEB_<NAME>=value reaches Nango.Web (only) as <NAME>=value.
        foreach (var (name, value) in System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value ?? "")).Where(e => e.Item1.StartsWith(WebEnvironmentPrefix, StringComparison.Ordinal)))
        {
            environment[name[WebEnvironmentPrefix.Length..]] = value;
        }
        var process = BenchProcess.Start("Nango.Web", "dotnet", [web, "--urls", url.GetLeftPart(UriPartial.Authority)], AppContext.BaseDirectory, environment);
        try
        {
            await process.WaitUntilHealthyAsync(new Uri(url, "/health"), TimeSpan.FromMinutes(2));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
        return new RunningServer(process, url, "");
    }

    /// <summary>The integration and the API-key connection, through the public API as an app would make them.</summary>
    private static async Task CreateConnectionAsync(Uri web, string secretKey, string apiKey)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = web };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secretKey);
        using var integration = await client.PostAsJsonAsync("/integrations", new { provider = ProviderName, unique_key = IntegrationKey });
        if (!integration.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /integrations: {(int)integration.StatusCode} {await integration.Content.ReadAsStringAsync()}");
        }
        using var connection = await client.PostAsJsonAsync("/connections", new
        {
            provider_config_key = IntegrationKey,
            connection_id = ConnectionName,
            credentials = new { type = "API_KEY", apiKey },
        });
        if (connection.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /connections: {(int)connection.StatusCode} {await connection.Content.ReadAsStringAsync()}");
        }
    }

    private static Task<RunningServer> StartNodeForwarderAsync(string nodeDirectory, Uri upstreamUrl, string apiKey) =>
        StartForwarderAsync("Node forwarder", "node", ["forwarder.js"], nodeDirectory, new Dictionary<string, string>
        {
            ["UPSTREAM"] = upstreamUrl.GetLeftPart(UriPartial.Authority),
            ["API_KEY"] = apiKey,
            ["NODE_ENV"] = "production",
        });

    /// <summary>This bench's own executable in <see cref="YarpForwarder"/> mode, as a process of its own like Nango.Web.</summary>
    private static Task<RunningServer> StartYarpForwarderAsync(Uri upstreamUrl, string apiKey) =>
        StartForwarderAsync("YARP forwarder", "dotnet", [Path.Combine(AppContext.BaseDirectory, "Nango.Bench.dll"), YarpForwarder.Command],
            AppContext.BaseDirectory, new Dictionary<string, string>
            {
                ["UPSTREAM"] = upstreamUrl.GetLeftPart(UriPartial.Authority),
                ["API_KEY"] = apiKey,
            });

    /// <summary>A baseline forwarder process; both print "listening &lt;port&gt; &lt;version&gt;" once they accept requests.</summary>
    private static async Task<RunningServer> StartForwarderAsync(
        string name, string fileName, string[] arguments, string workingDirectory, Dictionary<string, string> environment)
    {
        var process = BenchProcess.Start(name, fileName, arguments, workingDirectory, environment);
        try
        {
            var ready = (await process.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal), TimeSpan.FromSeconds(30))).Split(' ');
            return new RunningServer(process, new Uri($"http://127.0.0.1:{ready[1]}/"), ready.Length > 2 ? ready[2] : "");
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Installs the forwarder's pinned packages (package-lock.json) the first time.</summary>
    private static async Task EnsureNodeModulesAsync(string nodeDirectory)
    {
        if (File.Exists(Path.Combine(nodeDirectory, "node_modules", "axios", "package.json")))
        {
            return;
        }
        Console.WriteLine($"installing the Node forwarder's packages in {nodeDirectory} (npm ci)");
        using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"]) { WorkingDirectory = nodeDirectory })
            ?? throw new InvalidOperationException("npm did not start.");
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {nodeDirectory} failed with exit code {npm.ExitCode}.");
        }
    }

    /// <summary>The provider's API: pre-built JSON bodies on loopback, refused without the connection's API key.</summary>
    private sealed class Upstream : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly Dictionary<string, byte[]> _bodies;
        private readonly string _apiKey;
        private int _rejected;

        private Upstream(WebApplication app, Dictionary<string, byte[]> bodies, string apiKey)
        {
            _app = app;
            _bodies = bodies;
            _apiKey = apiKey;
        }

        public Uri Url { get; private set; } = null!;

        public int Rejected => Volatile.Read(ref _rejected);

        public static string PathFor(int size) => $"/bench/{size / 1024}kb";

        public byte[] Body(int size) => _bodies[PathFor(size)];

        public static async Task<Upstream> StartAsync(string apiKey, IEnumerable<int> sizes)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var upstream = new Upstream(app, sizes.ToDictionary(PathFor, JsonBody, StringComparer.Ordinal), apiKey);
            app.Run(upstream.HandleAsync);
            await app.StartAsync();
            upstream.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
            return upstream;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task HandleAsync(HttpContext context)
        {
            if (!_bodies.TryGetValue(context.Request.Path.Value ?? "", out var body))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (!string.Equals(context.Request.Headers["x-api-key"].ToString(), _apiKey, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _rejected);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
        }

        /// <summary>A JSON document of exactly <paramref name="size"/> bytes: a list of small records, padded.</summary>
        private static byte[] JsonBody(int size)
        {
            const string Closing = "],\"pad\":\"";
            var text = new StringBuilder("{\"items\":[");
            for (var i = 0; ; i++)
            {
                var item = $"{{\"id\":{i},\"name\":\"item {i:D6}\",\"active\":{(i % 2 == 0 ? "true" : "false")},\"score\":{i * 7 % 1000}}}";
                if (text.Length + 1 + item.Length + Closing.Length + 2 > size)
                {
                    break;
                }
                text.Append(i == 0 ? "" : ",").Append(item);
            }
            text.Append(Closing);
            text.Append('x', size - text.Length - 2).Append("\"}");
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            Debug.Assert(bytes.Length == size);
            return bytes;
        }
    }
}
