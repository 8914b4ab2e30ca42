using System.Globalization;
using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>Where a value of an incoming provider webhook is read.</summary>
public enum WebhookValueOrigin
{
    /// <summary>A dotted path into the body's JSON (for a form post: into the JSON of its <c>payload</c> field, or the form itself).</summary>
    Body,

    Query,

    Header,
}

/// <summary>
/// Our catalog shape <c>{from: body|query|header, path}</c>: <c>path</c> is a dotted JSON path for the body, a
/// parameter name for the query, a header name for headers.
/// </summary>
public sealed record ProviderWebhookSource(WebhookValueOrigin Origin, string Path)
{
    internal static ProviderWebhookSource? From(JsonNode? node)
    {
        if (node is not JsonObject obj || ProviderJson.String(obj["path"]) is not { Length: > 0 } path)
        {
            return null;
        }
        return (ProviderJson.String(obj["from"]) ?? "body") switch
        {
            "body" => new ProviderWebhookSource(WebhookValueOrigin.Body, path),
            "query" => new ProviderWebhookSource(WebhookValueOrigin.Query, path),
            "header" => new ProviderWebhookSource(WebhookValueOrigin.Header, path),
            _ => null,
        };
    }
}

/// <summary>What a routing value is compared with on each connection of the integration.</summary>
public enum WebhookConnectionField
{
    /// <summary><c>connection_config-&gt;&gt;key</c>, as Nango's webhook routing compares it.</summary>
    ConnectionConfig,

    /// <summary><c>metadata-&gt;&gt;key</c>.</summary>
    Metadata,

    /// <summary>The connection id itself.</summary>
    ConnectionId,
}

/// <summary>
/// One rule of our <c>webhook_routing</c> field (a rule or a list of rules; the first rule that finds a value in
/// the request decides): <c>{from, path, match: connection_config.&lt;key&gt; | metadata.&lt;key&gt; | connection_id}</c>.
/// The key is everything after the first dot and is not split further: Nango stores copied token fields under
/// flat keys such as <c>team.id</c>.
/// </summary>
public sealed record ProviderWebhookRoute(ProviderWebhookSource Source, WebhookConnectionField Field, string? Key)
{
    private const string ConnectionConfigPrefix = "connection_config.";
    private const string MetadataPrefix = "metadata.";

    /// <summary>How the rule reads in the catalog, for logs.</summary>
    public string MatchText => Field switch
    {
        WebhookConnectionField.ConnectionConfig => ConnectionConfigPrefix + Key,
        WebhookConnectionField.Metadata => MetadataPrefix + Key,
        _ => "connection_id",
    };

    internal static IReadOnlyList<ProviderWebhookRoute> ListFrom(JsonNode? node) => node switch
    {
        JsonArray rules => rules.Select(One).OfType<ProviderWebhookRoute>().ToList(),
        JsonObject => One(node) is { } rule ? [rule] : [],
        _ => [],
    };

    private static ProviderWebhookRoute? One(JsonNode? node)
    {
        if (ProviderWebhookSource.From(node) is not { } source || ProviderJson.String(node!["match"]) is not { } match)
        {
            return null;
        }
        if (match == "connection_id")
        {
            return new ProviderWebhookRoute(source, WebhookConnectionField.ConnectionId, null);
        }
        if (match.StartsWith(ConnectionConfigPrefix, StringComparison.Ordinal) && match.Length > ConnectionConfigPrefix.Length)
        {
            return new ProviderWebhookRoute(source, WebhookConnectionField.ConnectionConfig, match[ConnectionConfigPrefix.Length..]);
        }
        if (match.StartsWith(MetadataPrefix, StringComparison.Ordinal) && match.Length > MetadataPrefix.Length)
        {
            return new ProviderWebhookRoute(source, WebhookConnectionField.Metadata, match[MetadataPrefix.Length..]);
        }
        return null;
    }
}

