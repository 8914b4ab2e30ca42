using System.Globalization;
using System.Text.Json.Nodes;

namespace Nango.Core.Webhooks;

/// <summary>What an <c>auth</c> event says about the connection (reference §4.5).</summary>
public sealed record AuthWebhookEvent(
    string ConnectionId,
    string AuthMode,
    string ProviderConfigKey,
    string Provider,
    string Environment,
    string Operation,
    bool Success,
    IReadOnlyDictionary<string, string>? Tags = null,
    WebhookEndUser? EndUser = null,
    WebhookError? Error = null);

public static class AuthOperations
{
    public const string Creation = "creation";
    public const string Override = "override";
    public const string Refresh = "refresh";
}

public sealed record WebhookEndUser(string EndUserId, string? OrganizationId, string? EndUserEmail, IReadOnlyDictionary<string, string>? Tags);

public sealed record WebhookError(string Type, string Description, JsonNode? Payload = null, JsonNode? AdditionalProperties = null);

public sealed record SyncWebhookEvent(
    string ConnectionId,
    string ProviderConfigKey,
    string SyncName,
    string SyncVariant,
    string Model,
    string SyncType,
    JsonNode? CheckpointFrom = null,
    JsonNode? CheckpointTo = null,
    bool IncludeCheckpoints = false);

public sealed record SyncResultCounts(int Added, int Updated, int Deleted);

/// <summary>
/// Builds the exact JSON bodies Nango sends (reference §4.5, <c>@nangohq/types</c> webhooks/api). Property names
/// are camelCase as Nango's are; the serialised string is what gets signed and sent, byte for byte.
/// </summary>
public static class WebhookPayloads
{
    public const string FromNango = "nango";

    /// <summary>
    /// The body exactly as JavaScript's <c>JSON.stringify</c> writes it, which the legacy <c>X-Nango-Signature</c>
    /// check recomputes from the parsed body (see <see cref="JavaScriptJson"/>).
    /// </summary>
    public static string Serialize(JsonNode body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return JavaScriptJson.Stringify(body);
    }

    public static JsonObject Auth(AuthWebhookEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var body = new JsonObject
        {
            ["from"] = FromNango,
            ["type"] = "auth",
            ["connectionId"] = e.ConnectionId,
            ["authMode"] = e.AuthMode,
            ["providerConfigKey"] = e.ProviderConfigKey,
            ["provider"] = e.Provider,
            ["environment"] = e.Environment,
            ["operation"] = e.Operation,
            ["success"] = e.Success,
        };
        if (e.Tags is not null)
        {
            body["tags"] = StringMap(e.Tags);
        }
        if (e.EndUser is not null)
        {
            var endUser = new JsonObject { ["endUserId"] = e.EndUser.EndUserId };
            if (e.EndUser.OrganizationId is not null)
            {
                endUser["organizationId"] = e.EndUser.OrganizationId;
            }
            endUser["endUserEmail"] = e.EndUser.EndUserEmail;
            endUser["tags"] = StringMap(e.EndUser.Tags ?? new Dictionary<string, string>());
            body["endUser"] = endUser;
        }
        if (!e.Success)
        {
            body["error"] = Error(e.Error ?? new WebhookError("unknown", "The operation failed."));
        }
        return body;
    }

    public static JsonObject SyncSuccess(SyncWebhookEvent e, SyncResultCounts results, DateTimeOffset modifiedAfter)
    {
        ArgumentNullException.ThrowIfNull(results);
        var body = SyncBase(e, success: true);
        body["modifiedAfter"] = Iso(modifiedAfter);
        body["responseResults"] = new JsonObject { ["added"] = results.Added, ["updated"] = results.Updated, ["deleted"] = results.Deleted };
        body["queryTimeStamp"] = Iso(modifiedAfter);
        return body;
    }

    public static JsonObject SyncFailure(SyncWebhookEvent e, WebhookError error, DateTimeOffset startedAt, DateTimeOffset failedAt)
    {
        ArgumentNullException.ThrowIfNull(error);
        var body = SyncBase(e, success: false);
        body["error"] = Error(error);
        body["startedAt"] = Iso(startedAt);
        body["failedAt"] = Iso(failedAt);
        return body;
    }

