using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Elastic.Clients.Elasticsearch;
using Elastic.Transport;
using HttpMethod = Elastic.Transport.HttpMethod;

namespace Nango.Core.Logs;

/// <summary>
/// Logs in Elasticsearch: daily indices <c>nango-operations-yyyy.MM.dd</c> / <c>nango-messages-yyyy.MM.dd</c>
/// created from index templates, written with <c>_bulk</c>, retention by deleting whole indices. Requests go
/// through the client's transport (node pool, retries, product check) with the query DSL spelled out as
/// JSON, so what is sent reads like the Elasticsearch documentation and tests can compare it literally.
/// Operations matched by message text are found with a terms aggregation on messages first (at most
/// <see cref="MaxMessageMatches"/> operations), as Elasticsearch has no join.
/// </summary>
public sealed class ElasticsearchLogStore(ElasticsearchClient client, bool refreshOnWrite = false) : ILogStore
{
    public const int MaxMessageMatches = 10_000;

    private const string OperationsPattern = ElasticsearchLogDocuments.OperationsPrefix + "*";
    private const string MessagesPattern = ElasticsearchLogDocuments.MessagesPrefix + "*";

    // Missing indices (no day written yet) are an empty result, not an error.
    private const string SearchOptions = "?ignore_unavailable=true&allow_no_indices=true";

