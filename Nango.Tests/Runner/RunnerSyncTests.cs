using System.Text.Json.Nodes;
using Nango.Runner.Protocol;

namespace Nango.Tests.Runner;

/// <summary>
/// A sync's record calls as the runner makes them: chunks of 1,000, each acknowledged before the next is sent, the last
/// one stored while the script goes on; nothing that depends on the records overtakes a chunk in flight.
/// </summary>
public sealed class RunnerSyncTests(RunnerHostFixture fixture) : IClassFixture<RunnerHostFixture>
{
    private const int Account = 1;
    private RunnerTestHost Host => fixture.Host;

    private static string Sync(string exec) => $$"""
        module.exports = { default: { type: "sync", description: "test", version: "1.0.0", frequency: "every hour", models: {}, exec: {{exec}} } };
        """;

    private static RunnerTaskRequest SyncTask(string code, RunnerSync? sync = null) =>
        RunnerTestHost.Task(code, kind: RunnerTaskKinds.Sync) with { Sync = sync ?? new RunnerSync() };

    [Fact]
    public async Task BatchSave_sends_chunks_of_a_thousand_without_nango_metadata()
    {
        var request = SyncTask(Sync("""
            async (nango) => {
                const records = [];
                for (let i = 0; i < 2500; i++) {
                    records.push({ id: i, title: 'Record ' + i, _nango_metadata: { cursor: 'x' } });
                }
                const saved = await nango.batchSave(records, 'ChunkedTicket');
                return saved;
            }
            """));

        var result = await Host.RunAsync(Account, request);

        Assert.True(result.Success, result.Error?.Message);
        var chunks = Host.Api.CallsOf(request.TaskId).Where(c => c.Operation == "records").ToList();
        Assert.Equal([1000, 1000, 500], chunks.Select(c => c.Body!["records"]!.AsArray().Count));
        // A model no other test of the shared stand-in writes, so the count below is this run's alone.
        Assert.All(chunks, c => Assert.Equal("ChunkedTicket", c.Body!["model"]!.GetValue<string>()));
        Assert.All(chunks, c => Assert.Equal(RunnerRecordActions.Save, c.Body!["action"]!.GetValue<string>()));
        Assert.Equal("0", chunks[0].Body!["records"]![0]!["id"]!.ToString());
        Assert.All(chunks.SelectMany(c => c.Body!["records"]!.AsArray()), r => Assert.False(r!.AsObject().ContainsKey("_nango_metadata")));
        Assert.Equal(2500, Host.Api.Records["ChunkedTicket"].Count);
    }

    [Fact]
    public async Task A_rerun_whose_records_come_back_unchanged_sends_their_keys_and_only_the_changed_records()
    {
        static string Script(string changed) => Sync($$"""
            async (nango) => {
                const records = [];
                for (let i = 0; i < 3000; i++) {
                    records.push({ id: 'k' + i, title: 'Record ' + i, rev: {{changed}}.includes(i) ? 2 : 1 });
                }
                await nango.batchSave(records, 'KeyedTicket');
            }
            """);
        var first = SyncTask(Script("[]"));
        Assert.True((await Host.RunAsync(Account, first)).Success);

        var again = SyncTask(Script("[1500, 2999]"));
        var result = await Host.RunAsync(Account, again);

        Assert.True(result.Success, result.Error?.Message);
        var calls = Host.Api.CallsOf(again.TaskId).Where(c => c.Operation == "records")
            .Select(c => (Action: c.Body!["action"]!.GetValue<string>(), Records: c.Body["records"]!.AsArray())).ToList();
        // The first chunk goes whole and comes back unchanged; from then on each chunk goes by its keys (id, hash of the
        // record's JSON, size), and only the one record of it that changed follows in full.
        Assert.Equal([(RunnerRecordActions.Save, 1000), (RunnerRecordActions.SaveKeys, 1000), (RunnerRecordActions.Save, 1), (RunnerRecordActions.SaveKeys, 1000), (RunnerRecordActions.Save, 1)],
            calls.Select(c => (c.Action, c.Records.Count)));
        Assert.Equal(("k1000", 24, 44), (calls[1].Records[0]!["id"]!.GetValue<string>(), calls[1].Records[0]!["hash"]!.GetValue<string>().Length, calls[1].Records[0]!["size"]!.GetValue<int>()));
        Assert.Equal(["k1500", "k2999"], [calls[2].Records[0]!["id"]!.GetValue<string>(), calls[4].Records[0]!["id"]!.GetValue<string>()]);
        Assert.Equal(2, Host.Api.Records["KeyedTicket"]["k1500"]["rev"]!.GetValue<int>());
        Assert.Equal(1, Host.Api.Records["KeyedTicket"]["k1501"]["rev"]!.GetValue<int>());
        Assert.Equal(3000, Host.Api.Records["KeyedTicket"].Count);
    }

