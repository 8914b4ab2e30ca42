using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>What the sync-run tests share: a checkpointed sync over six pages of a loopback API, and waiting for runs.</summary>
internal static class PagedSync
{
    /// <summary>Six pages of ten items, a checkpoint after each, so a run that stops resumes at the page it was on.</summary>
    public const string Script = """
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            const checkpoint = (await nango.getCheckpoint()) || {};
            let page = checkpoint.page || 1;
            while (page <= 6) {
                const response = await nango.get({ endpoint: '/items', params: { page: String(page) } });
                await nango.batchSave(response.data, 'Item');
                page++;
                await nango.saveCheckpoint({ page: page });
            }
            await nango.clearCheckpoint();
        } } };
        """;

    /// <summary>A catalog entry <c>paged-api</c> (API key) whose base URL is the test's upstream.</summary>
    public static string CatalogYaml(string baseUrl) => $$"""
        paged-api:
            display_name: Paged API (test upstream)
            categories: [dev-tools]
            auth_mode: API_KEY
            proxy:
                base_url: {{baseUrl}}
                headers:
                    authorization: Bearer ${apiKey}
        """;

    /// <summary>Polls <c>GET /sync/status</c> until the sync has finished a run after <paramref name="after"/> (its previous <c>finishedAt</c>).</summary>
    public static async Task<JsonNode> WaitForRunAsync(HttpClient client, string integration, string sync, string connectionId, string? after, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ct = TestContext.Current.CancellationToken;
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? status = null;
        while (DateTime.UtcNow < deadline)
        {
            var body = await client.GetFromJsonAsync<JsonObject>($"/sync/status?provider_config_key={integration}&syncs={sync}&connection_id={connectionId}", ct);
            status = body?["syncs"]?[0];
            var finishedAt = (string?)status?["finishedAt"];
            if (status is not null && (string?)status["status"] != "RUNNING" && finishedAt is not null && finishedAt != after)
            {
                return status;
            }
            await Task.Delay(200, ct);
        }
        throw new TimeoutException($"The sync did not finish a run in time; last status: {status?.ToJsonString()}");
    }

    /// <summary>
    /// Every record of model <c>Item</c> of connection <c>c1</c> of integration <c>paged</c> after <paramref name="cursor"/>
    /// (all when null), read through <c>GET /records</c> in pages of 1,000 in change order, and the cursor of the last one.
    /// </summary>
    public static async Task<(List<JsonNode> Records, string? Cursor)> ItemsAfterAsync(HttpClient client, string? cursor)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ct = TestContext.Current.CancellationToken;
        var records = new List<JsonNode>();
        while (true)
        {
            using var read = new HttpRequestMessage(HttpMethod.Get, "/records?model=Item&limit=1000" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            read.Headers.Add("Connection-Id", "c1");
            read.Headers.Add("Provider-Config-Key", "paged");
            var page = await (await client.SendAsync(read, ct)).Content.ReadFromJsonAsync<JsonObject>(ct);
            records.AddRange(page!["records"]!.AsArray().Select(r => r!.DeepClone()));
            if (records.Count > 0)
            {
                cursor = (string?)records[^1]["_nango_metadata"]!["cursor"];
            }
            if ((string?)page["next_cursor"] is null)
            {
                return (records, cursor);
            }
        }
    }
}