    public async Task WriteAsync(LogBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }
        var body = new StringBuilder();
        foreach (var row in batch.Operations)
        {
            AppendLine(body, new JsonObject { ["index"] = new JsonObject { ["_index"] = ElasticsearchLogDocuments.OperationsIndex(row.CreatedAt), ["_id"] = row.Id.ToString() } });
            AppendLine(body, ElasticsearchLogDocuments.OperationDocument(row));
        }
        foreach (var row in batch.Messages)
        {
            AppendLine(body, new JsonObject { ["index"] = new JsonObject { ["_index"] = ElasticsearchLogDocuments.MessagesIndex(row.CreatedAt), ["_id"] = row.Id.ToString() } });
            AppendLine(body, ElasticsearchLogDocuments.MessageDocument(row));
        }
        // Same shard, same request: Elasticsearch applies these after the inserts above.
        foreach (var update in batch.Updates)
        {
            AppendLine(body, new JsonObject { ["update"] = new JsonObject { ["_index"] = ElasticsearchLogDocuments.OperationsIndex(update.CreatedAt), ["_id"] = update.Id.ToString() } });
            AppendLine(body, ElasticsearchLogDocuments.UpdateScript(update));
        }
        var response = await SendAsync(HttpMethod.POST, "/_bulk" + (refreshOnWrite ? "?refresh=true" : ""), body.ToString(), ct);
        if ((bool?)response["errors"] == true)
        {
            var first = response["items"]!.AsArray()
                .Select(i => i!.AsObject().First().Value!["error"])
                .FirstOrDefault(e => e is not null);
            throw new InvalidOperationException("Elasticsearch refused part of a log bulk: " + first?.ToJsonString());
        }
    }

    public async Task<LogOperationPage> SearchOperationsAsync(int environmentId, LogOperationSearch search, CancellationToken ct)
    {
        var request = await BuildOperationSearchAsync(environmentId, search, ct);
        var response = await SendAsync(HttpMethod.POST, "/" + OperationsPattern + "/_search" + SearchOptions, request.ToJsonString(), ct);
        var hits = response["hits"]!["hits"]!.AsArray();
        var limit = Math.Clamp(search.Limit, 1, 500);
        var items = hits.Take(limit).Select(h => ElasticsearchLogDocuments.ReadOperation(h!["_source"]!.AsObject())).ToList();
        var total = (long?)response["hits"]!["total"]?["value"] ?? 0;
        var next = hits.Count > limit ? new LogCursor(items[^1].CreatedAt, items[^1].Id).Encode() : null;
        return new LogOperationPage(items, total, next);
    }

    /// <summary>The search body for operations; message matches are resolved first when there is a search text.</summary>
    public async Task<JsonObject> BuildOperationSearchAsync(int environmentId, LogOperationSearch search, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(search);
        var cursor = LogCursor.Parse(search.Cursor, nameof(search.Cursor));
        var limit = Math.Clamp(search.Limit, 1, 500);
        var filter = new JsonArray { Term("environmentId", environmentId) };
        AddTerms(filter, "state", search.States);
        AddTypes(filter, search.Types);
        AddTerms(filter, "integrationKey", search.Integrations);
        AddTerms(filter, "connectionName", search.Connections);
        AddTerms(filter, "functionName", search.Functions);
        if (Range(search.From, search.To) is { } range)
        {
            filter.Add(range);
        }
        if (!string.IsNullOrWhiteSpace(search.Search))
        {
            var operationIds = await OperationsMatchingMessagesAsync(environmentId, search.Search, search.From, ct);
            filter.Add(new JsonObject
            {
                ["bool"] = new JsonObject
                {
                    ["should"] = new JsonArray
                    {
                        FullText(search.Search),
                        new JsonObject { ["terms"] = new JsonObject { ["id"] = new JsonArray([.. operationIds.Select(id => JsonValue.Create(id))]) } },
                    },
                    ["minimum_should_match"] = 1,
                },
            });
        }
        var body = new JsonObject
        {
            ["size"] = limit + 1,
            ["track_total_hits"] = true,
            ["query"] = new JsonObject { ["bool"] = new JsonObject { ["filter"] = filter } },
            ["sort"] = NewestFirst(),
        };
        if (cursor is { } c)
        {
            body["search_after"] = new JsonArray(ElasticsearchLogDocuments.ToEpochNanos(c.CreatedAt), c.Id.ToString());
        }
        return body;
    }

    private async Task<List<string>> OperationsMatchingMessagesAsync(int environmentId, string text, DateTimeOffset? from, CancellationToken ct)
    {
        var filter = new JsonArray { Term("environmentId", environmentId), FullText(text) };
        if (Range(from, null) is { } range)
        {
            filter.Add(range);
        }
        var body = new JsonObject
        {
            ["size"] = 0,
            ["query"] = new JsonObject { ["bool"] = new JsonObject { ["filter"] = filter } },
            ["aggs"] = new JsonObject { ["operations"] = new JsonObject { ["terms"] = new JsonObject { ["field"] = "operationId", ["size"] = MaxMessageMatches } } },
        };
        var response = await SendAsync(HttpMethod.POST, "/" + MessagesPattern + "/_search" + SearchOptions, body.ToJsonString(), ct);
        return response["aggregations"]?["operations"]?["buckets"]?.AsArray().Select(b => (string)b!["key"]!).ToList() ?? [];
    }

    public async Task<LogOperationRow?> GetOperationAsync(int environmentId, Guid operationId, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["size"] = 1,
            ["query"] = new JsonObject { ["bool"] = new JsonObject { ["filter"] = new JsonArray { Term("environmentId", environmentId), Term("id", operationId.ToString()) } } },
        };
        var response = await SendAsync(HttpMethod.POST, "/" + OperationsPattern + "/_search" + SearchOptions, body.ToJsonString(), ct);
        var hit = response["hits"]!["hits"]!.AsArray().FirstOrDefault();
        return hit is null ? null : ElasticsearchLogDocuments.ReadOperation(hit["_source"]!.AsObject());
    }

    public async Task<LogMessagePage> SearchMessagesAsync(int environmentId, LogMessageSearch search, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(search);
        var before = LogCursor.Parse(search.CursorBefore, nameof(search.CursorBefore));
        var after = LogCursor.Parse(search.CursorAfter, nameof(search.CursorAfter));
        if (before is not null && after is not null)
        {
            throw new ArgumentException("Pass cursorBefore or cursorAfter, not both.", nameof(search));
        }
        var limit = Math.Clamp(search.Limit, 1, 500);
        var filter = new JsonArray { Term("environmentId", environmentId), Term("operationId", search.OperationId.ToString()) };
        AddTerms(filter, "level", search.Levels);
        if (!string.IsNullOrWhiteSpace(search.Search))
        {
            filter.Add(FullText(search.Search));
        }
        var body = new JsonObject
        {
            ["size"] = limit + 1,
            ["track_total_hits"] = true,
            ["query"] = new JsonObject { ["bool"] = new JsonObject { ["filter"] = filter } },
            ["sort"] = before is null ? NewestFirst() : OldestFirst(),
        };
        if ((before ?? after) is { } c)
        {
            body["search_after"] = new JsonArray(ElasticsearchLogDocuments.ToEpochNanos(c.CreatedAt), c.Id.ToString());
        }
        var response = await SendAsync(HttpMethod.POST, "/" + MessagesPattern + "/_search" + SearchOptions, body.ToJsonString(), ct);
        var items = response["hits"]!["hits"]!.AsArray().Select(h => ElasticsearchLogDocuments.ReadMessage(h!["_source"]!.AsObject())).ToList();
        var total = (long?)response["hits"]!["total"]?["value"] ?? 0;
        bool olderExist;
        if (before is not null)
        {
            if (items.Count > limit)
            {
                items.RemoveAt(limit);
            }
            items.Reverse();
            olderExist = true;
        }
        else
        {
            olderExist = items.Count > limit;
            if (olderExist)
            {
                items.RemoveAt(limit);
            }
        }
        return new LogMessagePage(
            items,
            total,
            items.Count == 0 ? search.CursorBefore : new LogCursor(items[0].CreatedAt, items[0].Id).Encode(),
            items.Count > 0 && olderExist ? new LogCursor(items[^1].CreatedAt, items[^1].Id).Encode() : null);
    }

    public async Task<IReadOnlyList<LogFilterValue>> ListFilterValuesAsync(int environmentId, LogFilterQuery query, CancellationToken ct)
    {
        var body = BuildFilterValues(environmentId, query);
        var response = await SendAsync(HttpMethod.POST, "/" + OperationsPattern + "/_search" + SearchOptions, body.ToJsonString(), ct);
        return response["aggregations"]?["values"]?["buckets"]?.AsArray()
            .Select(b => new LogFilterValue((string)b!["key"]!, (long)b["doc_count"]!))
            .ToList() ?? [];
    }

    public static JsonObject BuildFilterValues(int environmentId, LogFilterQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var field = query.Category switch
        {
            LogFilterCategory.Integration => "integrationKey",
            LogFilterCategory.Connection => "connectionName",
            LogFilterCategory.Function => "functionName",
            _ => throw new ArgumentOutOfRangeException(nameof(query)),
        };
        var filter = new JsonArray { Term("environmentId", environmentId) };
        if (!string.IsNullOrEmpty(query.Prefix))
        {
            filter.Add(new JsonObject { ["prefix"] = new JsonObject { [field] = new JsonObject { ["value"] = query.Prefix, ["case_insensitive"] = true } } });
        }
        if (Range(query.From, query.To) is { } range)
        {
            filter.Add(range);
        }
        return new JsonObject
        {
            ["size"] = 0,
            ["query"] = new JsonObject { ["bool"] = new JsonObject { ["filter"] = filter } },
            ["aggs"] = new JsonObject
            {
                ["values"] = new JsonObject
                {
                    ["terms"] = new JsonObject
                    {
                        ["field"] = field,
                        ["size"] = Math.Clamp(query.Limit, 1, 1000),
                        ["order"] = new JsonArray(new JsonObject { ["_count"] = "desc" }, new JsonObject { ["_key"] = "asc" }),
                    },
                },
            },
        };
    }

    public async Task<IReadOnlyList<LogHistogramBucket>> HistogramAsync(int environmentId, LogHistogramQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filter = new JsonArray
        {
            Term("environmentId", environmentId),
            new JsonObject { ["range"] = new JsonObject { ["createdAt"] = new JsonObject { ["gte"] = Iso(query.From), ["lt"] = Iso(query.To) } } },
        };
        AddTypes(filter, query.Types);
        var body = new JsonObject
        {
            ["size"] = 0,
            ["query"] = new JsonObject { ["bool"] = new JsonObject { ["filter"] = filter } },
            ["aggs"] = new JsonObject
            {
                ["buckets"] = new JsonObject
                {
                    ["date_histogram"] = new JsonObject { ["field"] = "createdAt", ["fixed_interval"] = query.Bucket == LogBucketSize.Day ? "1d" : "1h", ["min_doc_count"] = 1 },
                    ["aggs"] = new JsonObject
                    {
                        ["types"] = new JsonObject
                        {
                            ["terms"] = new JsonObject { ["field"] = "type", ["size"] = 100 },
                            ["aggs"] = new JsonObject { ["states"] = new JsonObject { ["terms"] = new JsonObject { ["field"] = "state", ["size"] = 10 } } },
                        },
                    },
                },
            },
        };
        var response = await SendAsync(HttpMethod.POST, "/" + OperationsPattern + "/_search" + SearchOptions, body.ToJsonString(), ct);
        var result = new List<LogHistogramBucket>();
        foreach (var bucket in response["aggregations"]?["buckets"]?["buckets"]?.AsArray() ?? [])
        {
            var start = DateTimeOffset.UnixEpoch.AddMilliseconds((long)bucket!["key"]!);
            foreach (var type in bucket["types"]!["buckets"]!.AsArray())
            {
                var states = type!["states"]!["buckets"]!.AsArray().ToDictionary(s => (string)s!["key"]!, s => (long)s!["doc_count"]!);
                long State(string name) => states.GetValueOrDefault(name);
                result.Add(new LogHistogramBucket(start, (string)type["key"]!, (long)type["doc_count"]!,
                    State(OperationStates.Success), State(OperationStates.Failed), State(OperationStates.Cancelled),
                    State(OperationStates.Timeout), State(OperationStates.Running) + State(OperationStates.Waiting)));
            }
        }
        return result.OrderBy(b => b.Start).ThenBy(b => b.Type, StringComparer.Ordinal).ToList();
    }

    /// <summary>Index templates; the daily indices themselves appear on first write.</summary>
    public async Task PrepareAsync(DateOnly firstDay, DateOnly lastDay, CancellationToken ct)
    {
        await SendAsync(HttpMethod.PUT, "/_index_template/nango-operations", ElasticsearchLogDocuments.OperationsTemplate().ToJsonString(), ct);
        await SendAsync(HttpMethod.PUT, "/_index_template/nango-messages", ElasticsearchLogDocuments.MessagesTemplate().ToJsonString(), ct);
    }

    public async Task<int> TimeoutExpiredAsync(DateTimeOffset now, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["query"] = new JsonObject
            {
                ["bool"] = new JsonObject
                {
                    ["filter"] = new JsonArray
                    {
                        new JsonObject { ["terms"] = new JsonObject { ["state"] = new JsonArray(OperationStates.Waiting, OperationStates.Running) } },
                        new JsonObject { ["range"] = new JsonObject { ["expiresAt"] = new JsonObject { ["lt"] = Iso(now) } } },
                    },
                },
            },
            ["script"] = new JsonObject
            {
                ["lang"] = "painless",
                ["source"] = ElasticsearchLogDocuments.TimeoutSource,
                ["params"] = new JsonObject { ["now"] = Iso(now) },
            },
        };
        var response = await SendAsync(HttpMethod.POST, "/" + OperationsPattern + "/_update_by_query?conflicts=proceed&ignore_unavailable=true&allow_no_indices=true" + (refreshOnWrite ? "&refresh=true" : ""), body.ToJsonString(), ct);
        return (int?)response["updated"] ?? 0;
    }

    public async Task<IReadOnlyList<string>> DropDaysBeforeAsync(DateOnly firstDayKept, CancellationToken ct)
    {
        var response = await SendRawAsync(HttpMethod.GET, "/_cat/indices/" + OperationsPattern + "," + MessagesPattern + "?format=json&h=index", null, ct);
        var names = (JsonNode.Parse(response) as JsonArray ?? []).Select(i => (string)i!["index"]!).ToList();
        var dropped = new List<string>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var date = name.StartsWith(ElasticsearchLogDocuments.OperationsPrefix, StringComparison.Ordinal)
                ? name[ElasticsearchLogDocuments.OperationsPrefix.Length..]
                : name[ElasticsearchLogDocuments.MessagesPrefix.Length..];
            if (DateOnly.TryParseExact(date, "yyyy.MM.dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day < firstDayKept)
            {
                await SendRawAsync(HttpMethod.DELETE, "/" + name, null, ct);
                dropped.Add(name);
            }
        }
        return dropped;
    }

    private static JsonObject Term(string field, JsonNode value) => new() { ["term"] = new JsonObject { [field] = value } };

    private static JsonObject FullText(string text) => new()
    {
        ["simple_query_string"] = new JsonObject { ["query"] = text.Trim(), ["fields"] = new JsonArray("searchText"), ["default_operator"] = "and" },
    };

    private static JsonArray NewestFirst() => new(
        new JsonObject { ["createdAt"] = new JsonObject { ["order"] = "desc" } },
        new JsonObject { ["id"] = new JsonObject { ["order"] = "desc" } });

    private static JsonArray OldestFirst() => new(
        new JsonObject { ["createdAt"] = new JsonObject { ["order"] = "asc" } },
        new JsonObject { ["id"] = new JsonObject { ["order"] = "asc" } });

    private static JsonObject? Range(DateTimeOffset? from, DateTimeOffset? to)
    {
        if (from is null && to is null)
        {
            return null;
        }
        var range = new JsonObject();
        if (from is { } f)
        {
            range["gte"] = Iso(f);
        }
        if (to is { } t)
        {
            range["lte"] = Iso(t);
        }
        return new JsonObject { ["range"] = new JsonObject { ["createdAt"] = range } };
    }

    private static string Iso(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static void AddTerms(JsonArray filter, string field, IReadOnlyList<string> values)
    {
        var list = LogTypeFilter.WithoutAll(values);
        if (list.Count > 0)
        {
            filter.Add(new JsonObject { ["terms"] = new JsonObject { [field] = new JsonArray([.. list.Select(v => JsonValue.Create(v))]) } });
        }
    }

    private static void AddTypes(JsonArray filter, IReadOnlyList<string> values)
    {
        var (types, kinds) = LogTypeFilter.Parse(values);
        if (types.Count == 0 && kinds.Count == 0)
        {
            return;
        }
        var should = new JsonArray();
        if (types.Count > 0)
        {
            should.Add(new JsonObject { ["terms"] = new JsonObject { ["type"] = new JsonArray([.. types.Select(v => JsonValue.Create(v))]) } });
        }
        if (kinds.Count > 0)
        {
            should.Add(new JsonObject { ["terms"] = new JsonObject { ["kind"] = new JsonArray([.. kinds.Select(k => JsonValue.Create(k.Type + ":" + k.Action))]) } });
        }
        filter.Add(new JsonObject { ["bool"] = new JsonObject { ["should"] = should, ["minimum_should_match"] = 1 } });
    }

    private static void AppendLine(StringBuilder body, JsonObject line) => body.Append(line.ToJsonString()).Append('\n');

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, string? body, CancellationToken ct) =>
        JsonNode.Parse(await SendRawAsync(method, path, body, ct)) as JsonObject ?? [];

    private async Task<string> SendRawAsync(HttpMethod method, string path, string? body, CancellationToken ct)
    {
        var response = body is null
            ? await client.Transport.RequestAsync<StringResponse>(method, path, ct)
            : await client.Transport.RequestAsync<StringResponse>(method, path, PostData.String(body), ct);
        if (!response.ApiCallDetails.HasSuccessfulStatusCode)
        {
            throw new InvalidOperationException(
                $"Elasticsearch {method} {path} failed with {response.ApiCallDetails.HttpStatusCode?.ToString(CultureInfo.InvariantCulture) ?? "no response"}: {Truncate(response.Body)}",
                response.ApiCallDetails.OriginalException);
        }
        return string.IsNullOrEmpty(response.Body) ? "{}" : response.Body;
    }

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 500 ? value : value[..500];
}