    public static JsonObject AsyncAction(string connectionId, string providerConfigKey, string actionId, string statusUrl) => new()
    {
        ["from"] = FromNango,
        ["type"] = "async_action",
        ["connectionId"] = connectionId,
        ["providerConfigKey"] = providerConfigKey,
        ["payload"] = new JsonObject { ["id"] = actionId, ["statusUrl"] = statusUrl },
    };

    /// <summary>A provider webhook matched to one connection: Nango wraps it with <c>from</c> = the provider.</summary>
    public static JsonObject Forward(string provider, string providerConfigKey, string? connectionId, JsonNode? providerPayload)
    {
        var body = new JsonObject { ["from"] = provider, ["type"] = "forward", ["providerConfigKey"] = providerConfigKey };
        if (connectionId is not null)
        {
            body["connectionId"] = connectionId;
        }
        body["payload"] = providerPayload?.DeepClone();
        return body;
    }

    /// <summary>
    /// The provider's request headers that go out with a forward (Nango passes them on so receivers can, say,
    /// check the provider's own signature). Left out: Nango's list (host, authorization, connection, keep-alive,
    /// content-*, cookie, set-cookie, referer, user-agent, sec-*, proxy-*, www-authenticate, server), what our proxies
    /// add (x-forwarded-*, forwarded, via), the other hop-by-hop headers, and the names our own signatures use
    /// (x-nango-*, webhook-*), which a provider must not be able to set.
    /// </summary>
    public static IReadOnlyDictionary<string, string> PassThroughHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            if (_droppedHeaders.Contains(name) || _droppedHeaderPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            result[name] = result.TryGetValue(name, out var earlier) ? earlier + ", " + value : value;
        }
        return result;
    }

    private static readonly HashSet<string> _droppedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "authorization", "connection", "keep-alive", "cookie", "set-cookie", "referer", "user-agent",
        "www-authenticate", "server", "forwarded", "via", "transfer-encoding", "te", "trailer", "upgrade", "expect",
        "accept-encoding",
    };

    private static readonly string[] _droppedHeaderPrefixes = ["content-", "sec-", "proxy-", "x-forwarded-", "x-nango-", "webhook-"];

    /// <summary>The dashboard's "send test event": shaped like an auth creation so receivers parse it, marked as a test.</summary>
    public static JsonObject Test(string environment, DateTimeOffset sentAt) => new()
    {
        ["from"] = FromNango,
        ["type"] = "test",
        ["environment"] = environment,
        ["message"] = "A test event sent from the Nango dashboard.",
        ["sentAt"] = Iso(sentAt),
    };

    private static JsonObject SyncBase(SyncWebhookEvent e, bool success)
    {
        ArgumentNullException.ThrowIfNull(e);
        var body = new JsonObject
        {
            ["from"] = FromNango,
            ["type"] = "sync",
            ["connectionId"] = e.ConnectionId,
            ["providerConfigKey"] = e.ProviderConfigKey,
            ["syncName"] = e.SyncName,
            ["syncVariant"] = e.SyncVariant,
            ["model"] = e.Model,
            ["syncType"] = e.SyncType,
        };
        if (e.IncludeCheckpoints)
        {
            body["checkpoints"] = new JsonObject { ["from"] = e.CheckpointFrom?.DeepClone(), ["to"] = e.CheckpointTo?.DeepClone() };
        }
        body["success"] = success;
        return body;
    }

    private static JsonObject Error(WebhookError error)
    {
        var node = new JsonObject { ["type"] = error.Type, ["description"] = error.Description };
        if (error.Payload is not null)
        {
            node["payload"] = error.Payload.DeepClone();
        }
        if (error.AdditionalProperties is not null)
        {
            node["additional_properties"] = error.AdditionalProperties.DeepClone();
        }
        return node;
    }

    private static JsonObject StringMap(IReadOnlyDictionary<string, string> map)
    {
        var node = new JsonObject();
        foreach (var (key, value) in map)
        {
            node[key] = value;
        }
        return node;
    }

    /// <summary>JavaScript's <c>Date.toISOString()</c>: UTC, milliseconds, <c>Z</c>.</summary>
    public static string Iso(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
