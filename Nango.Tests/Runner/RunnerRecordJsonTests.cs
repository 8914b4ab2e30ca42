using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Nango.Runner.Protocol;

namespace Nango.Tests.Runner;

/// <summary>
/// The JSON text a record chunk carries. The runner writes it from the script's values itself rather than with
/// JSON.stringify; what reaches Nango.Web (and what it hashes to tell an unchanged record) must still be, byte for byte,
/// what JSON.stringify writes for each record, and a record JSON.stringify refuses must be refused the same way.
/// </summary>
public sealed class RunnerRecordJsonTests(RunnerHostFixture fixture) : IClassFixture<RunnerHostFixture>
{
    private const int Account = 1;
    private RunnerTestHost Host => fixture.Host;

    private static RunnerTaskRequest SyncTask(string exec, RunnerLimits? limits = null) => RunnerTestHost.Task($$"""
        module.exports = { default: { type: "sync", description: "test", version: "1.0.0", frequency: "every hour", models: {}, exec: {{exec}} } };
        """, limits: limits, kind: RunnerTaskKinds.Sync) with { Sync = new RunnerSync() };

    /// <summary>Each record of the task's chunks for the model, as the bytes of its JSON text in the call.</summary>
    private List<byte[]> SentRecords(RunnerTaskRequest request, string model) =>
        [.. Host.Api.CallsOf(request.TaskId)
            .Where(c => c.Operation == "records" && c.Body!["model"]!.GetValue<string>() == model)
            .SelectMany(c =>
            {
                using var body = JsonDocument.Parse(c.RawBody, new JsonDocumentOptions { MaxDepth = 256 });
                return body.RootElement.GetProperty("records").EnumerateArray().Select(r => JsonMarshal.GetRawUtf8Value(r).ToArray()).ToList();
            })];

    /// <summary>
    /// Runs the task with its record calls refused (as Nango.Web refuses invalid records), so that only the bytes they
    /// carried matter and the stand-in keeps no record of it; asserts that each record of the model's chunks is, byte for
    /// byte, the JSON.stringify text the task logged for it, in order. Answers the records' bytes.
    /// </summary>
    private async Task<List<byte[]>> AssertRecordsSentAsLoggedAsync(RunnerTaskRequest request, string model)
    {
        Host.Api.RecordsGate = (taskId, _) => Task.FromResult<RunnerError?>(taskId == request.TaskId
            ? new RunnerError { Type = "invalid_record", Message = "Refused by the test." }
            : null);
        RunnerTaskResult result;
        try
        {
            result = await Host.RunAsync(Account, request);
        }
        finally
        {
            Host.Api.RecordsGate = (_, _) => Task.FromResult<RunnerError?>(null);
        }

        Assert.Equal("Refused by the test.", result.Error?.Message);
        var sent = SentRecords(request, model);
        AssertSameText(Logged(request), sent);
        return sent;
    }

    /// <summary>The messages the task logged, in order; "undefined" (what String(JSON.stringify(x)) gives when x has no
    /// JSON text) as null.</summary>
    private List<string?> Logged(RunnerTaskRequest request) =>
        [.. Host.Api.CallsOf(request.TaskId).Where(c => c.Operation == "logs")
            .Select(c => c.Body!["entries"]![0]!["message"]!.GetValue<string>())
            .Select(m => m == "undefined" ? null : m)];

    private static void AssertSameText(List<string?> stringified, List<byte[]> sent)
    {
        Assert.Equal(stringified.Count, sent.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            // JSON.stringify gives undefined for a record without JSON text (undefined, a function): null in the array.
            Assert.True(Encoding.UTF8.GetBytes(stringified[i] ?? "null").AsSpan().SequenceEqual(sent[i]),
                $"record {i}: JSON.stringify wrote {stringified[i]}, the chunk held {Encoding.UTF8.GetString(sent[i])}");
        }
    }

