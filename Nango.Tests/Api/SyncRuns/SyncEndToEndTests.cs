using System.Text.Json.Nodes;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// Issue 8's acceptance, end to end with official tools: the <c>nango init</c> example sync (<c>fetchIssues</c>:
/// <c>paginate</c>, <c>batchSave</c>, <c>trackDeletesStart/End</c>) deployed with the real CLI runs in a real runner
/// against a loopback GitHub stand-in; <c>@nangohq/node</c> reads the records by cursor, then only the changes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncEndToEndTests : IAsyncLifetime
{
    private const string Model = "GithubIssue";
    private GithubStandIn _github = null!;
    private SyncFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _github = await GithubStandIn.StartAsync(Ct);
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-syncs-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_catalog, _github.CatalogYaml(), Ct);
        _web = new SyncFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _github.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task The_example_sync_fills_records_then_serves_only_changes_and_deletions()
    {
        for (var id = 1; id <= 250; id++)
        {
            _github.Put(id, $"Issue {id}");
        }
        await using var receiver = await WebhookReceiver.StartAsync();
        await Integration.Webhooks.WebhookHarness.PointAtAsync(_web, receiver.Url.ToString());
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        var project = await NangoCli.NewProjectAsync();
        (await NangoCli.DeployAsync(project, _web.ServerUrl, _web.SecretKey)).AssertSucceeded();

        // autoStart: deploying schedules the sync for the existing connection and its first run starts at once.
        var first = await PagedSync.WaitForRunAsync(client, "github", "fetchIssues", "conn-1", after: null, TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", (string?)first["status"]);
        Assert.Equal(250, (int)first["latestResult"]![Model]!["added"]!);

        var all = await ListAllAsync(new JsonObject { ["limit"] = 100 });
        Assert.Equal(250, all.Count);
        Assert.Equal(Enumerable.Range(1, 250).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal),
            all.Select(r => (string)r["id"]!.AsValue().ToString()).Order(StringComparer.Ordinal));
        Assert.All(all, r => Assert.Equal("ADDED", (string?)r["_nango_metadata"]!["last_action"]));
        var lastCursor = (string)all[^1]["_nango_metadata"]!["cursor"]!;
        var beforeChanges = DateTimeOffset.UtcNow;

        // Upstream: 5 issues edited, 3 closed for good (gone), 2 new.
        foreach (var id in new[] { 10, 20, 30, 40, 50 })
        {
            _github.Put(id, $"Issue {id} (edited)");
        }
        foreach (var id in new[] { 7, 77, 177 })
        {
            _github.Remove(id);
        }
        _github.Put(251, "Issue 251");
        _github.Put(252, "Issue 252");
        var calls = await CallAsync(new JsonObject { ["method"] = "triggerSync", ["args"] = new JsonArray("github", new JsonArray("fetchIssues"), "conn-1") });
        Assert.Null(calls[0]!["status"]);
        var second = await PagedSync.WaitForRunAsync(client, "github", "fetchIssues", "conn-1", after: (string?)first["finishedAt"], TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", (string?)second["status"]);
        Assert.Equal(2, (int)second["latestResult"]![Model]!["added"]!);
        Assert.Equal(5, (int)second["latestResult"]![Model]!["updated"]!);
        Assert.Equal(3, (int)second["latestResult"]![Model]!["deleted"]!);

        var changes = await ListAllAsync(new JsonObject { ["cursor"] = lastCursor });
        Assert.Equal(10, changes.Count);
        Assert.Equal(["10", "177", "20", "251", "252", "30", "40", "50", "7", "77"], changes.Select(r => r["id"]!.AsValue().ToString()).Order(StringComparer.Ordinal));
        var since = await ListAllAsync(new JsonObject { ["modifiedAfter"] = beforeChanges.ToString("O") });
        Assert.Equal(changes.Select(r => r["id"]!.AsValue().ToString()).Order(StringComparer.Ordinal), since.Select(r => r["id"]!.AsValue().ToString()).Order(StringComparer.Ordinal));
        var deleted = await ListAllAsync(new JsonObject { ["filter"] = "deleted" });
        Assert.Equal(["177", "7", "77"], deleted.Select(r => r["id"]!.AsValue().ToString()).Order(StringComparer.Ordinal));
        Assert.All(deleted, r => Assert.Equal("DELETED", (string?)r["_nango_metadata"]!["last_action"]));
        var edited = changes.Single(r => r["id"]!.AsValue().ToString() == "10");
        Assert.Equal("UPDATED", (string?)edited["_nango_metadata"]!["last_action"]);
        Assert.Equal("Issue 10 (edited)", (string?)edited["title"]);

        // One sync webhook per model per run, with that run's counts.
        var syncWebhooks = new List<JsonNode>();
        while (syncWebhooks.Count < 2)
        {
            var webhook = JsonNode.Parse((await receiver.NextAsync(TimeSpan.FromSeconds(30))).BodyText)!;
            if ((string?)webhook["type"] == "sync")
            {
                syncWebhooks.Add(webhook);
            }
        }
        Assert.All(syncWebhooks, w => Assert.Equal(("fetchIssues", Model, "conn-1", true), ((string?)w["syncName"], (string?)w["model"], (string?)w["connectionId"], (bool)w["success"]!)));
        Assert.Equal(("INITIAL", 250, 0, 0), ((string?)syncWebhooks[0]["syncType"], (int)syncWebhooks[0]["responseResults"]!["added"]!, (int)syncWebhooks[0]["responseResults"]!["updated"]!, (int)syncWebhooks[0]["responseResults"]!["deleted"]!));
        Assert.Equal(("INCREMENTAL", 2, 5, 3), ((string?)syncWebhooks[1]["syncType"], (int)syncWebhooks[1]["responseResults"]!["added"]!, (int)syncWebhooks[1]["responseResults"]!["updated"]!, (int)syncWebhooks[1]["responseResults"]!["deleted"]!));
    }

    [Fact]
    public async Task A_run_that_fails_midway_deletes_nothing_and_the_next_complete_run_does()
    {
        for (var id = 1; id <= 250; id++)
        {
            _github.Put(id, $"Issue {id}");
        }
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        var project = await NangoCli.NewProjectAsync();
        (await NangoCli.DeployAsync(project, _web.ServerUrl, _web.SecretKey)).AssertSucceeded();
        var first = await PagedSync.WaitForRunAsync(client, "github", "fetchIssues", "conn-1", after: null, TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", (string?)first["status"]);

        // Issue 5 disappears upstream, but the run breaks on page 2: it saw only part of the issues.
        _github.Remove(5);
        _github.FailFromPage = 2;
        await CallAsync(new JsonObject { ["method"] = "triggerSync", ["args"] = new JsonArray("github", new JsonArray("fetchIssues"), "conn-1") });
        var failed = await PagedSync.WaitForRunAsync(client, "github", "fetchIssues", "conn-1", after: (string?)first["finishedAt"], TimeSpan.FromSeconds(90));
        Assert.Equal("ERROR", (string?)failed["status"]);
        Assert.Empty(await ListAllAsync(new JsonObject { ["filter"] = "deleted" }));

        _github.FailFromPage = null;
        await CallAsync(new JsonObject { ["method"] = "triggerSync", ["args"] = new JsonArray("github", new JsonArray("fetchIssues"), "conn-1") });
        var complete = await PagedSync.WaitForRunAsync(client, "github", "fetchIssues", "conn-1", after: (string?)failed["finishedAt"], TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", (string?)complete["status"]);
        var deleted = await ListAllAsync(new JsonObject { ["filter"] = "deleted" });
        Assert.Equal(["5"], deleted.Select(r => r["id"]!.AsValue().ToString()));
    }

    /// <summary>Every page of <c>listRecords</c> for conn-1, following <c>next_cursor</c>, records in order.</summary>
    private async Task<List<JsonNode>> ListAllAsync(JsonObject query)
    {
        var records = new List<JsonNode>();
        string? cursor = (string?)query["cursor"];
        for (var page = 0; page < 100; page++)
        {
            var config = (JsonObject)query.DeepClone();
            config["providerConfigKey"] = "github";
            config["connectionId"] = "conn-1";
            config["model"] = Model;
            if (cursor is not null)
            {
                config["cursor"] = cursor;
            }
            var result = (await CallAsync(new JsonObject { ["method"] = "listRecords", ["args"] = new JsonArray(config) }))[0]!;
            Assert.True(result["value"] is not null, result.ToJsonString());
            records.AddRange(result["value"]!["records"]!.AsArray().Select(r => r!.DeepClone()));
            cursor = (string?)result["value"]!["next_cursor"];
            if (cursor is null)
            {
                break;
            }
        }
        Assert.Equal(records.Count, records.Select(r => r["id"]!.AsValue().ToString()).Distinct().Count());
        return records;
    }

    private async Task<JsonArray> CallAsync(params JsonObject[] calls) =>
        (await Infrastructure.NodeClient.RunAsync("client-call.mjs", _web.ServerUrl, _web.SecretKey,
            new Dictionary<string, string> { ["CALLS"] = new JsonArray(calls).ToJsonString() }, Ct)).AsArray();


    private sealed class SyncFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog)];
    }
}
