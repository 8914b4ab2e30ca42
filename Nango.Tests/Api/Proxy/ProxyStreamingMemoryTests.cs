using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Proxy.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// Bodies stream through the proxy instead of being held: a 1 GiB download and a 200 MiB upload pass through a
/// separate Nango.Web process whose resident memory grows by less than 100 MB, and arrive whole (length and SHA-256
/// checked at the far end). The bytes are generated and hashed as they flow; the test never holds them either.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProxyStreamingMemoryTests(ProxyStreamingWorld world) : IClassFixture<ProxyStreamingWorld>
{
    private const long MaxGrowth = 100L * 1024 * 1024;
    private const long Download = 1024L * 1024 * 1024;
    private const long Upload = 200L * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private int Pid => world.Process.ProcessId;

    /// <summary>Downloads through the proxy; also returns how much the upstream had sent when the answer's headers arrived.</summary>
    private async Task<(long Length, string Sha256, long SentBeforeHeaders)> DownloadAsync(HttpClient api, long bytes, int seed)
    {
        var endpoint = $"/download?bytes={bytes.ToString(CultureInfo.InvariantCulture)}&seed={seed.ToString(CultureInfo.InvariantCulture)}";
        using var response = await api.ProxyAsync(HttpMethod.Get, endpoint, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, completion: HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // Read only on failure: an interpolated message is built before Assert runs, and would buffer the whole body.
            Assert.Fail($"Download answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        }
        var sentBeforeHeaders = world.BytesSent.GetValueOrDefault(seed);
        Assert.Equal(bytes, response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        var (length, sha256) = await GeneratedStream.HashAsync(body, Ct);
        return (length, sha256, sentBeforeHeaders);
    }

    /// <summary>Uploads through the proxy; also returns how much the caller had sent when the first bytes reached the upstream.</summary>
    private async Task<(long Length, string Sha256, string SentSha256, long SentAtFirstBytes)> UploadAsync(HttpClient api, long bytes, int seed)
    {
        await using var source = new GeneratedStream(bytes, seed);
        world.ResetUploadProgress();
        world.CallerPosition = () => source.Position;
        using var content = new StreamContent(source, 81920);
        content.Headers.ContentLength = bytes;
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await api.ProxyAsync(HttpMethod.Post, "/upload", ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, content: content);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Upload answered {(int)response.StatusCode}: {text}");
        var received = JsonNode.Parse(text)!;
        return ((long)received["length"]!, (string)received["sha256"]!, source.Sha256, world.CallerSentAtFirstBytes);
    }

    /// <summary>Runs <paramref name="transfer"/> and returns how far the process's resident memory rose above where it was.</summary>
    private async Task<long> GrowthDuringAsync(Func<Task> transfer)
    {
        var baseline = ProcessMemory.Read(Pid, "VmRSS");
        var peakReset = ProcessMemory.TryResetPeak(Pid);
        long peak;
        await using (var sampler = new RssSampler(Pid))
        {
            var watch = Stopwatch.StartNew();
            await transfer();
            TestContext.Current.TestOutputHelper?.WriteLine($"transfer took {watch.Elapsed.TotalSeconds:0.0} s");
            peak = sampler.Max;
        }
        if (peakReset)
        {
            peak = Math.Max(peak, ProcessMemory.Read(Pid, "VmHWM"));
        }
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"RSS before {baseline / 1048576} MB, peak {peak / 1048576} MB (peak {(peakReset ? "from VmHWM and samples" : "from samples only")})");
        return peak - baseline;
    }

    /// <summary>The proxy path, the JIT and the pools warmed up, so the measurement sees the transfer alone.</summary>
    private async Task WarmUpAsync(HttpClient api)
    {
        await DownloadAsync(api, 16L * 1024 * 1024, seed: 100);
        await UploadAsync(api, 16L * 1024 * 1024, seed: 101);
    }

    [Fact]
    public async Task A_1_GiB_download_streams_through_with_memory_growing_less_than_100_MB()
    {
        using var api = world.CreateProcessClient();
        await WarmUpAsync(api);
        (long Length, string Sha256, long SentBeforeHeaders) received = default;

        var growth = await GrowthDuringAsync(async () => received = await DownloadAsync(api, Download, seed: 1));

        Assert.Equal(Download, received.Length);
        Assert.Equal(world.SentSha256[1], received.Sha256);
        // Streamed, not stored and forwarded (to disk, say, which memory alone would not show): the answer began
        // while the provider was still sending.
        Assert.True(received.SentBeforeHeaders < Download / 2, $"The answer's headers came only after the provider had sent {received.SentBeforeHeaders / 1048576} MB.");
        Assert.True(growth < MaxGrowth, $"Nango.Web's resident memory grew by {growth / 1048576} MB during a 1 GiB download.");
        Assert.False(world.Process.HasExited, world.Process.Output);
    }

    [Fact]
    public async Task A_200_MiB_upload_streams_through_with_memory_growing_less_than_100_MB()
    {
        using var api = world.CreateProcessClient();
        await WarmUpAsync(api);
        (long Length, string Sha256, string SentSha256, long SentAtFirstBytes) result = default;

        var growth = await GrowthDuringAsync(async () => result = await UploadAsync(api, Upload, seed: 2));

        Assert.Equal(Upload, result.Length);
        Assert.Equal(result.SentSha256, result.Sha256);
        // Streamed, not stored and forwarded: the provider had the first bytes while the caller was still sending.
        Assert.InRange(result.SentAtFirstBytes, 1, Upload / 2);
        Assert.True(growth < MaxGrowth, $"Nango.Web's resident memory grew by {growth / 1048576} MB during a 200 MiB upload.");
        Assert.False(world.Process.HasExited, world.Process.Output);
    }
}
