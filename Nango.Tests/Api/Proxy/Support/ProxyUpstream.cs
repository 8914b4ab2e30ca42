using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Nango.Tests.Api.Proxy.Support;

/// <summary>
/// One request as the upstream received it: the raw request target (so query strings are compared byte for byte),
/// every header, and the body's length and SHA-256 (its bytes too, unless the route streams bodies too large to keep).
/// </summary>
public sealed record UpstreamRequest(
    string Method,
    string Path,
    string RawTarget,
    IReadOnlyDictionary<string, string> Headers,
    byte[]? Body,
    long BodyLength,
    string BodySha256,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The query string as sent, with its leading <c>?</c>, or empty.</summary>
    public string RawQuery => RawTarget.IndexOf('?', StringComparison.Ordinal) is var i and >= 0 ? RawTarget[i..] : "";

    public string BodyText => Body is null ? "" : Encoding.UTF8.GetString(Body);

    /// <summary>A header's values joined with ", " (how they arrived when sent as several lines), or null when absent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    public bool HasHeader(string name) => Headers.ContainsKey(name.ToLowerInvariant());
}

/// <summary>Answers one request of a route; <paramref name="attempt"/> counts earlier requests to the same path, from 0.</summary>
public delegate Task UpstreamHandler(HttpContext context, UpstreamRequest request, int attempt);

/// <summary>
/// The third-party API behind the proxy: Kestrel on a loopback address, recording every request and answering each
/// path with the handler a test registered for it (an echo of what it received when none is). Bodies have no size
/// limit. Tests keep out of each other's way by using their own paths.
/// </summary>
public sealed class ProxyUpstream : IAsyncDisposable
{
    /// <summary>Bodies up to this size are kept for assertions; larger ones only leave their length and hash.</summary>
    private const int MaxKeptBody = 32 * 1024 * 1024;

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<UpstreamRequest> _all = new();
    private readonly ConcurrentDictionary<string, Route> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    private sealed record Route(UpstreamHandler Handler, bool KeepBody, Action<long>? Progress = null);

    private ProxyUpstream(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary><c>http://address:port</c>, no trailing slash.</summary>
    public Uri BaseUrl { get; }

    public string Base => BaseUrl.ToString().TrimEnd('/');

    public int Port => BaseUrl.Port;

    /// <summary>Every request received, in arrival order.</summary>
    public IReadOnlyList<UpstreamRequest> All => _all.ToList();

    public static async Task<ProxyUpstream> StartAsync(IPAddress? address = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(address ?? IPAddress.Loopback, 0);
            o.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        ProxyUpstream? upstream = null;
        app.Run(context => upstream!.HandleAsync(context));
        await app.StartAsync();
        var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream = new ProxyUpstream(app, new Uri(listening));
        return upstream;
    }

    /// <summary>Answers <paramref name="path"/> (exact, as the upstream sees it) with <paramref name="handler"/>.</summary>
    public void On(string path, UpstreamHandler handler) => _routes[path] = new Route(handler, KeepBody: true);

    /// <summary>
    /// Like <see cref="On"/> for bodies too large to keep: only their length and hash are recorded. <paramref name="progress"/>
    /// is told the bytes received so far after each read, while the body is still arriving.
    /// </summary>
    public void OnLarge(string path, UpstreamHandler handler, Action<long>? progress = null) => _routes[path] = new Route(handler, KeepBody: false, progress);

    /// <summary>Requests received on <paramref name="path"/> (exact), in arrival order.</summary>
    public IReadOnlyList<UpstreamRequest> Received(string path) => _all.Where(r => r.Path == path).ToList();

    /// <summary>Requests received on paths starting with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<UpstreamRequest> ReceivedUnder(string prefix) => _all.Where(r => r.Path.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        _routes.TryGetValue(path, out var route);
        var keep = route?.KeepBody ?? true;
        var (body, length, sha) = await ReadBodyAsync(context, keep, route?.Progress);
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path + context.Request.QueryString;
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var request = new UpstreamRequest(context.Request.Method, path, rawTarget, headers, body, length, sha, DateTimeOffset.UtcNow);
        var attempt = _attempts.AddOrUpdate(path, 0, (_, n) => n + 1);
        _all.Enqueue(request);
        if (body is not null)
        {
            // Handlers that parse the body themselves (forms, OAuth 1 signatures) read it again from here.
            context.Request.Body = new MemoryStream(body, writable: false);
        }
        await (route?.Handler ?? EchoHandler)(context, request, attempt);
    }

    private static async Task<(byte[]? Body, long Length, string Sha256)> ReadBodyAsync(HttpContext context, bool keep, Action<long>? progress)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var kept = keep ? new MemoryStream() : null;
        var buffer = new byte[81920];
        long length = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            length += read;
            progress?.Invoke(length);
            if (kept is not null)
            {
                if (kept.Length + read > MaxKeptBody)
                {
                    throw new InvalidOperationException($"{context.Request.Path} received more than {MaxKeptBody} bytes; register it with OnLarge.");
                }
                kept.Write(buffer, 0, read);
            }
        }
        return (kept?.ToArray(), length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static Task EchoHandler(HttpContext context, UpstreamRequest request, int attempt) => EchoAsync(context, request);

    /// <summary>Answers 200 (or <paramref name="status"/>) with JSON describing what was received.</summary>
    public static async Task EchoAsync(HttpContext context, UpstreamRequest request, int status = 200)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            method = request.Method,
            path = request.Path,
            query = request.RawQuery,
            headers = request.Headers,
            body = request.BodyText,
            bodyLength = request.BodyLength,
        }), context.RequestAborted);
    }

    /// <summary>Answers <paramref name="status"/> with a JSON body and optional headers.</summary>
    public static async Task JsonAsync(HttpContext context, int status, object body, params (string Name, string Value)[] headers)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }

    /// <summary>A handler that fails with <paramref name="failures"/> answers (status, headers, body) in turn, then echoes.</summary>
    public static UpstreamHandler FailThenEcho(params (int Status, (string Name, string Value)[] Headers, object? Body)[] failures) =>
        async (context, request, attempt) =>
        {
            if (attempt < failures.Length)
            {
                var (status, headers, body) = failures[attempt];
                await JsonAsync(context, status, body ?? new { attempt, error = "failure " + attempt.ToString(CultureInfo.InvariantCulture) }, headers);
                return;
            }
            await EchoAsync(context, request);
        };

    /// <summary>Shorthand for failures without headers or body.</summary>
    public static UpstreamHandler FailThenEcho(params int[] statuses) =>
        FailThenEcho([.. statuses.Select(s => (s, Array.Empty<(string, string)>(), (object?)null))]);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
