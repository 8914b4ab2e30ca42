using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Logs;
using Nango.Core.Syncs.Runs;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// A sync that stays alive (its runner keeps beating) but saves no records and no checkpoint for
/// <c>Nango:Syncs:StallAfter</c> is flagged stalled — on its run (what the dashboard's Syncs tab shows) and in its log —
/// while a sync saving a chunk every moment beside it is not. Nango cannot tell a stuck sync from a slow one.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncStallTests : IAsyncLifetime
{
    /// <summary>
    /// Far above the gap between two chunks of the busy sync, even on a loaded 2-core machine where one of its loops
    /// took two seconds: only the sync that saves nothing may reach it.
    /// </summary>
    private static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(15);

    /// <summary>Polls the provider until it says done, and never saves anything meanwhile.</summary>
    private const string IdleScript = """
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            while (!(await nango.get({ endpoint: '/wait' })).data.done) {
            }
        } } };
        """;

    /// <summary>Saves one record per provider call, until the provider says done.</summary>
    private const string BusyScript = """
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            for (let n = 0; ; n++) {
                const response = await nango.get({ endpoint: '/tick', params: { n: String(n) } });
                await nango.batchSave([{ id: 'tick-' + n }], 'Tick');
                if (response.data.done) {
                    return;
                }
            }
        } } };
        """;

    private volatile bool _released;
    private WebApplication _upstream = null!;
    private StallFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _upstream = builder.Build();
        // A slow provider: each answer takes a moment, so both syncs stay busy awaiting it until the test releases them.
        _upstream.MapGet("/wait", async () =>
        {
            await Task.Delay(100);
            return Results.Json(new { done = _released });
        });
        _upstream.MapGet("/tick", async () =>
        {
            await Task.Delay(100);
            return Results.Json(new { done = _released });
        });
        await _upstream.StartAsync(Ct);
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-sync-stall-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_catalog, PagedSync.CatalogYaml(_upstream.Urls.First()), Ct);
        _web = new StallFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _released = true;
        await _web.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task A_live_run_without_progress_is_flagged_stalled_and_a_run_saving_chunks_is_not()
    {
        var client = _web.CreateApiClient();
        var integration = await client.PostAsJsonAsync("/integrations", new { provider = "paged-api", unique_key = "paged" }, Ct);
        Assert.True(integration.IsSuccessStatusCode, await integration.Content.ReadAsStringAsync(Ct));
        var connection = await client.PostAsJsonAsync("/connections", new { provider_config_key = "paged", connection_id = "c1", credentials = new { type = "API_KEY", apiKey = "k" } }, Ct);
        Assert.True(connection.IsSuccessStatusCode, await connection.Content.ReadAsStringAsync(Ct));
        var deploy = await client.DeployAsync(DeployBodies.Body([
            DeployBodies.Sync("idle", integration: "paged", model: "Item", js: IdleScript),
            DeployBodies.Sync("busy", integration: "paged", model: "Tick", js: BusyScript),
        ]));
        Assert.Equal(HttpStatusCode.OK, deploy.StatusCode);
        var connectionKey = await ConnectionKeyAsync("c1");
        var runs = _web.Services.GetRequiredService<SyncRunService>();

        // Both auto-started. Wait for the idle one to be flagged, and for the busy one to have run well past StallAfter (so
        // it had every chance to be flagged too).
        SyncRunProgress? idle = null;
        SyncRunProgress? busy = null;
        var deadline = DateTime.UtcNow.AddSeconds(150);
        while (idle?.StalledAt is null || busy is null || DateTimeOffset.UtcNow - busy.StartedAt < StallAfter + TimeSpan.FromSeconds(10))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out; idle: {idle}, busy: {busy}");
            await Task.Delay(250, Ct);
            var running = await runs.GetRunningProgressAsync(connectionKey, Ct);
            idle = running.SingleOrDefault(r => r.SyncName == "idle") ?? idle;
            busy = running.SingleOrDefault(r => r.SyncName == "busy") ?? busy;
        }

        Assert.True(busy.StalledAt is null, busy.ToString() + " " + busy.Models.ToJsonString());
        Assert.True((int)busy.Models["Tick"]!["added"]! > 0, busy.Models.ToJsonString());
        Assert.Equal(0, (int)idle.Models["Item"]!["added"]!);
        Assert.True(idle.StalledAt >= idle.StartedAt + StallAfter, $"{idle.StalledAt} vs {idle.StartedAt}");
        // The run's log says so, in words a person reading Logs understands.
        var warning = await WarningAsync(idle.LogOperationId!.Value);
        Assert.Contains("saved no checkpoint for 15 seconds", warning, StringComparison.Ordinal);

        _released = true;
        var idleEnded = await PagedSync.WaitForRunAsync(client, "paged", "idle", "c1", after: null, TimeSpan.FromSeconds(90));
        var busyEnded = await PagedSync.WaitForRunAsync(client, "paged", "busy", "c1", after: null, TimeSpan.FromSeconds(90));
        Assert.True((string?)idleEnded["status"] == "SUCCESS" && (string?)busyEnded["status"] == "SUCCESS", $"{idleEnded.ToJsonString()}\n{busyEnded.ToJsonString()}\n{await TaskErrorsAsync()}");
        // The flag stays on the ended run; the busy run never got one.
        Assert.NotNull(await StalledAtAsync(idle.TaskId));
        Assert.Null(await StalledAtAsync(busy.TaskId));
    }

    private async Task<int> ConnectionKeyAsync(string connectionId)
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT id FROM connections WHERE connection_id = @c", db);
        read.Parameters.AddWithValue("c", connectionId);
        return (int)(await read.ExecuteScalarAsync(Ct))!;
    }

    private async Task<string?> TaskErrorsAsync()
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT string_agg(function_name || ' ' || state || ' ' || coalesce(error::text, ''), '; ') FROM function_tasks", db);
        return await read.ExecuteScalarAsync(Ct) as string;
    }

    private async Task<DateTime?> StalledAtAsync(Guid taskId)
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var read = new NpgsqlCommand("SELECT stalled_at FROM sync_runs WHERE task_id = @t", db);
        read.Parameters.AddWithValue("t", taskId);
        return await read.ExecuteScalarAsync(Ct) as DateTime?;
    }

    /// <summary>The run operation's warning (log messages are written in the background: polled).</summary>
    private async Task<string> WarningAsync(Guid operationId)
    {
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        var query = _web.Services.GetRequiredService<LogQueryService>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var warnings = await query.SearchMessagesAsync(env, new LogMessageSearch { OperationId = operationId, Levels = [MessageLevels.Warn] }, Ct);
            if (warnings.Items.Count > 0)
            {
                return warnings.Items[0].Message;
            }
            Assert.True(DateTime.UtcNow < deadline, "The stalled run's log has no warning.");
            await Task.Delay(200, Ct);
        }
    }

    private sealed class StallFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog),
            KeyValuePair.Create("Nango:Syncs:StallAfter", (string?)StallAfter.ToString("c", System.Globalization.CultureInfo.InvariantCulture)),
        ];
    }
}
