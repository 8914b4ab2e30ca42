using System.Text;
using System.Text.Json.Nodes;
using Elastic.Clients.Elasticsearch;
using Elastic.Transport;
using Nango.Core.Logs;

namespace Nango.Tests.Unit.Logs;

/// <summary>
/// Without an Elasticsearch server, what the store sends is captured through the client's in-memory
/// invoker and checked: index template mappings, bulk bodies and query shapes.
/// </summary>
public sealed class ElasticsearchRequestTests
{
    private const string AnyResponse = """
        {"errors":false,"items":[],"hits":{"total":{"value":0,"relation":"eq"},"hits":[]},
         "aggregations":{"operations":{"buckets":[{"key":"0193f1c4-0000-7000-8000-000000000001","doc_count":2}]}}}
        """;

    private static readonly DateTimeOffset _at = new(2026, 11, 27, 10, 30, 15, TimeSpan.Zero);

    private readonly List<(string Method, string Path, string Body)> _requests = [];

    private ElasticsearchLogStore CreateStore(string response = AnyResponse)
    {
        var invoker = new InMemoryRequestInvoker(Encoding.UTF8.GetBytes(response), 200, null, "application/json",
            new Dictionary<string, IEnumerable<string>> { ["x-elastic-product"] = ["Elasticsearch"] });
        var settings = new ElasticsearchClientSettings(new SingleNodePool(new Uri("http://fake:9200")), invoker)
            .DisableDirectStreaming()
            .OnRequestCompleted(d => _requests.Add((
                d.HttpMethod.ToString(),
                d.Uri!.PathAndQuery,
                d.RequestBodyInBytes is null ? "" : Encoding.UTF8.GetString(d.RequestBodyInBytes))));
        return new ElasticsearchLogStore(new ElasticsearchClient(settings));
    }

    private static JsonObject Json(string body) => JsonNode.Parse(body)!.AsObject();

    [Fact]
    public async Task Index_templates_have_explicit_non_dynamic_mappings()
    {
        var store = CreateStore();

        await store.PrepareAsync(DateOnly.FromDateTime(_at.UtcDateTime), DateOnly.FromDateTime(_at.UtcDateTime), TestContext.Current.CancellationToken);

        Assert.Equal(2, _requests.Count);
        var (method, path, body) = _requests[0];
        Assert.Equal(("PUT", "/_index_template/nango-operations"), (method, path));
        var template = Json(body);
        Assert.Equal("nango-operations-*", (string?)template["index_patterns"]![0]);
        var mappings = template["template"]!["mappings"]!;
        Assert.False((bool)mappings["dynamic"]!);
        var properties = mappings["properties"]!;
        Assert.Equal("keyword", (string?)properties["id"]!["type"]);
        Assert.Equal("date_nanos", (string?)properties["createdAt"]!["type"]);
        Assert.Equal("keyword", (string?)properties["state"]!["type"]);
        Assert.Equal("keyword", (string?)properties["integrationKey"]!["type"]);
        Assert.Equal("integer", (string?)properties["environmentId"]!["type"]);
        Assert.Equal("text", (string?)properties["searchText"]!["type"]);
        Assert.False((bool)properties["meta"]!["enabled"]!);
        Assert.False((bool)properties["request"]!["properties"]!["headers"]!["enabled"]!);
        Assert.Equal(1, (int)template["template"]!["settings"]!["index"]!["number_of_shards"]!);

        Assert.Equal("/_index_template/nango-messages", _requests[1].Path);
        var messages = Json(_requests[1].Body)["template"]!["mappings"]!;
        Assert.False((bool)messages["dynamic"]!);
        Assert.Equal("keyword", (string?)messages["properties"]!["operationId"]!["type"]);
        Assert.Equal("keyword", (string?)messages["properties"]!["level"]!["type"]);
    }

