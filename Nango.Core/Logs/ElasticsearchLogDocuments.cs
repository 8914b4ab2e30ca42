using System.Text;
using System.Text.Json.Nodes;

namespace Nango.Core.Logs;

/// <summary>
/// Index templates and document shapes of the Elasticsearch store. Mappings are explicit and
/// <c>dynamic: false</c> (like Nango's): meta, headers and bodies are kept in <c>_source</c> but not indexed,
/// and full-text goes through one <c>searchText</c> field built here from the same parts as the Postgres
/// <c>search</c> column.
/// </summary>
internal static class ElasticsearchLogDocuments
{
    public const string OperationsPrefix = "nango-operations-";
    public const string MessagesPrefix = "nango-messages-";

    public static string OperationsIndex(DateTimeOffset createdAt) => OperationsPrefix + createdAt.UtcDateTime.ToString("yyyy.MM.dd", System.Globalization.CultureInfo.InvariantCulture);

    public static string MessagesIndex(DateTimeOffset createdAt) => MessagesPrefix + createdAt.UtcDateTime.ToString("yyyy.MM.dd", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Keyword() => new() { ["type"] = "keyword" };

    private static JsonObject Integer() => new() { ["type"] = "integer" };

    private static JsonObject Long() => new() { ["type"] = "long" };

    // Microseconds survive (Postgres keeps them too), so cursors are exact in both stores.
    private static JsonObject Date() => new() { ["type"] = "date_nanos" };

    private static JsonObject NotIndexed() => new() { ["type"] = "object", ["enabled"] = false };

    private static JsonObject StoredText() => new() { ["type"] = "text", ["index"] = false };

    private static JsonObject Error() => new()
    {
        ["properties"] = new JsonObject { ["name"] = Keyword(), ["message"] = StoredText(), ["type"] = Keyword(), ["payload"] = NotIndexed() },
    };

    private static JsonObject Settings() => new()
    {
        ["number_of_shards"] = 1,
        // Index sort matches the only order we read in, so search_after pages stop early.
        ["sort.field"] = new JsonArray("createdAt", "id"),
        ["sort.order"] = new JsonArray("desc", "desc"),
    };

    public static JsonObject OperationsTemplate() => new()
    {
        ["index_patterns"] = new JsonArray(OperationsPrefix + "*"),
        ["priority"] = 100,
        ["template"] = new JsonObject
        {
            ["settings"] = new JsonObject { ["index"] = Settings() },
            ["mappings"] = new JsonObject
            {
                ["dynamic"] = false,
                ["properties"] = new JsonObject
                {
                    ["id"] = Keyword(),
                    ["createdAt"] = Date(),
                    ["updatedAt"] = Date(),
                    ["type"] = Keyword(),
                    ["action"] = Keyword(),
                    ["kind"] = Keyword(),
                    ["state"] = Keyword(),
                    ["accountId"] = Integer(),
                    ["accountName"] = Keyword(),
                    ["environmentId"] = Integer(),
                    ["environmentName"] = Keyword(),
                    ["integrationId"] = Integer(),
                    ["integrationKey"] = Keyword(),
                    ["provider"] = Keyword(),
                    ["connectionId"] = Integer(),
                    ["connectionName"] = Keyword(),
                    ["functionName"] = Keyword(),
                    ["jobId"] = Keyword(),
                    ["actor"] = new JsonObject { ["properties"] = new JsonObject { ["kind"] = Keyword(), ["id"] = Keyword() } },
                    ["error"] = Error(),
                    ["request"] = new JsonObject { ["properties"] = new JsonObject { ["url"] = StoredText(), ["method"] = Keyword(), ["headers"] = NotIndexed() } },
                    ["response"] = new JsonObject { ["properties"] = new JsonObject { ["code"] = Integer(), ["headers"] = NotIndexed() } },
                    ["meta"] = NotIndexed(),
                    ["startedAt"] = Date(),
                    ["endedAt"] = Date(),
                    ["expiresAt"] = Date(),
                    ["durationMs"] = Long(),
                    ["searchText"] = new JsonObject { ["type"] = "text", ["analyzer"] = "standard" },
                },
            },
        },
    };

    public static JsonObject MessagesTemplate() => new()
    {
        ["index_patterns"] = new JsonArray(MessagesPrefix + "*"),
        ["priority"] = 100,
        ["template"] = new JsonObject
        {
            ["settings"] = new JsonObject { ["index"] = Settings() },
            ["mappings"] = new JsonObject
            {
                ["dynamic"] = false,
                ["properties"] = new JsonObject
                {
                    ["id"] = Keyword(),
                    ["createdAt"] = Date(),
                    ["operationId"] = Keyword(),
                    ["accountId"] = Integer(),
                    ["environmentId"] = Integer(),
                    ["level"] = Keyword(),
                    ["type"] = Keyword(),
                    ["source"] = Keyword(),
                    ["message"] = StoredText(),
                    ["context"] = Keyword(),
                    ["error"] = Error(),
                    ["request"] = new JsonObject
                    {
                        ["properties"] = new JsonObject { ["url"] = StoredText(), ["method"] = Keyword(), ["headers"] = NotIndexed(), ["body"] = StoredText() },
                    },
                    ["response"] = new JsonObject
                    {
                        ["properties"] = new JsonObject { ["code"] = Integer(), ["headers"] = NotIndexed(), ["body"] = StoredText() },
                    },
                    ["meta"] = NotIndexed(),
                    ["persistResults"] = NotIndexed(),
                    ["retry"] = new JsonObject { ["properties"] = new JsonObject { ["attempt"] = Integer(), ["max"] = Integer(), ["waited"] = Long() } },
                    ["endedAt"] = Date(),
                    ["durationMs"] = Long(),
                    ["searchText"] = new JsonObject { ["type"] = "text", ["analyzer"] = "standard" },
                },
            },
        },
    };

    public static JsonObject OperationDocument(LogOperationRow row)
    {
        var doc = new JsonObject
        {
            ["id"] = row.Id.ToString(),
            ["createdAt"] = row.CreatedAt.ToUniversalTime(),
            ["updatedAt"] = (row.UpdatedAt == default ? row.CreatedAt : row.UpdatedAt).ToUniversalTime(),
            ["type"] = row.Type,
            ["action"] = row.Action,
            ["kind"] = row.Type + ":" + row.Action,
            ["state"] = row.State,
            ["accountId"] = row.AccountId,
            ["accountName"] = row.AccountName,
            ["environmentId"] = row.EnvironmentId,
            ["environmentName"] = row.EnvironmentName,
            ["integrationId"] = row.IntegrationId,
            ["integrationKey"] = row.IntegrationKey,
            ["provider"] = row.Provider,
            ["connectionId"] = row.ConnectionId,
            ["connectionName"] = row.ConnectionName,
            ["functionName"] = row.FunctionName,
            ["jobId"] = row.JobId,
            ["actor"] = row.Actor is null ? null : new JsonObject { ["kind"] = row.Actor.Kind, ["id"] = row.Actor.Id },
            ["error"] = ErrorNode(row.Error),
            ["request"] = row.Request is null ? null : new JsonObject { ["url"] = row.Request.Url, ["method"] = row.Request.Method, ["headers"] = HeadersNode(row.Request.Headers) },
            ["response"] = row.Response is null ? null : new JsonObject { ["code"] = row.Response.Code, ["headers"] = HeadersNode(row.Response.Headers) },
            ["meta"] = row.Meta?.DeepClone(),
            ["startedAt"] = row.StartedAt?.ToUniversalTime(),
            ["endedAt"] = row.EndedAt?.ToUniversalTime(),
            ["expiresAt"] = row.ExpiresAt?.ToUniversalTime(),
            ["durationMs"] = row.DurationMs,
            ["searchText"] = SearchText(row.Type, row.Action, row.IntegrationKey, row.Provider, row.ConnectionName, row.FunctionName,
                row.Error?.Name, row.Error?.Message, row.Request?.Url, row.Meta),
        };
        return WithoutNulls(doc);
    }

    public static JsonObject MessageDocument(LogMessageRow row)
    {
        var doc = new JsonObject
        {
            ["id"] = row.Id.ToString(),
            ["createdAt"] = row.CreatedAt.ToUniversalTime(),
            ["operationId"] = row.OperationId.ToString(),
            ["accountId"] = row.AccountId,
            ["environmentId"] = row.EnvironmentId,
            ["level"] = row.Level,
            ["type"] = row.Type,
            ["source"] = row.Source,
            ["message"] = row.Message,
            ["context"] = row.Context,
            ["error"] = ErrorNode(row.Error),
            ["request"] = row.Request is null ? null : new JsonObject
            {
                ["url"] = row.Request.Url, ["method"] = row.Request.Method, ["headers"] = HeadersNode(row.Request.Headers), ["body"] = row.Request.Body,
            },
            ["response"] = row.Response is null ? null : new JsonObject
            {
                ["code"] = row.Response.Code, ["headers"] = HeadersNode(row.Response.Headers), ["body"] = row.Response.Body,
            },
            ["meta"] = row.Meta?.DeepClone(),
            ["persistResults"] = row.PersistResults is null ? null : JsonNode.Parse(LogJson.Serialize(row.PersistResults)!),
            ["retry"] = row.Retry is null ? null : new JsonObject { ["attempt"] = row.Retry.Attempt, ["max"] = row.Retry.Max, ["waited"] = row.Retry.WaitedMs },
            ["endedAt"] = row.EndedAt?.ToUniversalTime(),
            ["durationMs"] = row.DurationMs,
            ["searchText"] = SearchText(row.Message, row.Error?.Name, row.Error?.Message, row.Request?.Method, row.Request?.Url,
                row.Response?.Code.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null, null, row.Meta),
        };
        return WithoutNulls(doc);
    }

    /// <summary>The fields an end-of-operation update changes; the script keeps finished operations as they are.</summary>
    public static JsonObject UpdateScript(LogOperationUpdate update) => new()
    {
        ["script"] = new JsonObject
        {
            ["lang"] = "painless",
            ["source"] = UpdateSource,
            ["params"] = new JsonObject
            {
                ["doc"] = WithoutNulls(new JsonObject
                {
                    ["state"] = update.State,
                    ["updatedAt"] = update.UpdatedAt.ToUniversalTime(),
                    ["startedAt"] = update.StartedAt?.ToUniversalTime(),
                    ["endedAt"] = update.EndedAt?.ToUniversalTime(),
                    ["durationMs"] = update.DurationMs,
                    ["error"] = ErrorNode(update.Error),
                    ["response"] = update.Response is null ? null : new JsonObject { ["code"] = update.Response.Code, ["headers"] = HeadersNode(update.Response.Headers) },
                }),
                ["searchText"] = update.Error is null ? null : update.Error.Name + " " + update.Error.Message,
            },
        },
    };

    private const string UpdateSource =
        "if (ctx._source.state == 'success' || ctx._source.state == 'failed' || ctx._source.state == 'cancelled') { ctx.op = 'noop'; return; } " +
        "for (entry in params.doc.entrySet()) { ctx._source[entry.getKey()] = entry.getValue(); } " +
        "if (params.searchText != null) { ctx._source.searchText = ctx._source.searchText + ' ' + params.searchText; }";

    public const string TimeoutSource =
        "ctx._source.state = 'timeout'; ctx._source.updatedAt = params.now; ctx._source.endedAt = params.now; " +
        "if (ctx._source.error == null) { ctx._source.error = ['name': 'timeout', 'message': 'The operation did not end before it expired']; }";

    private static JsonObject? ErrorNode(LogError? error) => error is null ? null : WithoutNulls(new JsonObject
    {
        ["name"] = error.Name,
        ["message"] = error.Message,
        ["type"] = error.Type,
        ["payload"] = error.Payload?.DeepClone(),
    });

    private static JsonObject? HeadersNode(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null)
        {
            return null;
        }
        var node = new JsonObject();
        foreach (var (name, value) in headers)
        {
            node[name] = value;
        }
        return node;
    }