    [Fact]
    public async Task Records_of_every_kind_of_value_go_out_as_the_bytes_JSON_stringify_writes()
    {
        var request = SyncTask("""
            async (nango) => {
                const strings = ['plain', 'quote " backslash \\ slash /', '<b>&amp;</b>', 'é 中文 😀 \u2028\u2029 \u007f',
                    '\ud800 lone high', 'lone low \udc00', 'reversed \udc00\ud800', 'pair at end \ud83d\ude00', ''];
                for (let c = 0; c < 32; c++) { strings.push('control ' + String.fromCharCode(c) + ' ' + c); }
                const numbers = [0, -0, 1, -1, 0.1, 0.1 + 0.2, 1.5, 100, 1e21, 1e-7, 123456789012345680000, 2 ** 53, 2 ** 53 + 2,
                    -(2 ** 53), 2 ** 31, -(2 ** 31) - 1, 4294967296, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 1e300,
                    NaN, Infinity, -Infinity, 0.000001, 1234.5678e-10];
                const ordered = { b: 1, 2: 'two', a: 2, 1: 'one', '01': 'leading zero', '4294967295': 'not an index',
                    '4294967294': 'last index', '-1': 'negative' };
                const reAdded = { x: 1, y: 2, z: 3 };
                delete reAdded.x;
                reAdded.x = 4;
                const hidden = { shown: 1 };
                Object.defineProperty(hidden, 'hidden', { value: 2, enumerable: false });
                const bare = Object.create(null);
                bare.k = 'no prototype';
                const withSymbol = { s: 1 };
                withSymbol[Symbol('key')] = 'left out';
                const arrayWithExtra = [1, 2];
                arrayWithExtra.extra = 'left out';
                class Point { constructor() { this.x = 1; this.y = 2; } }
                let deep = { leaf: true };
                for (let d = 0; d < 70; d++) { deep = { d: d, next: deep }; }
                const records = [
                    { id: 'strings', values: strings },
                    { id: 'numbers', values: numbers },
                    { id: 'keys', ordered, reAdded, hidden, bare, withSymbol },
                    { id: 'arrays', holes: [1, , 3], sparse: new Array(3), nested: [[[]], [{}]], arrayWithExtra,
                        odd: [undefined, function () {}, Symbol('s')] },
                    { id: 'left out', u: undefined, f: function () {}, s: Symbol('s'), kept: null, t: true, no: false },
                    { id: 'parsed', ...JSON.parse('{"a":[1,{"b":"c"}],"d":1.25e3,"e":"\\u00e9"}') },
                    { id: 'date', at: new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)), invalid: new Date(NaN) },
                    { id: 'class', point: new Point(), map: new Map([[1, 2]]), set: new Set([1]) },
                    { id: 'boxed', s: new String('str'), n: new Number(4), b: new Boolean(false) },
                    { id: 'getter', get computed() { return 'got ' + this.id; } },
                    { id: 'toJSON', inner: { toJSON(key) { return 'inner as ' + key; } } },
                    { id: 'typed', bytes: new Uint8Array([1, 2, 3]), error: new Error('e'), regex: /x/g },
                    { id: 'deep', deep },
                    { id: 42, numeric: 'id' },
                    { id: 1.5 },
                ];
                for (const record of records) {
                    await nango.log(JSON.stringify(record));
                }
                await nango.batchSave(records, 'TextTwin');
            }
            """);

        await AssertRecordsSentAsLoggedAsync(request, "TextTwin");
    }

    [Fact]
    public async Task Records_that_are_no_object_and_toJSON_on_the_prototypes_go_out_as_JSON_stringify_writes_them()
    {
        var request = SyncTask("""
            async (nango) => {
                Array.prototype.toJSON = function (key) { return ['array', key, this.length]; };
                Date.prototype.toJSON = function () { return 'a date'; };
                const records = ['a string', 7, null, undefined, function () {}, [1, [2]], { id: 'o', list: [1, 2], at: new Date(0) }];
                const stringified = records.map((record) => String(JSON.stringify(record)));
                const saved = nango.batchSave(records, 'OddTwin');
                // The runtime's own calls are JSON too: the prototypes as they were before logging.
                delete Array.prototype.toJSON;
                delete Date.prototype.toJSON;
                for (const text of stringified) {
                    await nango.log(text);
                }
                await saved;
            }
            """);

        await AssertRecordsSentAsLoggedAsync(request, "OddTwin");
    }

    [Fact]
    public async Task A_record_JSON_stringify_refuses_is_refused_with_its_error_and_nothing_is_sent()
    {
        var request = SyncTask("""
            async (nango) => {
                const cyclic = { id: 'c' };
                cyclic.self = { back: cyclic };
                for (const bad of [[{ id: 'fine' }, cyclic], [{ id: 'b', n: 10n }]]) {
                    let expected = null;
                    let actual = null;
                    try { JSON.stringify(bad); } catch (e) { expected = e.name + ': ' + e.message; }
                    try { await nango.batchSave(bad, 'Refused'); } catch (e) { actual = e.name + ': ' + e.message; }
                    await nango.log(JSON.stringify({ expected, actual }));
                }
            }
            """);

        var result = await Host.RunAsync(Account, request);

        Assert.True(result.Success, result.Error?.Message);
        var outcomes = Logged(request).Select(o => JsonDocument.Parse(o!).RootElement).ToList();
        Assert.Equal(2, outcomes.Count);
        Assert.All(outcomes, o =>
        {
            Assert.StartsWith("TypeError: ", o.GetProperty("expected").GetString());
            Assert.Equal(o.GetProperty("expected").GetString(), o.GetProperty("actual").GetString());
        });
        Assert.DoesNotContain(Host.Api.CallsOf(request.TaskId), c => c.Operation == "records");
    }

