using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace Nango.Bench;

/// <summary>
/// The runner → store path of scenario <c>records</c>: syncs deployed through <c>POST /sync/deploy</c> (the body the
/// nango CLI sends) whose bundle builds the bench's records inside the script (<see cref="RecordsDataset"/>, the same
/// generator in JavaScript, so no upstream HTTP is measured) and saves them with <c>nango.batchSave</c> in chunks of
/// 1,000, each acknowledged by the store before the next is built. Deployed with <c>auto_start: false</c>: the schedules
/// stay paused, so the only runs are the ones <see cref="RunAsync"/> triggers.
/// </summary>
internal static class RecordsThroughRunner
{
    public const string ConnectionName = "bench-runner-connection";

    /// <summary>Saves the whole dataset: the timed first run and unchanged re-run.</summary>
    public const string SaveSync = "benchRecords";

    /// <summary>Saves a few chunks under another model before anything is timed: starts the runner process and warms
    /// both sides of the records path (JIT, connection pools, the engine's compiled bundle). Every run saves records
    /// under new ids and then saves them again unchanged, so the warm-up runs take both the first-run and the re-run path
    /// of the store as often (a path first taken in a timed run would be compiled, tier by tier, inside it).</summary>
    public const string WarmupSync = "benchWarmup";

    /// <summary>Builds the whole dataset and saves nothing: what the script itself costs inside a run.</summary>
    public const string ScriptOnlySync = "benchScriptOnly";

    public const string WarmupModel = "BenchWarmup";
    public const int WarmupRecords = 20_000;

    /// <summary>
    /// Warm-up runs before anything is timed: enough record chunks for the JIT to tier the records path up. A method
    /// called once per chunk is recompiled at tier 1 after 30 calls; 3 runs of 20 chunks on each path of the store
    /// pass that with room (3 runs of 10 met it exactly).
    /// </summary>
    public const int WarmupRuns = 3;

    private const string CliUserAgent = "nango-cli/0.71.10 (linux/6.1.0; node.js/20.20.2)";

    public static async Task DeployAsync(HttpClient client, string integrationKey, string model, int count)
    {
        var flows = new JsonArray(
            Flow(WarmupSync, integrationKey, WarmupModel, Script(WarmupRecords, WarmupModel, ScriptSaves.NewThenUnchanged)),
            Flow(ScriptOnlySync, integrationKey, model, Script(count, model, ScriptSaves.Nothing)),
            Flow(SaveSync, integrationKey, model, Script(count, model, ScriptSaves.Once)));
        var body = new JsonObject
        {
            ["flowConfigs"] = flows,
            ["onEventScriptsByProvider"] = new JsonArray(),
            ["deployMode"] = "all",
            ["reconcile"] = true,
            ["debug"] = false,
            ["sdkVersion"] = "0.71.10-zero",
            ["nangoYamlBody"] = "",
            ["source"] = "repo",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sync/deploy")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("User-Agent", CliUserAgent);
        using var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /sync/deploy: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>
    /// Triggers one run of <paramref name="sync"/> on the runner connection and waits until the run is closed
    /// (<c>sync_runs.ended_at</c>, set after the task's end is stored). Times come from the database's clock:
    /// trigger = the task's <c>created_at</c> (written by <c>POST /sync/trigger</c>), started = the run's
    /// <c>started_at</c> (the runner took it), end = the run's <c>ended_at</c>; polling adds nothing to them.
    /// </summary>
    public static async Task<SyncRunTiming> RunAsync(HttpClient client, NpgsqlDataSource dataSource, BenchProcess web, string integrationKey, string sync, TimeSpan timeout)
    {
        var webCpuBefore = web.CpuTime;
        var runnerCpuBefore = ProcessCpu.Children(web.Id);
        var postgresCpuBefore = ProcessCpu.Postgres();
        var checkpointsBefore = await CheckpointsAsync(dataSource);
        var autovacuumSeen = false;
        using (var trigger = await client.PostAsJsonAsync("/sync/trigger", new { provider_config_key = integrationKey, connection_id = ConnectionName, syncs = new[] { sync } }))
        {
            if (trigger.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"POST /sync/trigger {sync}: {(int)trigger.StatusCode} {await trigger.Content.ReadAsStringAsync()}");
            }
        }
        var watch = Stopwatch.StartNew();
        while (true)
        {
            await using var command = dataSource.CreateCommand("""
                SELECT t.state, t.created_at, r.started_at, r.ended_at, r.models::text, t.error::text
                FROM function_tasks t
                JOIN connections c ON c.id = t.connection_id AND c.connection_id = @connection
                LEFT JOIN sync_runs r ON r.task_id = t.id
                WHERE t.kind = 'sync' AND t.function_name = @sync
                ORDER BY t.created_at DESC LIMIT 1
                """);
            command.Parameters.AddWithValue("connection", ConnectionName);
            command.Parameters.AddWithValue("sync", sync);
            await using (var reader = await command.ExecuteReaderAsync())
            {
                if (await reader.ReadAsync() && !reader.IsDBNull(3))
                {
                    var state = reader.GetString(0);
                    if (state != "SUCCEEDED")
                    {
                        throw new InvalidOperationException($"The {sync} run ended {state}: {(reader.IsDBNull(5) ? "" : reader.GetString(5))}\n{web.Tail}");
                    }
                    var created = reader.GetFieldValue<DateTimeOffset>(1);
                    var started = reader.GetFieldValue<DateTimeOffset>(2);
                    var ended = reader.GetFieldValue<DateTimeOffset>(3);
                    return new SyncRunTiming((ended - created).TotalSeconds, (ended - started).TotalSeconds,
                        JsonNode.Parse(reader.GetString(4)) as JsonObject ?? [], web.CpuTime - webCpuBefore, ProcessCpu.Children(web.Id) - runnerCpuBefore,
                        ProcessCpu.Postgres() - postgresCpuBefore,
                        new BackgroundWork(await CheckpointsAsync(dataSource) - checkpointsBefore, autovacuumSeen));
                }
            }
            autovacuumSeen |= await AutovacuumActiveAsync(dataSource);
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"The {sync} run did not end within {timeout.TotalMinutes:0} minutes.\n{web.Tail}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Checkpoints the server has reported (timed and requested; a checkpoint is counted once the checkpointer reports
    /// it): one during a timed run shares the machine with it. Postgres 17 moved the counters to pg_stat_checkpointer.
    /// </summary>
    private static async Task<long> CheckpointsAsync(NpgsqlDataSource dataSource)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter");
            return (long)(await command.ExecuteScalarAsync() ?? 0L);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedColumn)
        {
            await using var command = dataSource.CreateCommand("SELECT num_timed + num_requested FROM pg_stat_checkpointer");
            return (long)(await command.ExecuteScalarAsync() ?? 0L);
        }
    }

    /// <summary>Whether an autovacuum worker is at work in the bench's database right now (polled during a run, and before one by the bench's settling).</summary>
    internal static async Task<bool> AutovacuumActiveAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = current_database()");
        return (long)(await command.ExecuteScalarAsync() ?? 0L) > 0;
    }

