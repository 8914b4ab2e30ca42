using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Records;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Records;

/// <summary>
/// A connection with 30 issues written through the store, then 3 of them changed and 2 deleted after a marker; a
/// variant model; and a model for prune. The official client and raw HTTP read them back.
/// </summary>
public sealed class RecordsWorld : IAsyncLifetime
{
    public const string Key = "records-github";
    public const string ConnectionId = "records-conn";
    public const string Model = "Issue";
    public const string PruneModel = "PrunedIssue";

    private static readonly string[] _labels = ["bug"];

    public NangoWebFactory Factory { get; } = new();

    public int ConnectionRowId { get; private set; }

    /// <summary>Later than every first write and earlier than every change.</summary>
    public DateTimeOffset Marker { get; private set; }

    public IReadOnlyList<string> Changed { get; } = ["issue-03", "issue-10", "issue-21"];

    public IReadOnlyList<string> Deleted { get; } = ["issue-05", "issue-29"];

    public List<RecordRow> PruneRows { get; private set; } = [];

    public string OtherAccountKey { get; private set; } = "";

    public RecordStore Store => Factory.Services.GetRequiredService<RecordStore>();

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        using var client = Factory.CreateApiClient();
        await client.CreateIntegrationAsync(Key);
        await client.ImportConnectionAsync(Key, ConnectionId);
        OtherAccountKey = await Factory.CreateOtherAccountAsync();
        var env = await Factory.GetEnvironmentAsync(Factory.SecretKey);
        ConnectionRowId = await Store.FindConnectionAsync(env.EnvironmentId, Key, ConnectionId, CancellationToken.None)
            ?? throw new InvalidOperationException("connection not found");
        var options = new RecordWriteOptions { SyncName = "issues" };
        // Three batches, as a sync would send them.
        for (var batch = 0; batch < 3; batch++)
        {
            var records = Enumerable.Range(batch * 10, 10)
                .Select(i => JsonSerializer.SerializeToElement(new { id = $"issue-{i:00}", title = $"Issue {i}", number = i, labels = _labels }))
                .ToList();
            await Store.SaveAsync(env.EnvironmentId, ConnectionRowId, Model, records, options, CancellationToken.None);
        }
        await Store.SaveAsync(env.EnvironmentId, ConnectionRowId, Model + "::eu", [JsonSerializer.SerializeToElement(new { id = "eu-1", title = "EU issue" })], options, CancellationToken.None);
        var first = await Store.ListAsync(new RecordQuery { ConnectionId = ConnectionRowId, Model = Model, Limit = 100 }, CancellationToken.None);
        Marker = first.Records[^1].UpdatedAt.AddTicks(10);
        await Task.Delay(5);
        await Store.SaveAsync(env.EnvironmentId, ConnectionRowId, Model,
            Changed.Select(id => JsonSerializer.SerializeToElement(new { id, title = "Changed " + id, number = -1 })).ToList(), options, CancellationToken.None);
        await Store.DeleteAsync(env.EnvironmentId, ConnectionRowId, Model,
            Deleted.Select(id => JsonSerializer.SerializeToElement(new { id })).ToList(), options, CancellationToken.None);
        await Store.SaveAsync(env.EnvironmentId, ConnectionRowId, PruneModel,
            Enumerable.Range(0, 6).Select(i => JsonSerializer.SerializeToElement(new { id = $"p{i}", body = "payload" })).ToList(), options, CancellationToken.None);
        PruneRows = (await Store.ListAsync(new RecordQuery { ConnectionId = ConnectionRowId, Model = PruneModel }, CancellationToken.None)).Records.ToList();
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

[Trait("Category", "Integration")]
public sealed class RecordsApiTests(RecordsWorld world) : IClassFixture<RecordsWorld>
{
    private static readonly SemaphoreSlim _runLock = new(1, 1);
    private static readonly string[] _ids = ["issue-01", "issue-05", "no-such-id"];
    private static JsonNode? _nodeRun;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The node script's output, produced once for all the tests of this class.</summary>
    private async Task<JsonNode> NodeAsync()
    {
        await _runLock.WaitAsync(Ct);
        try
        {
            _nodeRun ??= await Infrastructure.NodeClient.RunAsync("records.mjs", world.Factory.ServerUrl, world.Factory.SecretKey, new Dictionary<string, string>
            {
                ["NANGO_ARGS"] = JsonSerializer.Serialize(new
                {
                    key = RecordsWorld.Key,
                    connectionId = RecordsWorld.ConnectionId,
                    model = RecordsWorld.Model,
                    pageSize = 7,
                    modifiedAfter = Iso(world.Marker),
                    ids = _ids,
                    pruneModel = RecordsWorld.PruneModel,
                    pruneCursor = world.PruneRows[2].Cursor,
                }),
            }, Ct);
            return _nodeRun;
        }
        finally
        {
            _runLock.Release();
        }
    }

