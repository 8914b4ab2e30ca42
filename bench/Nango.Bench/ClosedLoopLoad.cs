using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Nango.Bench;

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers, each sending its next request as soon as the
/// previous answer has been read to the end, until the time is up. A request counts when it answered the expected
/// status with exactly the expected number of bytes (any number when none is expected) and, when a check is given, a
/// body it accepts; anything else is an error. An in-process overload runs any operation the same way.
/// </summary>
internal static class ClosedLoopLoad
{
    /// <summary>A client with its own connection pool: no proxy, no cookies, no decompression, no trace headers.</summary>
    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        ActivityHeadersPropagator = null,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static async Task<LoadResult> RunAsync(
        HttpClient client, Func<HttpRequestMessage> request, Expected expected, int concurrency, TimeSpan duration, BenchProcess? server)
    {
        var serverCpu = server?.CpuTime;
        var benchCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency)
            .Select(_ => Task.Run(() => WorkerAsync(client, request, expected, stopAt)))
            .ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var benchCpuMs = (Process.GetCurrentProcess().TotalProcessorTime - benchCpu).TotalMilliseconds;
        var serverCpuMs = server is null ? (double?)null : (server.CpuTime - serverCpu!.Value).TotalMilliseconds;

        var latencies = results.SelectMany(r => r.Ticks).Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        return new LoadResult(
            latencies.Length,
            results.Sum(r => r.Errors),
            results.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
            elapsed.TotalSeconds,
            latencies,
            serverCpuMs,
            benchCpuMs);
    }

    /// <summary>
    /// The same loop around an operation in this process: <paramref name="operation"/> answers null when it went well,
    /// else what went wrong.
    /// </summary>
    public static async Task<LoadResult> RunAsync(Func<Task<string?>> operation, int concurrency, TimeSpan duration)
    {
        var benchCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        var stopAt = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency)
            .Select(_ => Task.Run(async () =>
            {
                var ticks = new List<long>(1 << 14);
                var errors = 0;
                string? firstError = null;
                while (Stopwatch.GetTimestamp() < stopAt)
                {
                    var sent = Stopwatch.GetTimestamp();
                    if (await operation() is { } error)
                    {
                        firstError ??= error;
                        errors++;
                        continue;
                    }
                    ticks.Add(Stopwatch.GetTimestamp() - sent);
                }
                return (Ticks: ticks, Errors: errors, FirstError: firstError);
            }))
            .ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var benchCpuMs = (Process.GetCurrentProcess().TotalProcessorTime - benchCpu).TotalMilliseconds;
        var latencies = results.SelectMany(r => r.Ticks).Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        return new LoadResult(latencies.Length, results.Sum(r => r.Errors), results.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
            elapsed.TotalSeconds, latencies, null, benchCpuMs);
    }

    private static async Task<(List<long> Ticks, int Errors, string? FirstError)> WorkerAsync(
        HttpClient client, Func<HttpRequestMessage> request, Expected expected, long stopAt)
    {
        var buffer = new byte[64 * 1024];
        var ticks = new List<long>(1 << 14);
        var errors = 0;
        string? firstError = null;
        while (Stopwatch.GetTimestamp() < stopAt)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var message = request();
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
                await using var body = await response.Content.ReadAsStreamAsync();
                var received = 0;
                int read;
                // Without a check the buffer is only a sink; with one the body is kept (a body larger than the buffer fails it).
                while ((read = await body.ReadAsync(expected.Check is null || received >= buffer.Length ? buffer : buffer.AsMemory(received))) > 0)
                {
                    received += read;
                }
                if (response.StatusCode == expected.Status && (expected.Bytes is null || received == expected.Bytes)
                    && (expected.Check is null || (received <= buffer.Length && expected.Check(buffer.AsSpan(0, received)))))
                {
                    ticks.Add(Stopwatch.GetTimestamp() - sent);
                    continue;
                }
                firstError ??= $"{(int)response.StatusCode} with {received} bytes";
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                firstError ??= ex.Message;
            }
            errors++;
        }
        return (ticks, errors, firstError);
    }
}

/// <summary>Whether a response body is the expected one.</summary>
internal delegate bool BodyCheck(ReadOnlySpan<byte> body);

/// <summary>What a good answer is: its status and, when given, its exact body length and a check of its content.</summary>
internal sealed record Expected(HttpStatusCode Status, int? Bytes, BodyCheck? Check = null)
{
    public static Expected Ok(int bytes) => new(HttpStatusCode.OK, bytes);
}

/// <summary>One target at one body size and concurrency. Latencies are sorted, in milliseconds.</summary>
internal sealed record LoadResult(int Requests, int Errors, string? FirstError, double Seconds, double[] LatenciesMs, double? ServerCpuMs, double BenchCpuMs)
{
    public double PerSecond => Requests / Seconds;

    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double Percentile(double p) =>
        LatenciesMs.Length == 0 ? double.NaN : LatenciesMs[Math.Clamp((int)Math.Ceiling(p * LatenciesMs.Length) - 1, 0, LatenciesMs.Length - 1)];

    public double? ServerCpuMsPerRequest => ServerCpuMs is { } ms && Requests > 0 ? ms / Requests : null;

    public double BenchCpuMsPerRequest => Requests > 0 ? BenchCpuMs / Requests : double.NaN;

    /// <summary>The database's CPU over the run, where the scenario measured it (the proxy's log writes, for one).</summary>
    public double? PostgresCpuMs { get; init; }

    public double? PostgresCpuMsPerRequest => PostgresCpuMs is { } ms && Requests > 0 ? ms / Requests : null;

    public JsonObject ToJson() => new()
    {
        ["requests"] = Requests,
        ["errors"] = Errors,
        ["firstError"] = FirstError,
        ["seconds"] = BenchSupport.Round(Seconds),
        ["requestsPerSecond"] = Math.Round(PerSecond),
        ["p50Ms"] = Number(P50),
        ["p99Ms"] = Number(P99),
        ["maxMs"] = LatenciesMs.Length == 0 ? null : Number(LatenciesMs[^1]),
        ["serverCpuMsPerRequest"] = ServerCpuMsPerRequest is { } server ? Number(server) : null,
        ["benchCpuMsPerRequest"] = Number(BenchCpuMsPerRequest),
        ["postgresCpuMsPerRequest"] = PostgresCpuMsPerRequest is { } postgres ? Number(postgres) : null,
    };

    /// <summary>JSON has no NaN: a run without a single good request has no latency.</summary>
    private static JsonValue? Number(double value) => double.IsNaN(value) ? null : JsonValue.Create(BenchSupport.Round(value));
}
