using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>
/// A provider's <c>proxy</c> block. Strings may hold placeholders and <c>A || B</c> fallbacks; interpolate them with
/// <c>ProviderInterpolation</c> per connection.
/// </summary>
public sealed class ProviderProxy
{
    public string? BaseUrl { get; init; }

    /// <summary>Header templates added to every proxied request (caller headers win).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>();

    /// <summary>Body templates merged into proxied requests; may nest.</summary>
    public JsonObject Body { get; init; } = [];

    /// <summary><c>proxy.connection_config</c>: connection config values derived from templates.</summary>
    public IReadOnlyDictionary<string, string> ConnectionConfig { get; init; } = new Dictionary<string, string>();

    public ProviderRetry? Retry { get; init; }

    public bool Decompress { get; init; }

    public bool ForwardHeadersOnRedirect { get; init; }

    public ProviderPagination? Paginate { get; init; }

    public ProviderVerification? Verification { get; init; }

    internal static ProviderProxy? From(JsonNode? node) => node is not JsonObject proxy ? null : new ProviderProxy
    {
        BaseUrl = ProviderJson.String(proxy["base_url"]),
        Headers = ProviderJson.StringMap(proxy["headers"]),
        Query = ProviderJson.StringMap(proxy["query"]),
        Body = ProviderJson.Object(proxy["body"]),
        ConnectionConfig = ProviderJson.StringMap(proxy["connection_config"]),
        Retry = ProviderRetry.From(proxy["retry"]),
        Decompress = ProviderJson.Bool(proxy["decompress"]) ?? false,
        ForwardHeadersOnRedirect = ProviderJson.Bool(proxy["forward_headers_on_redirect"]) ?? false,
        Paginate = ProviderPagination.From(proxy["paginate"]),
        Verification = ProviderVerification.From(proxy["verification"]),
    };
}

/// <summary><c>proxy.retry</c>: how the provider says when to retry and how long to wait.</summary>
public sealed class ProviderRetry
{
    /// <summary>Response headers holding the instant at which to retry (epoch seconds or a date).</summary>
    public IReadOnlyList<string> At { get; init; } = [];

    /// <summary>Response headers holding how long to wait before retrying.</summary>
    public IReadOnlyList<string> After { get; init; } = [];

    /// <summary>Response header whose value <c>0</c> means the rate limit is exhausted.</summary>
    public string? Remaining { get; init; }

    /// <summary>Statuses that are retried instead of the defaults; may use patterns such as <c>5xx</c>.</summary>
    public IReadOnlyList<string> ErrorCode { get; init; } = [];

    public ProviderRetryInBody? InBody { get; init; }

    internal static ProviderRetry? From(JsonNode? node) => node is not JsonObject retry ? null : new ProviderRetry
    {
        At = ProviderJson.Strings(retry["at"]),
        After = ProviderJson.Strings(retry["after"]),
        Remaining = ProviderJson.String(retry["remaining"]),
        ErrorCode = ProviderJson.Strings(retry["error_code"]),
        InBody = retry["in_body"] is JsonObject inBody
            ? new ProviderRetryInBody(ProviderJson.String(inBody["path"]), ProviderJson.String(inBody["value"]), ProviderJson.String(inBody["strategy"]))
            : null,
    };
}

/// <summary><c>proxy.retry.in_body</c>: the JSON <paramref name="Path"/> whose text matching the regular expression <paramref name="Value"/> means "retry"; <paramref name="Strategy"/> says how to read the wait (<c>at</c> or <c>after</c>).</summary>
public sealed record ProviderRetryInBody(string? Path, string? Value, string? Strategy);

/// <summary><c>proxy.paginate</c>: defaults for the runner's <c>nango.paginate</c>.</summary>
public sealed class ProviderPagination
{
    /// <summary><c>cursor</c>, <c>link</c> or <c>offset</c>.</summary>
    public string? Type { get; init; }

    public string? LimitNameInRequest { get; init; }

    public string? ResponsePath { get; init; }

    public string? CursorNameInRequest { get; init; }

    public string? CursorPathInResponse { get; init; }

    public string? LinkRelInResponseHeader { get; init; }

    public string? LinkPathInResponseBody { get; init; }

    public string? OffsetNameInRequest { get; init; }

    public long? OffsetStartValue { get; init; }

    public string? OffsetCalculationMethod { get; init; }

    /// <summary>The whole block, for keys this view does not name.</summary>
    public JsonObject Raw { get; init; } = [];

    internal static ProviderPagination? From(JsonNode? node) => node is not JsonObject paginate ? null : new ProviderPagination
    {
        Type = ProviderJson.String(paginate["type"]),
        LimitNameInRequest = ProviderJson.String(paginate["limit_name_in_request"]),
        ResponsePath = ProviderJson.String(paginate["response_path"]),
        CursorNameInRequest = ProviderJson.String(paginate["cursor_name_in_request"]),
        CursorPathInResponse = ProviderJson.String(paginate["cursor_path_in_response"]),
        LinkRelInResponseHeader = ProviderJson.String(paginate["link_rel_in_response_header"]),
        LinkPathInResponseBody = ProviderJson.String(paginate["link_path_in_response_body"]),
        OffsetNameInRequest = ProviderJson.String(paginate["offset_name_in_request"]),
        OffsetStartValue = ProviderJson.Long(paginate["offset_start_value"]),
        OffsetCalculationMethod = ProviderJson.String(paginate["offset_calculation_method"]),
        Raw = ProviderJson.Object(paginate),
    };
}

/// <summary><c>proxy.verification</c>: a request that proves non-OAuth credentials work before a connection is saved.</summary>
public sealed class ProviderVerification
{
    public string Method { get; init; } = "GET";

    public IReadOnlyList<string> Endpoints { get; init; } = [];

    public string? BaseUrlOverride { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Request body, when the check is not a plain GET; may nest.</summary>
    public JsonNode? Data { get; init; }

    internal static ProviderVerification? From(JsonNode? node) => node is not JsonObject verification ? null : new ProviderVerification
    {
        Method = ProviderJson.String(verification["method"]) ?? "GET",
        Endpoints = ProviderJson.Strings(verification["endpoints"]),
        BaseUrlOverride = ProviderJson.String(verification["base_url_override"]),
        Headers = ProviderJson.StringMap(verification["headers"]),
        Data = verification["data"]?.DeepClone(),
    };
}
