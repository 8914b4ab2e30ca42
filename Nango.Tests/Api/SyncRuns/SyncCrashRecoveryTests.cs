using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// Nango.Web killed in the middle of a sync (its runner dies with it): another instance expires the run when its
/// heartbeats stop, the next run resumes from the last checkpoint, and the record stream read page by page has no gap
/// and no duplicate.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncCrashRecoveryTests : IAsyncLifetime
{
    private static readonly string[] PagesSync = ["pages"];
    private readonly ConcurrentQueue<int> _pagesRequested = new();
    private readonly TaskCompletionSource _pageThreeReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _pageThreeRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));
    private WebApplication _upstream = null!;
    private string _catalog = null!;
    private CrashFactory _setup = null!;
    private RunningWebProcess? _doomed;
    private CrashFactory? _survivor;

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
                _pageThreeRequested.TrySetResult();
                await _pageThreeReleased.Task;
            }
            return Results.Json(Enumerable.Range(page * 10, 10).Select(i => new { id = $"item-{i}", page }));
        });
        await _upstream.StartAsync(Ct);
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-sync-crash-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_catalog, PagedSync.CatalogYaml(_upstream.Urls.First()), Ct);
        // Owns the database; runs nothing (no scheduler, no dispatcher), so the sync runs in the process that dies.
        _setup = new CrashFactory(_catalog, _dataPath, ("Nango:Functions:DispatchEnabled", "false"), ("Nango:Scheduling:Enabled", "false"));
        await _setup.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _pageThreeReleased.TrySetResult();
        if (_doomed is not null)
        {
            await _doomed.DisposeAsync();
        }
        if (_survivor is not null)
        {
            await _survivor.DisposeAsync();
        }
        await _setup.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(_catalog);
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }

    [Fact]
    public async Task A_sync_whose_instance_is_killed_expires_and_the_next_run_resumes_without_gaps_or_duplicates()
    {
        var setupClient = _setup.CreateApiClient();
        var integration = await setupClient.PostAsJsonAsync("/integrations", new { provider = "paged-api", unique_key = "paged" }, Ct);
        Assert.True(integration.IsSuccessStatusCode, await integration.Content.ReadAsStringAsync(Ct));
        var connection = await setupClient.PostAsJsonAsync("/connections", new { provider_config_key = "paged", connection_id = "c1", credentials = new { type = "API_KEY", apiKey = "k" } }, Ct);
        Assert.True(connection.IsSuccessStatusCode, await connection.Content.ReadAsStringAsync(Ct));

        var port = NangoWebFactory.FreeLoopbackPort();
        _doomed = WebProcess.Start(["--urls", $"http://127.0.0.1:{port}"], new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Nango"] = _setup.ConnectionString,
            ["Nango__EncryptionKey"] = _setup.EncryptionKey,
            ["Nango__DataPath"] = _dataPath,
            ["Nango__Proxy__AllowPrivateNetworks"] = "true",
            ["Nango__Catalog__ExtraFiles__0"] = _catalog,
            ["Nango__Syncs__HeartbeatTimeout"] = "00:00:20",
        });
        using var doomedClient = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        doomedClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _setup.SecretKey);
        await WaitUntilUpAsync(doomedClient);
        var deploy = await doomedClient.DeployAsync(DeployBodies.Body([DeployBodies.Sync("pages", integration: "paged", js: PagedSync.Script)]));
        Assert.Equal(HttpStatusCode.OK, deploy.StatusCode);

        // The first run saves pages 1 and 2 and their checkpoint, then waits on page 3 when its instance dies.
        try
        {
            await _pageThreeRequested.Task.WaitAsync(TimeSpan.FromSeconds(150), Ct);
        }
        catch (TimeoutException)
        {
            await using var db = new Npgsql.NpgsqlConnection(_setup.ConnectionString);
            await db.OpenAsync(Ct);
            await using var read = new Npgsql.NpgsqlCommand("SELECT string_agg(kind || ' ' || state || ' ' || coalesce(error::text, ''), '; ') FROM function_tasks", db);
            throw new TimeoutException($"The sync never reached page 3 (pages: {string.Join(",", _pagesRequested)}; tasks: {await read.ExecuteScalarAsync(Ct)}). The process said:\n{_doomed.Output[^Math.Min(_doomed.Output.Length, 3000)..]}");
        }
        await _doomed.KillAsync();

        _survivor = new CrashFactory(_catalog, _dataPath, ("Nango:Syncs:HeartbeatTimeout", "00:00:20"));
        _survivor.SharingDatabaseWith(_setup);
        await _survivor.InitializeAsync();
        var client = _survivor.CreateApiClient(_setup.SecretKey);
        var expired = await PagedSync.WaitForRunAsync(client, "paged", "pages", "c1", after: null, TimeSpan.FromSeconds(90));
        Assert.Equal("ERROR", (string?)expired["status"]);

        _pageThreeReleased.SetResult();
        var trigger = await client.PostAsJsonAsync("/sync/trigger", new { provider_config_key = "paged", connection_id = "c1", syncs = PagesSync }, Ct);
        Assert.Equal(HttpStatusCode.OK, trigger.StatusCode);
        var resumed = await PagedSync.WaitForRunAsync(client, "paged", "pages", "c1", after: (string?)expired["finishedAt"], TimeSpan.FromSeconds(90));
        Assert.Equal("SUCCESS", (string?)resumed["status"]);

        // Resumed at page 3 (the killed run's checkpoint), not page 1.
        Assert.Equal([1, 2, 3, 3, 4, 5, 6], _pagesRequested.ToArray());
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            using var read = new HttpRequestMessage(HttpMethod.Get, "/records?model=Item&limit=7" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            read.Headers.Add("Connection-Id", "c1");
            read.Headers.Add("Provider-Config-Key", "paged");
            var page = await (await client.SendAsync(read, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
            ids.AddRange(page!["records"]!.AsArray().Select(r => (string)r!["id"]!));
            cursor = (string?)page["next_cursor"];
        }
        while (cursor is not null);
        Assert.Equal(Enumerable.Range(10, 60).Select(i => $"item-{i}").Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
    }

    private static async Task WaitUntilUpAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await client.GetAsync("/health", Ct)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(200, Ct);
        }
    }


    private sealed class CrashFactory(string catalog, string dataPath, params (string Key, string Value)[] settings) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog),
            KeyValuePair.Create("Nango:DataPath", (string?)dataPath),
            .. settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)),
        ];
    }
}
