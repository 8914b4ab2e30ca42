using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// Re-runs through a real runner and Nango.Web whose chunks the runner knows stored as they are, from the store's answers
/// to its earlier saves: it claims them unchanged at the model's generation, and Nango.Web counts them without a lookup
/// per record while nothing changed the model since. A change made outside the run (here a prune through the public
/// API) replaces the generation, and the next run's chunks are looked up record by record again and put it right.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncClaimedChunksTests : IAsyncLifetime
{
    /// <summary>The same 2,500 records (chunks of 1,000, 1,000 and 500) in every run, with deletion tracking.</summary>
    private const string Script = """
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            await nango.trackDeletesStart('Item');
            const records = [];
            for (let i = 0; i < 2500; i++) {
                records.push({ id: 'item-' + i, title: 'Item ' + i });
            }
            await nango.batchSave(records, 'Item');
            await nango.trackDeletesEnd('Item');
        } } };
        """;

    private static readonly string[] Syncs = ["items"];

    private ClaimsFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-sync-claims-{Guid.NewGuid():N}.yaml");
        // The sync calls no API; the entry only has to exist.
        await File.WriteAllTextAsync(_catalog, PagedSync.CatalogYaml("http://127.0.0.1:9"), Ct);
        _web = new ClaimsFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task Unchanged_reruns_are_claimed_until_the_model_changes_outside_them()
    {
        var client = _web.CreateApiClient();
        var integration = await client.PostAsJsonAsync("/integrations", new { provider = "paged-api", unique_key = "paged" }, Ct);
        Assert.True(integration.IsSuccessStatusCode, await integration.Content.ReadAsStringAsync(Ct));
        var connection = await client.PostAsJsonAsync("/connections", new { provider_config_key = "paged", connection_id = "c1", credentials = new { type = "API_KEY", apiKey = "k" } }, Ct);
        Assert.True(connection.IsSuccessStatusCode, await connection.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await client.DeployAsync(DeployBodies.Body([DeployBodies.Sync("items", integration: "paged", js: Script)]))).StatusCode);
        var first = await PagedSync.WaitForRunAsync(client, "paged", "items", "c1", after: null, TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", (string?)first["status"]);
        var (all, cursor) = await PagedSync.ItemsAfterAsync(client, null);
        Assert.Equal(2500, all.Count);

        // A stored hash changed behind the store's back (no write of the store does this): a lookup would see it differ
        // from item-7's and rewrite it, a claim does not look.
        await ExecuteAsync("UPDATE records SET data_hash = '\\x00000000000000000000000000000000' WHERE external_id = 'item-7'");
        var second = await RunAgainAsync(client, first);

        Assert.Equal((0, 0, 2500, 0), await LastRunCountsAsync());
        Assert.Equal("00000000000000000000000000000000", await StoredHashAsync("item-7"));
        Assert.Empty((await PagedSync.ItemsAfterAsync(client, cursor)).Records);

        // A prune through the public API changes the model: the next run looks its chunks up and restores the payloads.
        var pruneUntil = (string)all[99]["_nango_metadata"]!["cursor"]!;
        using (var prune = new HttpRequestMessage(HttpMethod.Patch, "/records/prune") { Content = JsonContent.Create(new { model = "Item", until_cursor = pruneUntil }) })
        {
            prune.Headers.Add("Connection-Id", "c1");
            prune.Headers.Add("Provider-Config-Key", "paged");
            var pruned = await client.SendAsync(prune, Ct);
            Assert.True(pruned.IsSuccessStatusCode, await pruned.Content.ReadAsStringAsync(Ct));
        }
        var third = await RunAgainAsync(client, second);

        Assert.Equal("SUCCESS", (string?)third["status"]);
        // item-7 is looked up and found changed (its stored hash is not its own): updated. The pruned records are written
        // again with their payloads; their hash is the same, so they count unchanged, as without a claim.
        Assert.Equal((0, 1, 2499, 0), await LastRunCountsAsync());
        Assert.NotEqual("00000000000000000000000000000000", await StoredHashAsync("item-7"));
        var (restored, _) = await PagedSync.ItemsAfterAsync(client, null);
        Assert.All(restored, r => Assert.Equal("Item " + ((string)r["id"]!)["item-".Length..], (string?)r["title"]));
        Assert.Equal(2500, restored.Count(r => (string?)r["_nango_metadata"]!["pruned_at"] is null));
    }

    /// <summary>The counts of the last run of the sync, unchanged records included (GET /sync/status reports the others).</summary>
    private async Task<(int Added, int Updated, int Unchanged, int Deleted)> LastRunCountsAsync()
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT (models -> 'Item')::text FROM sync_runs ORDER BY started_at DESC LIMIT 1", db);
        var item = JsonNode.Parse((string)(await read.ExecuteScalarAsync(Ct))!)!;
        return ((int)item["added"]!, (int)item["updated"]!, (int)item["unchanged"]!, (int)item["deleted"]!);
    }

    private static async Task<JsonNode> RunAgainAsync(HttpClient client, JsonNode previous)
    {
        var trigger = await client.PostAsJsonAsync("/sync/trigger", new { provider_config_key = "paged", connection_id = "c1", syncs = Syncs }, Ct);
        Assert.True(trigger.StatusCode == HttpStatusCode.OK, await trigger.Content.ReadAsStringAsync(Ct));
        var run = await PagedSync.WaitForRunAsync(client, "paged", "items", "c1", after: (string?)previous["finishedAt"], TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", (string?)run["status"]);
        return run;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, db);
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }

    private async Task<string> StoredHashAsync(string externalId)
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT encode(data_hash, 'hex') FROM records WHERE external_id = @id", db);
        read.Parameters.AddWithValue("id", externalId);
        return (string)(await read.ExecuteScalarAsync(Ct))!;
    }

    private sealed class ClaimsFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog)];
    }
}