    [Fact]
    public async Task Records_written_by_JSON_stringify_s_own_code_are_still_named_by_their_ids_on_a_rerun()
    {
        // A Date makes every record go through Jint's serializer; its ids are read back from the text for the keys.
        var script = """
            async (nango) => {
                const records = [];
                for (let i = 0; i < 2500; i++) {
                    records.push({ id: i % 2 ? 'd' + i : i, at: new Date(Date.UTC(2024, 0, 1) + i * 1000) });
                }
                await nango.batchSave(records, 'DatedTicket');
            }
            """;
        Assert.True((await Host.RunAsync(Account, SyncTask(script))).Success);
        var again = SyncTask(script);

        var result = await Host.RunAsync(Account, again);

        Assert.True(result.Success, result.Error?.Message);
        var calls = Host.Api.CallsOf(again.TaskId).Where(c => c.Operation == "records")
            .Select(c => (c.Body!["action"]!.GetValue<string>(), c.Body["records"]!.AsArray().Count)).ToList();
        Assert.Equal([(RunnerRecordActions.Save, 1000), (RunnerRecordActions.SaveKeys, 1000), (RunnerRecordActions.SaveKeys, 500)], calls);
        var keys = Host.Api.CallsOf(again.TaskId).First(c => c.Body?["action"]?.GetValue<string>() == RunnerRecordActions.SaveKeys);
        Assert.Equal(["1000", "d1001"], keys.Body!["records"]!.AsArray().Take(2).Select(k => k!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_chunk_whose_JSON_passes_the_memory_limit_fails_the_run_as_out_of_memory_and_is_not_sent()
    {
        // The records share one string of 100 KB: the script holds little, their JSON text would be 100 MB.
        var request = SyncTask("""
            async (nango) => {
                const text = 'x'.repeat(100000);
                const records = [];
                for (let i = 0; i < 1000; i++) {
                    records.push({ id: 'big' + i, text });
                }
                await nango.batchSave(records, 'HugeTicket');
            }
            """, new RunnerLimits { MemoryBytes = 64L * 1024 * 1024 });

        var result = await Host.RunAsync(Account, request);

        Assert.False(result.Success);
        Assert.Equal(RunnerErrorTypes.OutOfMemory, result.Error!.Type);
        Assert.DoesNotContain(Host.Api.CallsOf(request.TaskId), c => c.Operation == "records");
    }

    [Fact]
    public async Task Nango_metadata_is_left_out_of_every_kind_of_record_and_of_an_array_proxy_s_records()
    {
        var request = SyncTask("""
            async (nango) => {
                // What Nango's SDK does: a non-array object with _nango_metadata (own or inherited) goes as a plain copy without it.
                const strip = (r) => {
                    if (r !== null && typeof r === 'object' && !Array.isArray(r) && '_nango_metadata' in r) {
                        const copy = Object.assign({}, r);
                        delete copy._nango_metadata;
                        return copy;
                    }
                    return r;
                };
                class Inherits { constructor(id) { this.id = id; } }
                Inherits.prototype._nango_metadata = { cursor: 'p' };
                const dated = new Date(0);
                dated.id = 'dated';
                dated._nango_metadata = { cursor: 'd' };
                const list = [1, 2];
                list._nango_metadata = { cursor: 'l' };
                const records = [{ id: 'own', _nango_metadata: { cursor: 'o' }, kept: 1 }, new Inherits('inherited'), dated, list,
                    { id: 'none', kept: 2 }];
                for (const record of records) {
                    await nango.log(String(JSON.stringify(strip(record))));
                }
                await nango.batchSave(new Proxy(records, {}), 'MetaTwin');
            }
            """);

        var sent = await AssertRecordsSentAsLoggedAsync(request, "MetaTwin");
        Assert.DoesNotContain(sent, r => Encoding.UTF8.GetString(r).Contains("_nango_metadata", StringComparison.Ordinal));
    }
}