    private static string SearchText(string? a, string? b, string? c, string? d, string? e, string? f, string? g, string? h, string? i, JsonObject? meta)
    {
        var text = new StringBuilder();
        foreach (var part in new[] { a, b, c, d, e, f, g, h, i })
        {
            if (!string.IsNullOrEmpty(part))
            {
                text.Append(part).Append(' ');
            }
        }
        AppendStrings(text, meta);
        return text.ToString().TrimEnd();
    }

    private static void AppendStrings(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    AppendStrings(text, value);
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    AppendStrings(text, item);
                }
                break;
            case JsonValue value when value.TryGetValue<string>(out var s):
                text.Append(s).Append(' ');
                break;
            default:
                break;
        }
    }

    private static JsonObject WithoutNulls(JsonObject obj)
    {
        foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            obj.Remove(key);
        }
        return obj;
    }

    public static LogOperationRow ReadOperation(JsonObject s) => new()
    {
        Id = Guid.Parse((string)s["id"]!),
        CreatedAt = Time(s["createdAt"])!.Value,
        UpdatedAt = Time(s["updatedAt"]) ?? default,
        Type = (string)s["type"]!,
        Action = (string)s["action"]!,
        State = (string)s["state"]!,
        AccountId = (int)s["accountId"]!,
        AccountName = (string?)s["accountName"],
        EnvironmentId = (int)s["environmentId"]!,
        EnvironmentName = (string?)s["environmentName"],
        IntegrationId = (int?)s["integrationId"],
        IntegrationKey = (string?)s["integrationKey"],
        Provider = (string?)s["provider"],
        ConnectionId = (int?)s["connectionId"],
        ConnectionName = (string?)s["connectionName"],
        FunctionName = (string?)s["functionName"],
        JobId = (string?)s["jobId"],
        Actor = s["actor"] is JsonObject a ? new LogActor((string)a["kind"]!, (string)a["id"]!) : null,
        Error = ReadError(s["error"]),
        Request = s["request"] is JsonObject q ? new LogHttpRequest((string?)q["method"] ?? "", (string?)q["url"] ?? "", ReadHeaders(q["headers"])) : null,
        Response = s["response"] is JsonObject p ? new LogHttpResponse((int?)p["code"] ?? 0, ReadHeaders(p["headers"])) : null,
        Meta = s["meta"]?.DeepClone() as JsonObject,
        StartedAt = Time(s["startedAt"]),
        EndedAt = Time(s["endedAt"]),
        ExpiresAt = Time(s["expiresAt"]),
        DurationMs = (long?)s["durationMs"],
    };

    public static LogMessageRow ReadMessage(JsonObject s) => new()
    {
        Id = Guid.Parse((string)s["id"]!),
        CreatedAt = Time(s["createdAt"])!.Value,
        OperationId = Guid.Parse((string)s["operationId"]!),
        AccountId = (int)s["accountId"]!,
        EnvironmentId = (int)s["environmentId"]!,
        Level = (string)s["level"]!,
        Type = (string)s["type"]!,
        Source = (string)s["source"]!,
        Message = (string)s["message"]!,
        Context = (string?)s["context"],
        Error = ReadError(s["error"]),
        Request = s["request"] is JsonObject q ? new LogHttpRequest((string?)q["method"] ?? "", (string?)q["url"] ?? "", ReadHeaders(q["headers"]), (string?)q["body"]) : null,
        Response = s["response"] is JsonObject p ? new LogHttpResponse((int?)p["code"] ?? 0, ReadHeaders(p["headers"]), (string?)p["body"]) : null,
        Meta = s["meta"]?.DeepClone() as JsonObject,
        PersistResults = s["persistResults"] is JsonObject r ? LogJson.Deserialize<LogPersistResults>(r.ToJsonString()) : null,
        Retry = s["retry"] is JsonObject t ? new LogRetry((int?)t["attempt"] ?? 0, (int?)t["max"] ?? 0, (long?)t["waited"] ?? 0) : null,
        EndedAt = Time(s["endedAt"]),
        DurationMs = (long?)s["durationMs"],
    };

    private static LogError? ReadError(JsonNode? node) => node is JsonObject e
        ? new LogError((string?)e["name"] ?? "", (string?)e["message"] ?? "", (string?)e["type"], e["payload"]?.DeepClone())
        : null;

    private static Dictionary<string, string>? ReadHeaders(JsonNode? node) =>
        node is JsonObject h ? h.ToDictionary(p => p.Key, p => (string?)p.Value ?? "", StringComparer.OrdinalIgnoreCase) : null;

    private static DateTimeOffset? Time(JsonNode? node) => node is null ? null : DateTimeOffset.Parse((string)node!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>date_nanos sort values and search_after positions are nanoseconds since the epoch.</summary>
    public static long ToEpochNanos(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public static DateTimeOffset FromEpochNanos(long nanos) => DateTimeOffset.UnixEpoch.AddTicks(nanos / 100);
}
