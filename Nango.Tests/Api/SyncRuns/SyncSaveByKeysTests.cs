using System.Net;
using System.Net.Http.Json;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// Re-runs through a real runner and Nango.Web whose chunks come back mostly unchanged, so that the runner sends them by
/// their keys (ids and hashes) and then only the records the store does not hold unchanged: the change stream, the
/// run's counts and deletion tracking come out exactly as with whole chunks, and a record refused in such a chunk is
/// named by its place in the chunk the script saved.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncSaveByKeysTests : IAsyncLifetime
{
    /// <summary>
    /// 2,500 records (chunks of 1,000, 1,000 and 500) with deletion tracking. Run 2 edits two records, leaves one out
    /// and adds one; run 3 saves a record Nango cannot store (a NUL character) at position 700 of the second chunk.
    /// </summary>
    private const string Script = """
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            const run = ((await nango.getCheckpoint()) || {}).run || 1;
            await nango.trackDeletesStart('Item');
            const records = [];
            for (let i = 0; i < 2500; i++) {
                if (run >= 2 && i === 2100) continue;
                const edited = run >= 2 && (i === 5 || i === 1200);
                records.push({ id: 'item-' + i, title: 'Item ' + i + (edited ? ' (edited)' : ''), note: run === 3 && i === 1700 ? 'a\u0000b' : 'ok' });
            }
            if (run >= 2) records.push({ id: 'item-new', title: 'New item', note: 'ok' });
            await nango.batchSave(records, 'Item');
            await nango.trackDeletesEnd('Item');
            await nango.saveCheckpoint({ run: run + 1 });
        } } };
        """;

    private static readonly string[] Syncs = ["items"];

    private KeysFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-sync-keys-{Guid.NewGuid():N}.yaml");
        // The sync calls no API; the entry only has to exist.
        await File.WriteAllTextAsync(_catalog, PagedSync.CatalogYaml("http://127.0.0.1:9"), Ct);
        _web = new KeysFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task Rerun_chunks_sent_by_keys_store_count_and_track_deletes_like_whole_chunks()
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

        await TriggerAsync(client);
        var second = await PagedSync.WaitForRunAsync(client, "paged", "items", "c1", after: (string?)first["finishedAt"], TimeSpan.FromSeconds(90));

        Assert.Equal("SUCCESS", (string?)second["status"]);
        Assert.Equal((1, 2, 1), ((int)second["latestResult"]!["Item"]!["added"]!, (int)second["latestResult"]!["Item"]!["updated"]!, (int)second["latestResult"]!["Item"]!["deleted"]!));
        Assert.Equal(2497, await UnchangedOfLastRunAsync());
        // Only what changed moved in the change stream: the unchanged records, sent by their keys, kept their place.
        var (changes, _) = await PagedSync.ItemsAfterAsync(client, cursor);
        Assert.Equal([("item-1200", "UPDATED"), ("item-2100", "DELETED"), ("item-5", "UPDATED"), ("item-new", "ADDED")],
            changes.Select(r => ((string)r["id"]!, (string)r["_nango_metadata"]!["last_action"]!)).Order());
        Assert.Equal("Item 1200 (edited)", (string?)changes.Single(r => (string?)r["id"] == "item-1200")["title"]);

        await TriggerAsync(client);
        var third = await PagedSync.WaitForRunAsync(client, "paged", "items", "c1", after: (string?)second["finishedAt"], TimeSpan.FromSeconds(90));

        Assert.Equal("ERROR", (string?)third["status"]);
        Assert.Contains("Record 700 contains a NUL character", await LastTaskErrorAsync(), StringComparison.Ordinal);
        var (afterFailure, _) = await PagedSync.ItemsAfterAsync(client, cursor);
        Assert.Equal(changes.Select(r => (string)r["id"]!).Order(), afterFailure.Select(r => (string)r["id"]!).Order());
    }

    private static async Task TriggerAsync(HttpClient client)
    {
        var trigger = await client.PostAsJsonAsync("/sync/trigger", new { provider_config_key = "paged", connection_id = "c1", syncs = Syncs }, Ct);
        Assert.True(trigger.StatusCode == HttpStatusCode.OK, await trigger.Content.ReadAsStringAsync(Ct));
    }

    private async Task<int> UnchangedOfLastRunAsync()
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT (models -> 'Item' ->> 'unchanged')::int FROM sync_runs ORDER BY started_at DESC LIMIT 1", db);
        return (int)(await read.ExecuteScalarAsync(Ct))!;
    }

    private async Task<string> LastTaskErrorAsync()
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT coalesce(error::text, '') FROM function_tasks WHERE kind = 'sync' ORDER BY created_at DESC LIMIT 1", db);
        return (string)(await read.ExecuteScalarAsync(Ct))!;
    }

    private sealed class KeysFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog)];
    }
}
