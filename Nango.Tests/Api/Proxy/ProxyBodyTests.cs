using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Nango.Tests.Api.Proxy.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// Bodies both ways pass unchanged: binary and multipart uploads byte for byte (also when a retry sends them again),
/// the provider's answer with its status, headers and exact bytes, empty 204s, errors as the provider wrote them, and
/// compressed answers either as they came or decompressed on request.
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyBodyTests(ProxyWorld world) : IDisposable
{
    private readonly HttpClient _api = world.Web.CreateApiClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _api.Dispose();

    private static ByteArrayContent Binary(byte[] bytes, string contentType = "application/octet-stream")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    [Fact]
    public async Task A_binary_request_body_reaches_the_provider_byte_for_byte()
    {
        var path = ProxyCalls.UniquePath("upload");
        var bytes = GeneratedStream.Bytes(1024 * 1024 + 17, seed: 7);
        using var content = Binary(bytes);

        var response = await _api.ProxyAsync(HttpMethod.Post, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, content: content);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var received = Assert.Single(world.Upstream.Received("/api-key" + path));
        Assert.Equal(bytes.Length, received.BodyLength);
        Assert.True(bytes.AsSpan().SequenceEqual(received.Body), "The body the provider got differs from the one sent.");
        Assert.Equal("application/octet-stream", received.Header("content-type"));
    }

    [Fact]
    public async Task A_request_body_is_sent_whole_again_on_a_retry()
    {
        var path = ProxyCalls.UniquePath("upload-retried");
        world.Upstream.On("/api-key" + path, ProxyUpstream.FailThenEcho(503));
        var bytes = GeneratedStream.Bytes(512 * 1024, seed: 8);
        using var content = Binary(bytes, "image/png");

        var response = await _api.ProxyAsync(HttpMethod.Put, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, [("Retries", "1")], content);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var attempts = world.Upstream.Received("/api-key" + path);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.True(bytes.AsSpan().SequenceEqual(a.Body), $"Attempt at {a.ReceivedAt:HH:mm:ss.fff} got {a.BodyLength} different bytes."));
        Assert.All(attempts, a => Assert.Equal("image/png", a.Header("content-type")));
    }

    [Fact]
    public async Task A_body_too_large_to_keep_for_retries_is_sent_once_and_whole()
    {
        var path = ProxyCalls.UniquePath("upload-too-large");
        world.Upstream.On("/api-key" + path, (context, _, _) => ProxyUpstream.JsonAsync(context, 503, new { error = "unavailable" }));
        var bytes = GeneratedStream.Bytes(ProxyWorld.MaxBufferedBodyBytes * 3 + 5, seed: 9);
        using var content = Binary(bytes);

        var response = await _api.ProxyAsync(HttpMethod.Post, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, [("Retries", "2")], content);

        // It could not be sent again, so it was not retried; the provider's answer comes back as it was.
        await response.AssertStatusAsync(HttpStatusCode.ServiceUnavailable);
        var received = Assert.Single(world.Upstream.Received("/api-key" + path));
        Assert.Equal(bytes.Length, received.BodyLength);
        Assert.True(bytes.AsSpan().SequenceEqual(received.Body), "The body the provider got differs from the one sent.");
    }

    [Fact]
    public async Task A_multipart_upload_reaches_the_provider_byte_for_byte_with_its_boundary()
    {
        var path = ProxyCalls.UniquePath("multipart");
        var file = GeneratedStream.Bytes(300_000, seed: 11);
        using var multipart = new MultipartFormDataContent("nango-test-" + Guid.NewGuid().ToString("N"));
        multipart.Add(new StringContent("quarterly report, é"), "note");
        var filePart = new ByteArrayContent(file);
        filePart.Headers.ContentType = MediaTypeHeaderValue.Parse("application/pdf");
        multipart.Add(filePart, "file", "report.pdf");
        var sent = await multipart.ReadAsByteArrayAsync(Ct);
        var contentType = multipart.Headers.ContentType!.ToString();
        (long FileLength, string? Note) parsed = default;
        world.Upstream.On("/api-key" + path, async (context, request, _) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            parsed = (form.Files["file"]?.Length ?? -1, form["note"]);
            await ProxyUpstream.EchoAsync(context, request);
        });
        using var content = new ByteArrayContent(sent);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await _api.ProxyAsync(HttpMethod.Post, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, content: content);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var received = Assert.Single(world.Upstream.Received("/api-key" + path));
        Assert.Equal(contentType, received.Header("content-type"));
        Assert.True(sent.AsSpan().SequenceEqual(received.Body), "The multipart body the provider got differs from the one sent.");
        Assert.Equal((file.LongLength, "quarterly report, é"), parsed);
    }

    [Fact]
    public async Task A_binary_answer_comes_back_byte_for_byte_with_its_headers()
    {
        var path = ProxyCalls.UniquePath("download");
        var bytes = GeneratedStream.Bytes(2 * 1024 * 1024 + 3, seed: 12);
        world.Upstream.On("/api-key" + path, async (context, _, _) =>
        {
            context.Response.ContentType = "application/zip";
            context.Response.Headers.ContentDisposition = "attachment; filename=\"export.zip\"";
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        });

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var answer = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(bytes.AsSpan().SequenceEqual(answer), "The answer differs from what the provider sent.");
        Assert.Equal("application/zip", response.Header("Content-Type"));
        Assert.Equal("attachment; filename=\"export.zip\"", response.Header("Content-Disposition"));
    }

    [Fact]
    public async Task A_chunked_answer_of_unknown_length_comes_back_whole()
    {
        var path = ProxyCalls.UniquePath("chunked");
        const long length = 5L * 1024 * 1024 + 1;
        string? sentSha = null;
        world.Upstream.On("/api-key" + path, async (context, _, _) =>
        {
            context.Response.ContentType = "application/x-ndjson";
            // No Content-Length: Kestrel sends it chunked, flushed as it goes.
            await context.Response.StartAsync(context.RequestAborted);
            sentSha = await GeneratedStream.WriteToAsync(context.Response.Body, length, seed: 13, context.RequestAborted);
        });

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, completion: HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (receivedLength, receivedSha) = await GeneratedStream.HashAsync(await response.Content.ReadAsStreamAsync(Ct), Ct);
        Assert.Equal((length, sentSha), (receivedLength, receivedSha));
        Assert.Equal("application/x-ndjson", response.Header("Content-Type"));
    }

    [Fact]
    public async Task A_json_answer_comes_back_verbatim()
    {
        var path = ProxyCalls.UniquePath("verbatim");
        const string body = "{\"b\": 1,  \"a\":[1,2] ,\"big\":12345678901234567890, \"e\":\"\\u00e9\"}\n";
        world.Upstream.On("/api-key" + path, async (context, _, _) =>
        {
            context.Response.ContentType = "application/vnd.test+json; charset=utf-8";
            await context.Response.WriteAsync(body, context.RequestAborted);
        });

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        Assert.Equal(body, await response.AssertStatusAsync(HttpStatusCode.OK));
        Assert.Equal("application/vnd.test+json; charset=utf-8", response.Header("Content-Type"));
    }

    [Fact]
    public async Task A_204_comes_back_empty()
    {
        var path = ProxyCalls.UniquePath("no-content");
        world.Upstream.On("/api-key" + path, (context, _, _) =>
        {
            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        });

        var response = await _api.ProxyAsync(HttpMethod.Delete, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);

        Assert.Equal("", await response.AssertStatusAsync(HttpStatusCode.NoContent));
    }

    [Fact]
    public async Task A_201_comes_back_with_its_location()
    {
        var path = ProxyCalls.UniquePath("created");
        world.Upstream.On("/api-key" + path, (context, _, _) =>
            ProxyUpstream.JsonAsync(context, 201, new { id = 7 }, ("Location", "https://provider.example/items/7")));

        var response = await _api.ProxyAsync(HttpMethod.Post, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, content: ProxyCalls.Json(new { name = "x" }));

        Assert.Equal("""{"id":7}""", await response.AssertStatusAsync(HttpStatusCode.Created));
        Assert.Equal("https://provider.example/items/7", response.Header("Location"));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(422)]
    [InlineData(500)]
    public async Task A_provider_error_comes_back_with_its_status_headers_and_body(int status)
    {
        var path = ProxyCalls.UniquePath("error");
        const string body = """{"message":"Validation Failed","errors":[{"field":"title","code":"missing"}]}""";
        world.Upstream.On("/api-key" + path, async (context, _, _) =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/problem+json";
            context.Response.Headers["X-GitHub-Request-Id"] = "ABCD:1234";
            await context.Response.WriteAsync(body, context.RequestAborted);
        });

        var response = await _api.ProxyAsync(HttpMethod.Post, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, content: ProxyCalls.Json(new { }));

        Assert.Equal(body, await response.AssertStatusAsync((HttpStatusCode)status));
        Assert.Equal("application/problem+json", response.Header("Content-Type"));
        Assert.Equal("ABCD:1234", response.Header("X-GitHub-Request-Id"));
    }

    [Fact]
    public async Task A_compressed_answer_comes_back_compressed_unless_decompression_is_asked_for()
    {
        var path = ProxyCalls.UniquePath("gzip");
        var plain = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"row\":\"compressible\"}\n", 2000)));
        var gzipped = Gzip(plain);
        world.Upstream.On("/api-key" + path, async (context, _, _) =>
        {
            context.Response.ContentType = "application/x-ndjson";
            context.Response.Headers.ContentEncoding = "gzip";
            await context.Response.Body.WriteAsync(gzipped, context.RequestAborted);
        });

        var raw = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId);
        var decompressed = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, [("Decompress", "true")]);

        Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
        Assert.Equal("gzip", raw.Header("Content-Encoding"));
        var rawBytes = await raw.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(gzipped.AsSpan().SequenceEqual(rawBytes), "Without Decompress the compressed bytes should pass unchanged.");
        Assert.Equal(HttpStatusCode.OK, decompressed.StatusCode);
        Assert.Null(decompressed.Header("Content-Encoding"));
        var decompressedBytes = await decompressed.Content.ReadAsByteArrayAsync(Ct);
        Assert.True(plain.AsSpan().SequenceEqual(decompressedBytes), "With Decompress: true the body should be the decompressed bytes.");
    }

    private static byte[] Gzip(byte[] plain)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(plain);
        }
        return output.ToArray();
    }
}
