using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// Two variants of one sync on one connection page through different data, so each resumes from its own checkpoint
/// (Nango keys checkpoints per connection, sync and variant): a run of one never picks up where the other stopped.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncVariantCheckpointTests : IAsyncLifetime
{
    /// <summary>Saves one record naming the checkpoint it resumed from, then a checkpoint naming its own variant.</summary>
    private const string Script = """
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            const checkpoint = (await nango.getCheckpoint()) || {};
            const run = checkpoint.run || 0;
            await nango.batchSave([{ id: 'run-' + run, resumedFrom: checkpoint.variant || null }], 'Item');
            await nango.saveCheckpoint({ variant: nango.variant, run: run + 1 });
        } } };
        """;

    private VariantFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-sync-variants-{Guid.NewGuid():N}.yaml");
        // The sync calls no API; the entry only has to exist.
        await File.WriteAllTextAsync(_catalog, PagedSync.CatalogYaml("http://127.0.0.1:9"), Ct);
        _web = new VariantFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task Each_variant_of_a_sync_resumes_from_its_own_checkpoint()
    {
        var client = _web.CreateApiClient();
        var integration = await client.PostAsJsonAsync("/integrations", new { provider = "paged-api", unique_key = "paged" }, Ct);
        Assert.True(integration.IsSuccessStatusCode, await integration.Content.ReadAsStringAsync(Ct));
        var connection = await client.PostAsJsonAsync("/connections", new { provider_config_key = "paged", connection_id = "c1", credentials = new { type = "API_KEY", apiKey = "k" } }, Ct);
        Assert.True(connection.IsSuccessStatusCode, await connection.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await client.DeployAsync(DeployBodies.Body([DeployBodies.Sync("echo", integration: "paged", js: Script)]))).StatusCode);
        var baseFirst = await PagedSync.WaitForRunAsync(client, "paged", "echo", "c1", after: null, TimeSpan.FromSeconds(90));
        var created = await client.PostAsJsonAsync("/sync/echo/variant/v2", new { provider_config_key = "paged", connection_id = "c1" }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));
        var variantFirst = await PagedSync.WaitForRunAsync(client, "paged", "echo::v2", "c1", after: null, TimeSpan.FromSeconds(90));

        await TriggerAsync(client, new { name = "echo", variant = "base" });
        var baseSecond = await PagedSync.WaitForRunAsync(client, "paged", "echo", "c1", after: (string?)baseFirst["finishedAt"], TimeSpan.FromSeconds(90));
        await TriggerAsync(client, new { name = "echo", variant = "v2" });
        var variantSecond = await PagedSync.WaitForRunAsync(client, "paged", "echo::v2", "c1", after: (string?)variantFirst["finishedAt"], TimeSpan.FromSeconds(90));

        Assert.All(new[] { baseFirst, variantFirst, baseSecond, variantSecond }, run => Assert.Equal("SUCCESS", (string?)run["status"]));
        // Each variant's first run started afresh, its second from the checkpoint its own first run saved.
        Assert.Equal([("run-0", null), ("run-1", "base")], await RecordsAsync(client, ""));
        Assert.Equal([("run-0", null), ("run-1", "v2")], await RecordsAsync(client, "&variant=v2"));
        Assert.Equal(("base", 2), ((string?)baseSecond["checkpoint"]!["variant"], (int)baseSecond["checkpoint"]!["run"]!));
        Assert.Equal(("v2", 2), ((string?)variantSecond["checkpoint"]!["variant"], (int)variantSecond["checkpoint"]!["run"]!));
    }

    private static async Task TriggerAsync(HttpClient client, object sync)
    {
        var trigger = await client.PostAsJsonAsync("/sync/trigger", new { provider_config_key = "paged", connection_id = "c1", syncs = new[] { sync } }, Ct);
        Assert.True(trigger.StatusCode == HttpStatusCode.OK, await trigger.Content.ReadAsStringAsync(Ct));
    }

    private static async Task<List<(string Id, string? ResumedFrom)>> RecordsAsync(HttpClient client, string variantQuery)
    {
        using var read = new HttpRequestMessage(HttpMethod.Get, "/records?model=Item" + variantQuery);
        read.Headers.Add("Connection-Id", "c1");
        read.Headers.Add("Provider-Config-Key", "paged");
        var page = await (await client.SendAsync(read, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        return page!["records"]!.AsArray().Select(r => ((string)r!["id"]!, (string?)r["resumedFrom"])).OrderBy(r => r.Item1, StringComparer.Ordinal).ToList();
    }

    private sealed class VariantFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog)];
    }
}