    /// <summary>The status the public API reports for the sync on the runner connection (<c>GET /sync/status</c>).</summary>
    public static async Task<JsonObject> StatusAsync(HttpClient client, string integrationKey, string sync)
    {
        var body = await client.GetFromJsonAsync<JsonObject>($"/sync/status?provider_config_key={integrationKey}&syncs={sync}&connection_id={ConnectionName}");
        return body?["syncs"]?[0] as JsonObject ?? throw new InvalidOperationException($"GET /sync/status returned no status for {sync}.");
    }

    private static JsonObject Flow(string name, string integrationKey, string model, string js) => new()
    {
        ["syncName"] = name,
        ["providerConfigKey"] = integrationKey,
        ["models"] = new JsonArray(model),
        ["version"] = "1.0.0",
        ["runs"] = "every day",
        ["track_deletes"] = false,
        ["auto_start"] = false,
        ["attributes"] = new JsonObject(),
        ["metadata"] = new JsonObject { ["description"] = $"Bench sync {name}", ["scopes"] = new JsonArray() },
        ["sync_type"] = "full",
        ["type"] = "sync",
        ["fileBody"] = new JsonObject { ["js"] = js, ["ts"] = $"// {name}.ts (bench: generated records)\n" },
        ["endpoints"] = new JsonArray(new JsonObject { ["method"] = "GET", ["path"] = $"/{name}" }),
        ["webhookSubscriptions"] = new JsonArray(),
        ["models_json_schema"] = new JsonObject { ["definitions"] = new JsonObject { [model] = new JsonObject { ["type"] = "object" } } },
        ["features"] = new JsonArray(),
    };