    private static List<JsonNode> RecordsOf(JsonNode pages) =>
        pages.AsArray().SelectMany(p => p!["records"]!.AsArray()).Select(r => r!).ToList();

    private HttpRequestMessage Get(string pathAndQuery, string? secretKey = null, string? connectionId = RecordsWorld.ConnectionId, string? key = RecordsWorld.Key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secretKey ?? world.Factory.SecretKey);
        if (connectionId is not null)
        {
            request.Headers.Add("Connection-Id", connectionId);
        }
        if (key is not null)
        {
            request.Headers.Add("Provider-Config-Key", key);
        }
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using var client = new HttpClient { BaseAddress = world.Factory.ServerUrl };
        using (request)
        {
            return await client.SendAsync(request, Ct);
        }
    }

    [Fact]
    public async Task The_node_client_reads_every_record_once_across_pages_in_change_order()
    {
        var result = await NodeAsync();

        var pages = result["all"]!.AsArray();
        var records = RecordsOf(pages);
        Assert.Equal(5, pages.Count);
        Assert.All(pages.Take(4), p => Assert.Equal(7, p!["records"]!.AsArray().Count));
        Assert.Null(pages[^1]!["next_cursor"]);
        Assert.Equal(30, records.Count);
        Assert.Equal(30, records.Select(r => (string?)r["id"]).Distinct().Count());
        var modified = records.Select(r => (string)r["_nango_metadata"]!["last_modified_at"]!).ToList();
        Assert.Equal(modified.Order(StringComparer.Ordinal), modified);
        // The changes come last, batch by batch (within a batch, records share a timestamp and follow their uuids).
        Assert.Equal(world.Changed.Order(), records.TakeLast(5).Take(3).Select(r => (string)r["id"]!).Order());
        Assert.Equal(world.Deleted.Order(), records.TakeLast(2).Select(r => (string)r["id"]!).Order());
        var first = records.Single(r => (string?)r["id"] == "issue-00");
        Assert.Equal("Issue 0", (string?)first["title"]);
        Assert.Equal("bug", (string?)first["labels"]![0]);
        Assert.Equal("ADDED", (string?)first["_nango_metadata"]!["last_action"]);
        Assert.Equal(pages[0]!["next_cursor"]!.ToString(), records[6]["_nango_metadata"]!["cursor"]!.ToString());
        Assert.Equal("UPDATED", (string?)records.Single(r => (string?)r["id"] == "issue-10")["_nango_metadata"]!["last_action"]);
        var deleted = records.Single(r => (string?)r["id"] == "issue-05")["_nango_metadata"]!;
        Assert.Equal("DELETED", (string?)deleted["last_action"]);
        Assert.NotNull(deleted["deleted_at"]);
        Assert.Null(first["_nango_metadata"]!["pruned_at"]);
    }

    [Fact]
    public async Task Modified_after_returns_exactly_the_changes_since_then()
    {
        var result = await NodeAsync();

        var records = RecordsOf(result["modifiedAfter"]!);

        Assert.Equal([.. world.Changed.Order(), .. world.Deleted.Order()], records.Take(3).Select(r => (string)r["id"]!).Order().Concat(records.Skip(3).Select(r => (string)r["id"]!).Order()));
        Assert.Equal("Changed issue-03", (string?)records.Single(r => (string?)r["id"] == "issue-03")["title"]);
    }

