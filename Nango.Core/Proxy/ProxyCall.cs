using Nango.Core.Environments;
using Nango.Core.Logs;

namespace Nango.Core.Proxy;

/// <summary>
/// One call through the proxy, from the public <c>/proxy</c> endpoint or from a function: which connection, what to
/// send, and how to retry. <see cref="Headers"/> are the headers meant for the provider (the <c>Nango-Proxy-</c>
/// prefix already removed); they override the provider's own header templates.
/// </summary>
public sealed record ProxyCall
{
    public required EnvironmentContext Environment { get; init; }
    public required string ProviderConfigKey { get; init; }
    public required string ConnectionId { get; init; }
    public required string Method { get; init; }

    /// <summary>The provider path as the caller wrote it (still percent-encoded), with a leading <c>/</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The caller's query string, with its <c>?</c>, or empty.</summary>
    public string QueryString { get; init; } = "";

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The request body, read once; null when there is none.</summary>
    public Stream? Body { get; init; }

    /// <summary>The body's length when the caller declared it.</summary>
    public long? BodyLength { get; init; }

    public int Retries { get; init; }

    /// <summary>Statuses the caller wants retried on top of the defaults (<c>Retry-On</c>).</summary>
    public IReadOnlySet<int> RetryOn { get; init; } = new HashSet<int>();

    public string? BaseUrlOverride { get; init; }

    /// <summary>Null: the provider's <c>proxy.decompress</c> decides.</summary>
    public bool? Decompress { get; init; }

    /// <summary>Null: the provider's <c>proxy.forward_headers_on_redirect</c> decides.</summary>
    public bool? ForwardHeadersOnRedirect { get; init; }

    /// <summary>An operation to add the attempts to (<c>Nango-Activity-Log-Id</c>) instead of opening one.</summary>
    public Guid? ActivityLogId { get; init; }

    public LogActor? Actor { get; init; }
}

/// <summary>A refusal by the proxy itself, answered in Nango's error envelope.</summary>
public sealed record ProxyError(int Status, string Code, string Message);