    /// <summary>
    /// The CommonJS bundle: <see cref="RecordsDataset"/>'s generator, step for step, so the runner saves the very
    /// records the in-process rows and the raw COPY write. The generator starts over in every run (state inside
    /// <c>exec</c>): a runner that keeps the compiled bundle must still produce the same records on a re-run.
    /// </summary>
    private static string Script(int count, string model, ScriptSaves saves) => $$"""
        'use strict';
        const ID_PREFIX = {{(saves == ScriptSaves.NewThenUnchanged ? "'warm-' + Date.now() + '-'" : "'rec-'")}};
        const WORDS = '{{RecordsDataset.Words}}'.split(' ');
        async function build(count, onChunk) {
            let state = {{RecordsDataset.Seed}};
            function next() {
                state = (Math.imul(state, {{RecordsDataset.Multiplier}}) + {{RecordsDataset.Increment}}) >>> 0;
                return state >>> 16;
            }
            const bodies = [];
            for (let b = 0; b < {{RecordsDataset.Bodies}}; b++) {
                const words = [];
                for (let w = 0; w < {{RecordsDataset.WordsPerBody}}; w++) {
                    words.push(WORDS[next() % WORDS.length]);
                }
                bodies.push(words.join(' '));
            }
            const start = Date.UTC(2024, 0, 1);
            for (let offset = 0; offset < count; offset += {{RecordsDataset.Chunk}}) {
                const chunk = [];
                const end = Math.min(offset + {{RecordsDataset.Chunk}}, count);
                for (let i = offset; i < end; i++) {
                    chunk.push({
                        id: ID_PREFIX + String(i).padStart(6, '0'),
                        number: i,
                        title: 'Issue ' + i + ': ' + WORDS[i % WORDS.length] + ' ' + WORDS[Math.floor(i / 7) % WORDS.length],
                        state: i % 3 === 0 ? 'closed' : 'open',
                        body: bodies[next() % bodies.length],
                        labels: [WORDS[i % 5], WORDS[(i + 3) % 11]],
                        author: { login: 'user-' + (i % 977), id: i % 977 },
                        created_at: new Date(start + i * 60000).toISOString()
                    });
                }
                await onChunk(chunk);
            }
        }
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            await build({{count}}, async (chunk) => {
                {{saves switch
                {
                    ScriptSaves.Nothing => "// saves nothing: the script's own cost",
                    ScriptSaves.Once => $"await nango.batchSave(chunk, '{model}');",
                    _ => $"await nango.batchSave(chunk, '{model}'); await nango.batchSave(chunk, '{model}');",
                }}}
            });
        } } };
        """;

    private enum ScriptSaves
    {
        /// <summary>Builds the records and saves none.</summary>
        Nothing,

        /// <summary>Saves each chunk once under the dataset's ids.</summary>
        Once,

        /// <summary>Saves each chunk under ids new to this run, then again unchanged.</summary>
        NewThenUnchanged,
    }
}

/// <summary>Postgres's own background work seen while a run went on: it takes CPU the run's figures then include.</summary>
internal sealed record BackgroundWork(long Checkpoints, bool Autovacuum)
{
    public override string ToString() =>
        $"meanwhile {Checkpoints} checkpoint(s) reported, autovacuum {(Autovacuum ? "seen" : "not seen")}";
}

/// <summary>One triggered sync run: its times (database clock), its per-model result, the CPU each process used, and Postgres's background work meanwhile.</summary>
internal sealed record SyncRunTiming(double TriggerToEndSeconds, double StartedToEndSeconds, JsonObject Models, TimeSpan WebCpu, TimeSpan RunnerCpu, TimeSpan PostgresCpu,
    BackgroundWork Background)
{
    /// <summary>The CPU the run's three processes used together, spread over every core: no schedule of the same work
    /// on this machine ends sooner.</summary>
    public double CpuFloorSeconds => (WebCpu + RunnerCpu + PostgresCpu).TotalSeconds / System.Environment.ProcessorCount;

    public JsonObject CpuJson() => new()
    {
        ["web"] = BenchSupport.Round(WebCpu.TotalSeconds),
        ["runner"] = BenchSupport.Round(RunnerCpu.TotalSeconds),
        ["postgres"] = BenchSupport.Round(PostgresCpu.TotalSeconds),
        ["floorSeconds"] = BenchSupport.Round(CpuFloorSeconds),
        ["checkpointsMeanwhile"] = Background.Checkpoints,
        ["autovacuumMeanwhile"] = Background.Autovacuum,
    };

    public string DescribeCpu() =>
        $"CPU: Nango.Web {WebCpu.TotalSeconds:0.0} s, runner {RunnerCpu.TotalSeconds:0.0} s, Postgres {PostgresCpu.TotalSeconds:0.0} s " +
        $"(spread over {System.Environment.ProcessorCount} cores at least {CpuFloorSeconds:0.00} s); {Background}";

    public int Count(string model, string key) => (int?)Models[model]?[key] ?? 0;

    public string Describe(string model) =>
        $"started → end {StartedToEndSeconds:0.000} s; added {Count(model, "added"):N0}, updated {Count(model, "updated"):N0}, unchanged {Count(model, "unchanged"):N0}, deleted {Count(model, "deleted"):N0}";

}