    [Fact]
    public async Task A_chunk_whose_keys_are_refused_as_a_call_goes_whole()
    {
        var script = Sync("""
            async (nango) => {
                const records = [];
                for (let i = 0; i < 2000; i++) {
                    records.push({ id: 'r' + i, title: 'Record ' + i });
                }
                await nango.batchSave(records, 'RefusedKeysTicket');
            }
            """);
        Assert.True((await Host.RunAsync(Account, SyncTask(script))).Success);
        var again = SyncTask(script);
        // A Nango.Web that does not take keys (or refuses the call for its model) answers 400 to the call itself.
        Host.Api.RecordsGate = (taskId, body) => Task.FromResult<RunnerError?>(
            taskId == again.TaskId && body["action"]!.GetValue<string>() == RunnerRecordActions.SaveKeys
                ? new RunnerError { Type = "invalid_records_action", Message = "Unknown records action 'saveKeys'." }
                : null);
        try
        {
            var result = await Host.RunAsync(Account, again);

            Assert.True(result.Success, result.Error?.Message);
            Assert.Equal([(RunnerRecordActions.Save, 1000), (RunnerRecordActions.SaveKeys, 1000), (RunnerRecordActions.Save, 1000)],
                Host.Api.CallsOf(again.TaskId).Where(c => c.Operation == "records")
                    .Select(c => (c.Body!["action"]!.GetValue<string>(), c.Body["records"]!.AsArray().Count)));
        }
        finally
        {
            Host.Api.RecordsGate = (_, _) => Task.FromResult<RunnerError?>(null);
        }
    }

    [Fact]
    public async Task Sync_reads_back_by_ids_and_by_cursor_and_learns_its_run()
    {
        var request = SyncTask(Sync("""
            async (nango) => {
                await nango.setMergingStrategy({ strategy: 'ignore_if_modified_after' }, 'Contact');
                await nango.batchSave([{ id: 1, name: 'a' }, { id: 'two', name: 'b' }, { id: 3, name: 'c' }], 'Contact');
                await nango.batchUpdate([{ id: 1, name: 'a2' }], 'Contact');
                await nango.batchDelete([{ id: 3 }], 'Contact');
                const byId = await nango.getRecordsByIds([1, 'two', 99], 'Contact');
                const listed = [];
                for await (const record of nango.listRecords('Contact')) {
                    listed.push(record.id);
                }
                await nango.trackDeletesStart('Contact');
                const ended = await nango.trackDeletesEnd('Contact');
                let refused = null;
                try { await nango.batchSave([{ id: 1 }]); } catch (e) { refused = e.message; }
                await nango.log('checked');
                nango.__result = {
                    found: Array.from(byId.keys()), name1: byId.get(1).name, listed, deletedKeys: ended.deletedKeys, refused,
                    variant: nango.variant, lastSyncDate: nango.lastSyncDate.toISOString(),
                };
                await nango.saveCheckpoint({ result: JSON.stringify(nango.__result) });
            }
            """), new RunnerSync { Variant = "eu", LastSyncDate = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), SyncMode = "incremental" });
        Host.Api.DeletedKeys = ["gone-1"];

        var result = await Host.RunAsync(Account, request);