/// <summary>
/// Our <c>webhook_signature</c> field: an HMAC the provider sends in <see cref="Header"/>, keyed with the
/// integration's webhook secret. <c>signed_payload</c> is a template over <c>{body}</c> (the exact raw bytes) and
/// <c>{timestamp}</c> (the value of <see cref="TimestampHeader"/>); <c>body</c> and <c>timestamp_dot_body</c> are
/// shorthands for <c>{body}</c> and <c>{timestamp}.{body}</c>.
/// </summary>
public sealed record ProviderWebhookSignature
{
    public const string BodyPlaceholder = "{body}";
    public const string TimestampPlaceholder = "{timestamp}";

    public required string Header { get; init; }

    /// <summary><c>sha256</c>, <c>sha1</c> or <c>sha512</c>.</summary>
    public string Algorithm { get; init; } = "sha256";

    /// <summary><c>hex</c> or <c>base64</c>.</summary>
    public string Encoding { get; init; } = "hex";

    /// <summary>Text before the encoded digest in the header (<c>sha256=</c>, <c>v0=</c>).</summary>
    public string Prefix { get; init; } = "";

    public string SignedPayload { get; init; } = BodyPlaceholder;

    /// <summary>Header holding a Unix-seconds timestamp; when set, requests outside <see cref="TimestampTolerance"/> are refused (replay protection).</summary>
    public string? TimestampHeader { get; init; }

    public TimeSpan TimestampTolerance { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Why the declaration cannot be used, or null. Verification then refuses every request: a mistyped scheme
    /// must not turn into accepting unsigned webhooks.
    /// </summary>
    public string? Problem { get; init; }

    internal static ProviderWebhookSignature? From(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return null;
        }
        var header = ProviderJson.String(obj["header"]);
        var algorithm = (ProviderJson.String(obj["algorithm"]) ?? "sha256").ToLowerInvariant();
        var encoding = (ProviderJson.String(obj["encoding"]) ?? "hex").ToLowerInvariant();
        var payload = ProviderJson.String(obj["signed_payload"]) switch
        {
            null or "body" => BodyPlaceholder,
            "timestamp_dot_body" => TimestampPlaceholder + "." + BodyPlaceholder,
            var template => template,
        };
        var timestampHeader = ProviderJson.String(obj["timestamp_header"]);
        var tolerance = ProviderJson.Long(obj["timestamp_tolerance"]);

        var problems = new List<string>();
        if (string.IsNullOrEmpty(header))
        {
            problems.Add("webhook_signature.header is missing");
        }
        if (algorithm is not ("sha256" or "sha1" or "sha512"))
        {
            problems.Add($"webhook_signature.algorithm '{algorithm}' is not sha256, sha1 or sha512");
        }
        if (encoding is not ("hex" or "base64"))
        {
            problems.Add($"webhook_signature.encoding '{encoding}' is not hex or base64");
        }
        if (CountOf(payload, BodyPlaceholder) != 1)
        {
            problems.Add("webhook_signature.signed_payload must contain {body} once");
        }
        if (payload.Contains(TimestampPlaceholder, StringComparison.Ordinal) && string.IsNullOrEmpty(timestampHeader))
        {
            problems.Add("webhook_signature.signed_payload uses {timestamp} but timestamp_header is missing");
        }
        if (tolerance is <= 0)
        {
            problems.Add("webhook_signature.timestamp_tolerance must be a positive number of seconds");
        }
        return new ProviderWebhookSignature
        {
            Header = header ?? "",
            Algorithm = algorithm,
            Encoding = encoding,
            Prefix = ProviderJson.String(obj["prefix"]) ?? "",
            SignedPayload = payload,
            TimestampHeader = string.IsNullOrEmpty(timestampHeader) ? null : timestampHeader,
            TimestampTolerance = tolerance is > 0 ? TimeSpan.FromSeconds(tolerance.Value) : TimeSpan.FromMinutes(5),
            Problem = problems.Count == 0 ? null : string.Join("; ", problems),
        };
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    /// <summary>How the scheme reads, for logs.</summary>
    public string Description =>
        string.Create(CultureInfo.InvariantCulture, $"{Header}: {Prefix}{Encoding} HMAC-{Algorithm.ToUpperInvariant()} of {SignedPayload}");
}
