using Nango.Core.Logs;

namespace Nango.Core.Proxy;

/// <summary>
/// The proxy's answer: either its own refusal (<see cref="Error"/>) or the provider's response, whose body is still
/// on the wire and is streamed by the caller. <see cref="Finish"/> closes the log operation once the body has been
/// passed on (or failed to be).
/// </summary>
public sealed class ProxyResponse : IDisposable
{
    /// <summary>Not passed back: they describe this hop only (RFC 9110 §7.6.1), or they are the proxy's own CORS policy's to set.</summary>
    private static readonly HashSet<string> _hopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization",
    };

    private readonly HttpResponseMessage? _response;
    private readonly IOperationLog? _log;
    private int _finished;

    private ProxyResponse(ProxyError? error, HttpResponseMessage? response, IOperationLog? log)
    {
        Error = error;
        _response = response;
        _log = log;
    }

    public ProxyError? Error { get; }

    public int StatusCode => _response is null ? Error!.Status : (int)_response.StatusCode;

    internal static ProxyResponse Refused(ProxyError error) => new(error, null, null);

    internal static ProxyResponse From(HttpResponseMessage response, IOperationLog log) => new(null, response, log);

    /// <summary>The provider's headers to pass back: all of them except hop-by-hop and <c>Access-Control-*</c>.</summary>
    /// <remarks>Raw values, as the provider wrote them: parsed ones would be re-split (a <c>Server</c> header into one line per product).</remarks>
    public IEnumerable<KeyValuePair<string, IEnumerable<string>>> Headers => _response is null
        ? []
        : _response.Headers.NonValidated.Concat(_response.Content.Headers.NonValidated)
            .Where(h => !_hopByHop.Contains(h.Key) && !h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, IEnumerable<string>>(h.Key, h.Value));

    public long? ContentLength => _response?.Content.Headers.ContentLength;

    public Task<Stream> ReadBodyAsync(CancellationToken ct) => _response is null ? Task.FromResult(Stream.Null) : _response.Content.ReadAsStreamAsync(ct);

    /// <summary>Ends the call's log operation: a success when the provider said 2xx or 3xx and the body reached the caller.</summary>
    public void Finish(Exception? streamingError = null)
    {
        if (_log is null || Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }
        var status = StatusCode;
        var summary = new LogHttpResponse(status);
        if (streamingError is not null)
        {
            _log.Fail(new LogError("proxy_stream_interrupted", $"The response body was not passed on completely: {streamingError.Message}"), summary);
        }
        else if (status < 400)
        {
            _log.Succeed(summary);
        }
        else
        {
            _log.Fail(new LogError("upstream_error", $"The provider answered {status}."), summary);
        }
    }

    public void Dispose()
    {
        Finish();
        _response?.Dispose();
    }
}