    [Fact]
    public async Task Filter_deleted_returns_exactly_the_deleted_records()
    {
        var result = await NodeAsync();

        var records = RecordsOf(result["deleted"]!);

        Assert.Equal(world.Deleted.Order(), records.Select(r => (string)r["id"]!).Order());
        Assert.All(records, r => Assert.Equal("DELETED", (string?)r["_nango_metadata"]!["last_action"]));
    }

    [Fact]
    public async Task Ids_select_records_by_external_id()
    {
        var result = await NodeAsync();

        var records = result["ids"]!["records"]!.AsArray();

        Assert.Equal(["issue-01", "issue-05"], records.Select(r => (string)r!["id"]!));
        Assert.Null(result["ids"]!["next_cursor"]);
    }

    [Fact]
    public async Task The_node_client_prunes_payloads_up_to_a_cursor()
    {
        var result = await NodeAsync();

        Assert.Equal(3, (int)result["prune"]!["count"]!);
        Assert.False((bool)result["prune"]!["has_more"]!);
        var after = result["afterPrune"]!["records"]!.AsArray();
        Assert.Equal(6, after.Count);
        Assert.All(after.Take(3), r => Assert.Null(r!["body"]));
        Assert.All(after.Take(3), r => Assert.NotNull(r!["_nango_metadata"]!["pruned_at"]));
        Assert.All(after.Skip(3), r => Assert.Equal("payload", (string?)r!["body"]));
        Assert.Equal(world.PruneRows.Select(r => r.ExternalId), after.Select(r => (string)r!["id"]!));
    }