    [Fact]
    public async Task A_batch_is_one_bulk_request_into_daily_indices()
    {
        var store = CreateStore();
        var batch = new LogBatch();
        var op = new LogOperationRow
        {
            Id = Guid.CreateVersion7(_at), CreatedAt = _at, Type = "sync", Action = "run", State = OperationStates.Running,
            AccountId = 1, EnvironmentId = 7, IntegrationKey = "github", ConnectionName = "acme",
            Meta = new JsonObject { ["model"] = "Issue" },
        };
        batch.Operations.Add(op);
        batch.Messages.Add(new LogMessageRow
        {
            Id = Guid.CreateVersion7(_at), CreatedAt = _at.AddSeconds(1), OperationId = op.Id, AccountId = 1, EnvironmentId = 7,
            Level = MessageLevels.Info, Type = MessageTypes.Http, Source = MessageSources.Internal, Message = "GET /issues",
            Request = new LogHttpRequest("GET", "https://api.github.com/issues", new Dictionary<string, string> { ["Accept"] = "*/*" }),
            Response = new LogHttpResponse(200),
        });
        batch.Updates.Add(new LogOperationUpdate { Id = op.Id, CreatedAt = op.CreatedAt, State = OperationStates.Success, UpdatedAt = _at.AddSeconds(2), EndedAt = _at.AddSeconds(2), DurationMs = 2000 });

        await store.WriteAsync(batch, TestContext.Current.CancellationToken);

        var (method, path, body) = Assert.Single(_requests);
        Assert.Equal(("POST", "/_bulk"), (method, path));
        Assert.EndsWith("\n", body, StringComparison.Ordinal);
        var lines = body.TrimEnd('\n').Split('\n').Select(Json).ToList();
        Assert.Equal(6, lines.Count);
        Assert.Equal("nango-operations-2026.11.27", (string?)lines[0]["index"]!["_index"]);
        Assert.Equal(op.Id.ToString(), (string?)lines[0]["index"]!["_id"]);
        Assert.Equal("sync:run", (string?)lines[1]["kind"]);
        Assert.Equal(7, (int)lines[1]["environmentId"]!);
        Assert.Contains("Issue", (string?)lines[1]["searchText"], StringComparison.Ordinal);
        Assert.Equal("2026-11-27T10:30:15+00:00", (string?)lines[1]["createdAt"]);
        Assert.Equal("nango-messages-2026.11.27", (string?)lines[2]["index"]!["_index"]);
        Assert.Equal(op.Id.ToString(), (string?)lines[3]["operationId"]);
        Assert.Equal("https://api.github.com/issues", (string?)lines[3]["request"]!["url"]);
        Assert.Equal("nango-operations-2026.11.27", (string?)lines[4]["update"]!["_index"]);
        Assert.Equal("success", (string?)lines[5]["script"]!["params"]!["doc"]!["state"]);
        Assert.Contains("noop", (string?)lines[5]["script"]!["source"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operation_search_resolves_message_matches_then_filters_sorts_and_pages()
    {
        var store = CreateStore();
        var cursor = new LogCursor(_at, Guid.Parse("0193f1c4-0000-7000-8000-0000000000aa"));

        await store.SearchOperationsAsync(7, new LogOperationSearch
        {
            States = [OperationStates.Failed],
            Types = ["sync", "proxy:call"],
            Integrations = ["github"],
            Connections = ["acme"],
            Functions = ["issues"],
            From = _at.AddHours(-24),
            To = _at,
            Search = "quota exhausted",
            Cursor = cursor.Encode(),
            Limit = 20,
        }, TestContext.Current.CancellationToken);

        Assert.Equal(2, _requests.Count);
        var (_, messagesPath, messagesBody) = _requests[0];
        Assert.StartsWith("/nango-messages-*/_search", messagesPath, StringComparison.Ordinal);
        var messages = Json(messagesBody);
        Assert.Equal(0, (int)messages["size"]!);
        Assert.Equal("operationId", (string?)messages["aggs"]!["operations"]!["terms"]!["field"]);
        var messageFilter = messages["query"]!["bool"]!["filter"]!.AsArray();
        Assert.Equal(7, (int)messageFilter[0]!["term"]!["environmentId"]!);
        Assert.Equal("quota exhausted", (string?)messageFilter[1]!["simple_query_string"]!["query"]);

        var (_, path, body) = _requests[1];
        Assert.StartsWith("/nango-operations-*/_search", path, StringComparison.Ordinal);
        var search = Json(body);
        Assert.Equal(21, (int)search["size"]!);
        Assert.True((bool)search["track_total_hits"]!);
        var filter = search["query"]!["bool"]!["filter"]!.AsArray().Select(f => f!.ToJsonString()).ToList();
        Assert.Contains("""{"term":{"environmentId":7}}""", filter);
        Assert.Contains("""{"terms":{"state":["failed"]}}""", filter);
        Assert.Contains("""{"bool":{"should":[{"terms":{"type":["sync"]}},{"terms":{"kind":["proxy:call"]}}],"minimum_should_match":1}}""", filter);
        Assert.Contains("""{"terms":{"integrationKey":["github"]}}""", filter);
        Assert.Contains("""{"terms":{"connectionName":["acme"]}}""", filter);
        Assert.Contains("""{"terms":{"functionName":["issues"]}}""", filter);
        Assert.Contains("""{"range":{"createdAt":{"gte":"2026-11-26T10:30:15.000000Z","lte":"2026-11-27T10:30:15.000000Z"}}}""", filter);
        Assert.Contains(
            """{"bool":{"should":[{"simple_query_string":{"query":"quota exhausted","fields":["searchText"],"default_operator":"and"}},{"terms":{"id":["0193f1c4-0000-7000-8000-000000000001"]}}],"minimum_should_match":1}}""",
            filter);
        Assert.Equal("""[{"createdAt":{"order":"desc"}},{"id":{"order":"desc"}}]""", search["sort"]!.ToJsonString());
        Assert.Equal(
            $$"""[{{(_at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100}},"0193f1c4-0000-7000-8000-0000000000aa"]""",
            search["search_after"]!.ToJsonString());
    }

    [Fact]
    public async Task Messages_of_an_operation_are_scoped_and_page_both_ways()
    {
        var store = CreateStore();
        var op = Guid.CreateVersion7(_at);
        var cursor = new LogCursor(_at, op).Encode();

        await store.SearchMessagesAsync(7, new LogMessageSearch { OperationId = op, Levels = ["error"], Search = "timeout", CursorBefore = cursor, Limit = 10 }, TestContext.Current.CancellationToken);

        var (_, path, body) = Assert.Single(_requests);
        Assert.StartsWith("/nango-messages-*/_search", path, StringComparison.Ordinal);
        var search = Json(body);
        var filter = search["query"]!["bool"]!["filter"]!.AsArray().Select(f => f!.ToJsonString()).ToList();
        Assert.Contains("""{"term":{"environmentId":7}}""", filter);
        Assert.Contains("{\"term\":{\"operationId\":\"" + op + "\"}}", filter);
        Assert.Contains("""{"terms":{"level":["error"]}}""", filter);
        // Newer than the cursor: ascending from it, reversed by the store.
        Assert.Equal("""[{"createdAt":{"order":"asc"}},{"id":{"order":"asc"}}]""", search["sort"]!.ToJsonString());
    }

    [Fact]
    public void Filter_values_are_a_terms_aggregation_with_a_case_insensitive_prefix()
    {
        var body = ElasticsearchLogStore.BuildFilterValues(7, new LogFilterQuery { Category = LogFilterCategory.Connection, Prefix = "Ac", Limit = 25 });

        Assert.Equal(
            """{"size":0,"query":{"bool":{"filter":[{"term":{"environmentId":7}},{"prefix":{"connectionName":{"value":"Ac","case_insensitive":true}}}]}},"aggs":{"values":{"terms":{"field":"connectionName","size":25,"order":[{"_count":"desc"},{"_key":"asc"}]}}}}""",
            body.ToJsonString());
    }

    [Fact]
    public async Task Retention_deletes_only_daily_indices_older_than_the_first_day_kept()
    {
        var store = CreateStore("""
            [{"index":"nango-operations-2026.11.01"},{"index":"nango-messages-2026.11.01"},
             {"index":"nango-operations-2026.11.20"},{"index":"nango-messages-2026.11.20"}]
            """);

        var dropped = await store.DropDaysBeforeAsync(new DateOnly(2026, 11, 13), TestContext.Current.CancellationToken);

        Assert.Equal(["nango-messages-2026.11.01", "nango-operations-2026.11.01"], dropped);
        Assert.StartsWith("/_cat/indices/nango-operations-*,nango-messages-*", _requests[0].Path, StringComparison.Ordinal);
        Assert.Equal([("DELETE", "/nango-messages-2026.11.01"), ("DELETE", "/nango-operations-2026.11.01")], _requests.Skip(1).Select(r => (r.Method, r.Path)));
    }
}
