using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// A sync run that reaches <c>Nango:Syncs:MaxRunDuration</c> is stopped; what it saved stays and the next run resumes
/// from its last checkpoint instead of starting over (Nango users' complaint about large initial syncs).
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncRunLimitTests : IAsyncLifetime
{
    private static readonly string[] PagesSync = ["pages"];
    private readonly ConcurrentQueue<int> _pagesRequested = new();
    private readonly TaskCompletionSource _pageThreeReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _upstream = null!;
    private LimitFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _upstream = builder.Build();
        _upstream.MapGet("/items", async (int page) =>
        {
            _pagesRequested.Enqueue(page);
            if (page == 3)
            {
                await _pageThreeReleased.Task;
            }
            return Results.Json(Enumerable.Range(page * 10, 10).Select(i => new { id = $"item-{i}", page }));
        });
        await _upstream.StartAsync(Ct);
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-sync-limits-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_catalog, PagedSync.CatalogYaml(_upstream.Urls.First()), Ct);
        _web = new LimitFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _pageThreeReleased.TrySetResult();
        await _web.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task A_run_stopped_at_its_time_limit_keeps_its_records_and_the_next_run_resumes_from_the_checkpoint()
    {
        var client = _web.CreateApiClient();
        var integration = await client.PostAsJsonAsync("/integrations", new { provider = "paged-api", unique_key = "paged" }, Ct);
        Assert.True(integration.IsSuccessStatusCode, await integration.Content.ReadAsStringAsync(Ct));
        var connection = await client.PostAsJsonAsync("/connections", new { provider_config_key = "paged", connection_id = "c1", credentials = new { type = "API_KEY", apiKey = "k" } }, Ct);
        Assert.True(connection.IsSuccessStatusCode, await connection.Content.ReadAsStringAsync(Ct));
        var deploy = await client.DeployAsync(DeployBodies.Body([DeployBodies.Sync("pages", integration: "paged", js: PagedSync.Script)]));
        Assert.Equal(HttpStatusCode.OK, deploy.StatusCode);

        var first = await PagedSync.WaitForRunAsync(client, "paged", "pages", "c1", after: null, TimeSpan.FromSeconds(90));
        Assert.Equal("ERROR", (string?)first["status"]);
        Assert.Equal(20, await CountRecordsAsync(client));
        _pageThreeReleased.SetResult();

        var trigger = await client.PostAsJsonAsync("/sync/trigger", new { provider_config_key = "paged", connection_id = "c1", syncs = PagesSync }, Ct);
        Assert.Equal(HttpStatusCode.OK, trigger.StatusCode);
        var second = await PagedSync.WaitForRunAsync(client, "paged", "pages", "c1", after: (string?)first["finishedAt"], TimeSpan.FromSeconds(90));

        Assert.Equal("SUCCESS", (string?)second["status"]);
        var pages = _pagesRequested.ToArray();
        // The second run began where the first one's checkpoint was: at page 3, not page 1.
        Assert.Equal([1, 2, 3, 3, 4, 5, 6], pages);
        Assert.Equal(60, await CountRecordsAsync(client));
    }

    private static async Task<int> CountRecordsAsync(HttpClient client)
    {
        using var read = new HttpRequestMessage(HttpMethod.Get, "/records?model=Item&limit=100");
        read.Headers.Add("Connection-Id", "c1");
        read.Headers.Add("Provider-Config-Key", "paged");
        var records = await (await client.SendAsync(read, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        return records!["records"]!.AsArray().Count;
    }


    private sealed class LimitFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog),
            KeyValuePair.Create("Nango:Syncs:MaxRunDuration", (string?)"00:00:08"),
        ];
    }
}