    [Theory]
    [InlineData("/records?model=Issue")]
    [InlineData("/records/?model=Issue")]
    public async Task Both_paths_answer_with_a_page_and_its_next_cursor(string path)
    {
        using var response = await SendAsync(Get(path + "&limit=2"));

        var body = (await response.ReadJsonAsync()).AsObject();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["next_cursor", "records"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(2, body["records"]!.AsArray().Count);
        Assert.Equal((string?)body["records"]![1]!["_nango_metadata"]!["cursor"], (string?)body["next_cursor"]);
    }

    [Fact]
    public async Task A_variant_reads_its_own_model()
    {
        using var response = await SendAsync(Get("/records?model=Issue&variant=eu"));

        var records = (await response.ReadJsonAsync())["records"]!.AsArray();
        Assert.Equal(["eu-1"], records.Select(r => (string)r!["id"]!));
    }

    [Theory]
    [InlineData("added", 25)]
    [InlineData("updated", 3)]
    [InlineData("ADDED,UPDATED", 28)]
    [InlineData("updated,deleted", 3)]
    [InlineData("added,deleted", 25)]
    public async Task Filter_follows_Nangos_semantics_including_its_pair_quirk(string filter, int expected)
    {
        // Nango implements "added,deleted" as added only and "updated,deleted" as updated only (records.ts).
        using var response = await SendAsync(Get($"/records?model=Issue&limit=100&filter={filter}"));

        Assert.Equal(expected, (await response.ReadJsonAsync())["records"]!.AsArray().Count);
    }

    public static TheoryData<string, string> BadQueries => new()
    {
        { "/records", "model" },
        { "/records?model=issue", "model" },
        { "/records?model=Issue&model=Comment", "model" },
        { "/records?model=Issue&page=2", "" },
        { "/records?model=Issue&limit=0", "limit" },
        { "/records?model=Issue&limit=10001", "limit" },
        { "/records?model=Issue&limit=ten", "limit" },
        { "/records?model=Issue&modified_after=yesterday", "modified_after" },
        { "/records?model=Issue&modified_after=" + "2020-01-01T00:00:00Z", "modified_after" },
        { "/records?model=Issue&delta=2020-01-01T00:00:00Z", "delta" },
        { "/records?model=Issue&filter=created", "filter" },
        { "/records?model=Issue&filter=added,", "filter" },
        { "/records?model=Issue&cursor=not-a-cursor", "cursor" },
        { "/records?model=Issue&cursor=" + "eHx8eQ==", "cursor" },
        { "/records?model=Issue&variant=e%20u", "variant" },
        { "/records?model=Issue&ids=", "ids.0" },
        { "/records?model=Unknown", "model" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Bad_queries_are_400_invalid_query_params_naming_the_field(string path, string field)
    {
        using var response = await SendAsync(Get(path));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.Contains(field, error.IssuePaths());
    }

    [Fact]
    public async Task More_than_100_ids_are_refused()
    {
        var query = string.Join('&', Enumerable.Range(0, 101).Select(i => $"ids=i{i}"));

        using var response = await SendAsync(Get("/records?model=Issue&" + query));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.Equal(["ids"], error.IssuePaths());
    }

    [Fact]
    public async Task A_modified_after_older_than_12_months_is_refused_and_a_recent_one_accepted()
    {
        using var old = await SendAsync(Get("/records?model=Issue&modified_after=" + Iso(DateTimeOffset.UtcNow.AddDays(-366))));
        using var recent = await SendAsync(Get("/records?model=Issue&modified_after=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-364).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture))));

        await old.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.Equal(HttpStatusCode.OK, recent.StatusCode);
    }

    [Fact]
    public async Task Missing_connection_headers_are_400_invalid_headers()
    {
        using var response = await SendAsync(Get("/records?model=Issue", connectionId: null, key: null));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_headers");
        Assert.Equal(["connection-id", "provider-config-key"], error.IssuePaths());
    }

    [Theory]
    [InlineData("no-such-connection", RecordsWorld.Key)]
    [InlineData(RecordsWorld.ConnectionId, "no-such-integration")]
    public async Task An_unknown_connection_is_400_unknown_connection(string connectionId, string key)
    {
        using var response = await SendAsync(Get("/records?model=Issue", connectionId: connectionId, key: key));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_connection");
        Assert.Equal("Provided ConnectionId and ProviderConfigKey does not match a valid connection", (string?)error["message"]);
    }

    [Theory]
    [InlineData("other-account")]
    [InlineData("prod")]
    public async Task Another_environments_key_cannot_read_or_prune_the_records(string tenant)
    {
        var key = tenant == "prod" ? world.Factory.ProdSecretKey : world.OtherAccountKey;

        using var read = await SendAsync(Get("/records?model=Issue", secretKey: key));
        using var prune = Get("/records/prune", secretKey: key);
        prune.Method = HttpMethod.Patch;
        prune.Content = new StringContent(JsonSerializer.Serialize(new { model = "Issue", until_cursor = world.PruneRows[^1].Cursor }), Encoding.UTF8, "application/json");
        using var pruned = await SendAsync(prune);

        await read.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_connection");
        await pruned.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_connection");
        Assert.Null((await world.Store.ListAsync(new RecordQuery { ConnectionId = world.ConnectionRowId, Model = RecordsWorld.Model, Limit = 1 }, Ct)).Records[0].PrunedAt);
    }

    [Theory]
    [InlineData("""{"model":"Issue"}""", "until_cursor")]
    [InlineData("""{"model":"Issue","until_cursor":"bm9wZQ=="}""", "until_cursor")]
    [InlineData("""{"model":"issue","until_cursor":"x"}""", "model")]
    [InlineData("""{"model":"Issue","until_cursor":"x","extra":1}""", "")]
    [InlineData("""{"model":"Issue","until_cursor":"x","limit":0}""", "limit")]
    public async Task Bad_prune_bodies_are_400_invalid_body_and_prune_nothing(string body, string field)
    {
        using var request = Get("/records/prune");
        request.Method = HttpMethod.Patch;
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await SendAsync(request);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains(field, error.IssuePaths());
        Assert.All((await world.Store.ListAsync(new RecordQuery { ConnectionId = world.ConnectionRowId, Model = RecordsWorld.Model, Limit = 100 }, Ct)).Records,
            r => Assert.Null(r.PrunedAt));
    }
}