        Assert.True(result.Success, result.Error?.Message);
        var calls = Host.Api.CallsOf(request.TaskId).ToList();
        Assert.Equal("ignore_if_modified_after", calls.First(c => c.Operation == "records").Body!["mergingStrategy"]!.GetValue<string>());
        Assert.Equal([RunnerRecordActions.Save, RunnerRecordActions.Update, RunnerRecordActions.Delete],
            calls.Where(c => c.Operation == "records").Select(c => c.Body!["action"]!.GetValue<string>()));
        var saved = JsonNode.Parse(calls.Last(c => c.Operation == "checkpoint").Body!["checkpoint"]!["result"]!.GetValue<string>())!;
        Assert.Equal("[1,\"two\"]", saved["found"]!.ToJsonString());
        Assert.Equal("a2", saved["name1"]!.GetValue<string>());
        // Two pages of the stand-in (2 records each, the deleted one gone), ids as stored.
        Assert.Equal("[1,\"two\"]", saved["listed"]!.ToJsonString());
        Assert.Equal("[\"gone-1\"]", saved["deletedKeys"]!.ToJsonString());
        Assert.Contains("needs the model name", saved["refused"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("eu", saved["variant"]!.GetValue<string>());
        Assert.Equal("2026-01-02T03:04:05.000Z", saved["lastSyncDate"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_chunk_in_flight_lets_the_script_go_on_to_its_next_provider_call()
    {
        var proxied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = SyncTask(Sync("""
            async (nango) => {
                await nango.batchSave([{ id: 'a' }], 'Ticket');
                await nango.proxy({ endpoint: '/next-page' });
            }
            """));
        Host.Api.Proxy = r =>
        {
            proxied.TrySetResult();
            return InternalApiStandIn.Echo(r);
        };
        // The chunk is stored only once the script asked for its next page: a runner that waited for the chunk would
        // never get there, and the chunk would be refused.
        Host.Api.RecordsGate = async (taskId, _) =>
            taskId == request.TaskId && await Task.WhenAny(proxied.Task, Task.Delay(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken)) != proxied.Task
                ? new RunnerError { Type = "not_pipelined", Message = "The script waited for its chunk to be stored." }
                : null;
        try
        {
            var result = await Host.RunAsync(Account, request);

            Assert.True(result.Success, result.Error?.Message);
            // The chunk's request and the proxy's travel on two connections: which one the internal API reads first is
            // the network's to decide. What the runtime promises is that the proxy call went out before the chunk was stored.
            var events = EventsOf(request.TaskId);
            Assert.Equal(["proxy POST", "records POST", "records stored", "result PUT"], events.Order(StringComparer.Ordinal));
            Assert.True(events.IndexOf("proxy POST") < events.IndexOf("records stored"), string.Join(", ", events));
            Assert.Equal("result PUT", events[^1]);
        }
        finally
        {
            Host.Api.Proxy = InternalApiStandIn.Echo;
            Host.Api.RecordsGate = (_, _) => Task.FromResult<RunnerError?>(null);
        }
    }

    [Fact]
    public async Task A_checkpoint_and_the_end_of_the_run_wait_until_the_chunk_before_them_is_stored()
    {
        var request = SyncTask(Sync("""
            async (nango) => {
                await nango.batchSave([{ id: 'a' }], 'CheckpointedTicket');
                await nango.saveCheckpoint({ page: 2 });
                await nango.batchSave([{ id: 'b' }], 'CheckpointedTicket');
            }
            """));
        // A model of its own: records other tests of the shared stand-in saved would come back unchanged, and the second
        // chunk would go by its keys (two calls).
        Host.Api.RecordsGate = async (_, _) =>
        {
            await Task.Delay(300, TestContext.Current.CancellationToken);
            return null;
        };
        try
        {
            var result = await Host.RunAsync(Account, request);

            Assert.True(result.Success, result.Error?.Message);
            Assert.Equal(["records POST", "records stored", "checkpoint PUT", "records POST", "records stored", "result PUT"], EventsOf(request.TaskId));
        }
        finally
        {
            Host.Api.RecordsGate = (_, _) => Task.FromResult<RunnerError?>(null);
        }
    }

    [Fact]
    public async Task A_refused_chunk_fails_the_run_even_when_the_script_catches_the_error()
    {
        var request = SyncTask(Sync("""
            async (nango) => {
                const records = [];
                for (let i = 0; i < 2500; i++) {
                    records.push({ id: i });
                }
                try {
                    await nango.batchSave(records, 'Ticket');
                } catch (e) {
                    // A script that swallows the error still ends failed.
                }
            }
            """));
        Host.Api.RecordsGate = (taskId, body) => Task.FromResult<RunnerError?>(
            taskId == request.TaskId && body["records"]![0]!["id"]!.GetValue<int>() == 1000
                ? new RunnerError { Type = "invalid_sync_record", Message = "Record 3 has no id field.", Status = 400 }
                : null);
        try
        {
            var result = await Host.RunAsync(Account, request);

            Assert.False(result.Success);
            Assert.Equal("invalid_sync_record", result.Error!.Type);
            Assert.Contains("Record 3 has no id field.", result.Error.Message, StringComparison.Ordinal);
            // The chunk after the refused one was never sent.
            Assert.Equal(2, Host.Api.CallsOf(request.TaskId).Count(c => c.Operation == "records"));
        }
        finally
        {
            Host.Api.RecordsGate = (_, _) => Task.FromResult<RunnerError?>(null);
        }
    }

    private List<string> EventsOf(string taskId) =>
        Host.Api.Events.Where(e => e.TaskId == taskId && !e.Event.StartsWith("logs", StringComparison.Ordinal)).Select(e => e.Event).ToList();
}
