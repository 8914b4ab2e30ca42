#pragma warning disable CA1861 // Literal arrays in test data read better inline; allocation does not matter here.
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Runner.Protocol;

namespace Nango.Tests.Runner;

/// <summary>One runner pool (one account, one real runner process) shared by the execution tests.</summary>
public sealed class RunnerHostFixture : IAsyncLifetime
{
    public RunnerTestHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Host = await RunnerTestHost.StartAsync();

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Functions run in a real Nango.Runner process: bundles, the nango object, errors, sandbox.</summary>
public sealed class RunnerExecutionTests(RunnerHostFixture fixture) : IClassFixture<RunnerHostFixture>
{
    private const int Account = 1;
    private RunnerTestHost Host => fixture.Host;

    private static string Action(string exec) => $$"""
        module.exports = { default: { type: "action", description: "test", version: "1.0.0", exec: {{exec}} } };
        """;

    [Fact]
    public async Task Cli_compiled_action_runs_and_sends_its_proxy_call()
    {
        var input = new { id = "1", owner = "o", repo = "r", issue_number = 1, title = "Hello", state = "open", author = "a", author_id = 2, body = "b", date_created = "x", date_last_modified = "y" };
        var request = RunnerTestHost.Task(RunnerTestHost.Fixture("github_actions_createIssue.cjs"), input);
        Host.Api.Proxy = InternalApiStandIn.Echo;

        var result = await Host.RunAsync(Account, request);

        Assert.True(result.Success, result.Error?.Message);
        Assert.True(result.Output is null or { ValueKind: JsonValueKind.Null });
        var proxy = Assert.Single(Host.Api.CallsOf(request.TaskId), c => c.Operation == "proxy");
        Assert.Equal("GET", proxy.Body!["method"]!.GetValue<string>());
        Assert.Equal("/repos/NangoHQ/interactive-demo/issues", proxy.Body["endpoint"]!.GetValue<string>());
        Assert.Equal("[demo] Hello", proxy.Body["data"]!["title"]!.GetValue<string>());
        Assert.Equal("automatic", proxy.Body["data"]!["labels"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Zod_is_served_to_commonjs_and_es_modules()
    {
        var commonJs = RunnerTestHost.Task("""
            const z = require("zod");
            const { z: named } = require("zod");
            const schema = z.object({ n: z.number().int(), tags: z.array(z.string()).optional() });
            module.exports = { default: { type: "action", exec: async (nango, input) => ({
                ok: schema.safeParse(input).success,
                bad: schema.safeParse({ n: 1.5 }).success,
                same: named === z.z || named.object === z.object,
                jsonSchemaType: z.toJSONSchema(schema).type,
                // Locales load on first use (ScriptEngine.LazyLocale) and must then work as in Node.
                locales: Object.keys(z.locales).length,
                french: z.string().safeParse(1, { error: z.locales.fr().localeError }).error.issues[0].message,
                english: z.string().safeParse(1).error.issues[0].message,
                coreGerman: typeof z.core.locales.de().localeError,
            }) } };
            """, new { n = 3, tags = new[] { "a" } });
        var esModule = RunnerTestHost.Task("""
            import * as z from 'zod';
            export default { type: 'action', exec: async (nango, input) => ({ ok: z.email().safeParse(input.email).success, connection: nango.connectionId }) };
            """, new { email = "someone@example.com" });

        var results = await Task.WhenAll(Host.RunAsync(Account, commonJs), Host.RunAsync(Account, esModule));

        Assert.True(results[0].Success, results[0].Error?.Message);
        var expected = JsonNode.Parse("""{"ok":true,"bad":false,"same":true,"jsonSchemaType":"object","locales":49,"french":"Entrée invalide : string attendu, nombre reçu","english":"Invalid input: expected string, received number","coreGerman":"function"}""");
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(results[0].Output!.Value.GetRawText())), results[0].Output!.Value.GetRawText());
        Assert.True(results[1].Success, results[1].Error?.Message);
        Assert.Equal("""{"ok":true,"connection":"conn-1"}""", results[1].Output!.Value.GetRawText());
    }

    [Fact]
    public async Task Action_error_fails_the_task_with_its_payload()
    {
        var request = RunnerTestHost.Task(Action("async (nango) => { throw new nango.ActionError({ message: 'no such repo', repo: 'x' }); }"));

        var result = await Host.RunAsync(Account, request);

        Assert.False(result.Success);
        Assert.Equal(RunnerErrorTypes.ActionScriptRuntimeError, result.Error!.Type);
        Assert.Equal("no such repo", result.Error.Message);
        Assert.Equal("x", result.Error.Payload!.Value.GetProperty("repo").GetString());
    }

    [Fact]
    public async Task Non_2xx_proxy_answer_throws_like_axios_and_fails_with_script_http_error()
    {
        Host.Api.Proxy = request => request.Endpoint == "/missing"
            ? new RunnerProxyResponse { Status = 404, Headers = new() { ["content-type"] = "application/json", ["x-ratelimit-remaining"] = "9", ["set-cookie"] = "s" }, Data = JsonSerializer.SerializeToElement(new { message = "Not Found" }) }
            : new RunnerProxyResponse { Status = 200, Data = JsonSerializer.SerializeToElement(new { fine = true }) };
        var caught = RunnerTestHost.Task(Action("""
            async (nango) => { try { await nango.get({ endpoint: '/missing' }); return 'no error'; }
                               catch (e) { return { name: e.name, status: e.response.status, message: e.message, data: e.response.data }; } }
            """));
        var uncaught = RunnerTestHost.Task(Action("async (nango) => { await nango.post({ endpoint: '/missing', data: { a: 1 } }); }"));

        var caughtResult = await Host.RunAsync(Account, caught);
        var uncaughtResult = await Host.RunAsync(Account, uncaught);

        Assert.Equal("""{"name":"AxiosError","status":404,"message":"Request failed with status code 404","data":{"message":"Not Found"}}""", caughtResult.Output!.Value.GetRawText());
        Assert.Equal(RunnerErrorTypes.ScriptHttpError, uncaughtResult.Error!.Type);
        Assert.Equal(404, uncaughtResult.Error.Status);
        Assert.Equal("Not Found", uncaughtResult.Error.Payload!.Value.GetProperty("message").GetString());
        var upstream = uncaughtResult.Error.AdditionalProperties!.Value.GetProperty("upstream_response");
        Assert.Equal(404, upstream.GetProperty("status").GetInt32());
        Assert.Equal("9", upstream.GetProperty("headers").GetProperty("x-ratelimit-remaining").GetString());
        Assert.False(upstream.GetProperty("headers").TryGetProperty("set-cookie", out _));
    }

    [Fact]
    public async Task Paginate_follows_cursor_link_and_offset()
    {
        Host.Api.Proxy = request => request.Endpoint switch
        {
            "/cursor" => Page(request.Params?.GetValueOrDefault("after") switch
            {
                null => new { items = new[] { 1, 2 }, meta = new { next = "c2" } },
                "c2" => new { items = new[] { 3 }, meta = new { next = "" } },
                _ => (object)new { items = Array.Empty<int>() },
            }),
            "/link" => Page(new { items = new[] { 1 } }, new() { ["link"] = "<https://api.example.com/link2?page=2>; rel=\"next\"" }),
            "/link2?page=2" when request.BaseUrlOverride == "https://api.example.com" => Page(new { items = new[] { 2 } }),
            "/offset" => Page(new { items = request.Params!["skip"] switch { "0" => new[] { 1, 2 }, "2" => new[] { 3 }, _ => Array.Empty<int>() } }),
            _ => new RunnerProxyResponse { Status = 500 },
        };
        // The cursor strategy comes from the provider's proxy.paginate, as the catalog would give it; as in Nango the
        // call's own paginate settings are merged over it, so response_path applies to all three.
        var providerPaginate = JsonSerializer.SerializeToElement(new { type = "cursor", cursor_path_in_response = "meta.next", cursor_name_in_request = "after", response_path = "items" });
        var request = RunnerTestHost.Task(Action("""
            async (nango) => {
                const all = { cursor: [], link: [], offset: [] };
                for await (const page of nango.paginate({ endpoint: '/cursor' })) all.cursor.push(page);
                for await (const page of nango.paginate({ endpoint: '/link', paginate: { type: 'link', link_rel_in_response_header: 'next' } })) all.link.push(page);
                for await (const page of nango.paginate({ endpoint: '/offset', paginate: { type: 'offset', offset_name_in_request: 'skip', limit: 2, limit_name_in_request: 'take' } })) all.offset.push(page);
                return all;
            }
            """), providerPaginate: providerPaginate);

        var result = await Host.RunAsync(Account, request);

        Assert.True(result.Success, result.Error?.Message);
        Assert.Equal("""{"cursor":[[1,2],[3]],"link":[[1],[2]],"offset":[[1,2],[3]]}""", result.Output!.Value.GetRawText());
        var offsetCalls = Host.Api.CallsOf(request.TaskId).Where(c => c.Operation == "proxy" && c.Body!["endpoint"]!.GetValue<string>() == "/offset").ToList();
        Assert.All(offsetCalls, c => Assert.Equal("2", c.Body!["params"]!["take"]!.GetValue<string>()));

        static RunnerProxyResponse Page(object data, Dictionary<string, string>? headers = null)
            => new() { Status = 200, Headers = headers ?? [], Data = JsonSerializer.SerializeToElement(data) };
    }

    [Fact]
    public async Task Nango_object_reaches_connection_metadata_variables_logs_actions_and_checkpoints_through_the_internal_api()
    {
        var request = RunnerTestHost.Task(Action("""
            async (nango) => {
                const out = { connectionId: nango.connectionId, providerConfigKey: nango.providerConfigKey };
                out.token = await nango.getToken();
                out.metadataBefore = await nango.getMetadata();
                await nango.setMetadata({ team: 'red', size: 1 });
                await nango.updateMetadata({ size: 2 });
                out.metadataAfter = await nango.getMetadata();
                out.variables = await nango.getEnvironmentVariables();
                await nango.log('plain');
                await nango.log('careful', { n: 1 }, { level: 'warn' });
                nango.setLogger({ level: 'error' });
                await nango.log('dropped', { level: 'info' });
                out.triggered = await nango.triggerAction('github', 'conn-2', 'other-action', { q: 1 });
                out.checkpointBefore = await nango.getCheckpoint();
                await nango.saveCheckpoint({ cursor: 'abc', at: new Date(Date.UTC(2025, 0, 2)) });
                out.checkpointSaved = await nango.getCheckpoint();
                await nango.clearCheckpoint();
                out.checkpointCleared = await nango.getCheckpoint();
                try { await nango.getConnection('github', 'missing'); } catch (e) { out.missing = e.type; }
                return out;
            }
            """));

        var result = await Host.RunAsync(Account, request);

        Assert.True(result.Success, result.Error?.Message);
        var output = JsonNode.Parse(result.Output!.Value.GetRawText())!;
        Assert.Equal("conn-1", output["connectionId"]!.GetValue<string>());
        Assert.Equal("github", output["providerConfigKey"]!.GetValue<string>());
        Assert.Equal("token-of-conn-1", output["token"]!.GetValue<string>());
        Assert.Equal("blue", output["metadataBefore"]!["team"]!.GetValue<string>());
        Assert.Equal("""{"team":"red","size":2}""", output["metadataAfter"]!.ToJsonString());
        Assert.Equal("""[{"name":"REGION","value":"eu"}]""", output["variables"]!.ToJsonString());
        Assert.Equal("other-action", output["triggered"]!["triggered"]!.GetValue<string>());
        Assert.Null(output["checkpointBefore"]);
        Assert.Equal("""{"cursor":"abc","at":"2025-01-02T00:00:00.000Z"}""", output["checkpointSaved"]!.ToJsonString());
        Assert.Null(output["checkpointCleared"]);
        Assert.Equal("unknown_connection", output["missing"]!.GetValue<string>());

        var logs = Host.Api.CallsOf(request.TaskId).Where(c => c.Operation == "logs").Select(c => c.Body!["entries"]![0]!).ToList();
        Assert.Equal(["info:plain", "warn:careful {\"n\":1}"], logs.Select(l => l["level"]!.GetValue<string>() + ":" + l["message"]!.GetValue<string>()));
        Assert.All(Host.Api.CallsOf(request.TaskId), c => Assert.Equal(Account, c.Caller.AccountId));
    }

    [Fact]
    public async Task What_a_run_does_to_built_in_objects_is_gone_for_the_next_tasks()
    {
        var changer = RunnerTestHost.Task(Action("""
            async () => {
                Array.prototype.extra = 'leaked';
                Object.prototype.extra = 'leaked';
                JSON.parse = () => 'leaked';
                delete Math.max;
                return 'changed';
            }
            """));
        Assert.True((await Host.RunAsync(Account, changer)).Success);

        // Several tasks after it: the runner keeps more than one warm engine, and any of them may serve the next task.
        for (var i = 0; i < 3; i++)
        {
            var reader = RunnerTestHost.Task(Action("""
                async () => [[].extra ?? null, ({}).extra ?? null, JSON.parse('{"a":1}').a ?? null, typeof Math.max]
                """));
            var result = await Host.RunAsync(Account, reader);

            Assert.True(result.Success, result.Error?.Message);
            Assert.Equal("""[null,null,1,"function"]""", result.Output!.Value.GetRawText());
        }
    }

    [Fact]
    public async Task Script_cannot_reach_dotnet_files_network_or_code_generation()
    {
        var request = RunnerTestHost.Task(Action("""
            async (nango) => {
                const out = {};
                for (const name of ['System', 'importNamespace', 'clrHelper', 'process', 'fetch', 'XMLHttpRequest', 'require', 'Deno', 'Bun']) {
                    out[name] = typeof globalThis[name];
                }
                for (const module of ['fs', 'child_process', 'http', 'net', 'zodiac', './local.js']) {
                    try { require(module); out[module] = 'loaded'; } catch (e) { out[module] = e.message; }
                }
                try { out.eval = eval('1 + 1'); } catch (e) { out.eval = e.name; }
                try { out.fn = new Function('return 1')(); } catch (e) { out.fn = e.name; }
                try { out.ctor = (() => {}).constructor('return this')(); } catch (e) { out.ctor = e.name; }
                out.hostType = Object.prototype.toString.call(nango.proxy);
                return out;
            }
            """));

        var result = await Host.RunAsync(Account, request);

        Assert.True(result.Success, result.Error?.Message);
        var output = JsonNode.Parse(result.Output!.Value.GetRawText())!.AsObject();
        foreach (var name in new[] { "System", "importNamespace", "clrHelper", "process", "fetch", "XMLHttpRequest", "require", "Deno", "Bun" })
        {
            Assert.Equal("undefined", output[name]!.GetValue<string>());
        }
        foreach (var module in new[] { "fs", "child_process", "http", "net", "zodiac", "./local.js" })
        {
            Assert.Equal($"Module '{module}' is not allowed: function code may only require zod", output[module]!.GetValue<string>());
        }
        Assert.Equal("TypeError", output["eval"]!.GetValue<string>());
        Assert.Equal("TypeError", output["fn"]!.GetValue<string>());
        Assert.Equal("TypeError", output["ctor"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bundle_without_a_function_export_or_with_a_syntax_error_fails_clearly()
    {
        var noExport = await Host.RunAsync(Account, RunnerTestHost.Task("module.exports = { default: 42 };"));
        var syntax = await Host.RunAsync(Account, RunnerTestHost.Task("module.exports = { default: { type: 'action', exec: async () => { return ( } } };"));
        var wrongKind = await Host.RunAsync(Account, RunnerTestHost.Task("module.exports = { default: { type: 'sync', exec: async () => true } };"));

        Assert.Equal(RunnerErrorTypes.ScriptInternalError, noExport.Error!.Type);
        Assert.Contains("Invalid script exports", noExport.Error.Message, StringComparison.Ordinal);
        Assert.Equal(RunnerErrorTypes.ScriptInternalError, syntax.Error!.Type);
        Assert.Contains("does not parse", syntax.Error.Message, StringComparison.Ordinal);
        Assert.Contains("Incorrect script loaded for action", wrongKind.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_over_the_limit_fails_with_script_output_too_large()
    {
        var request = RunnerTestHost.Task(Action("async () => ({ big: 'x'.repeat(5000) })"), limits: new RunnerLimits { MaxOutputBytes = 1000 });

        var result = await Host.RunAsync(Account, request);

        Assert.Equal(RunnerErrorTypes.ScriptOutputTooLarge, result.Error!.Type);
    }

    [Fact]
    public async Task Abort_stops_a_waiting_task_with_script_aborted()
    {
        var request = RunnerTestHost.Task(Action("async () => { await new Promise(() => {}); }"));
        await Host.Client.StartTaskAsync(Account, request, TestContext.Current.CancellationToken);

        // The runner registers the task before answering 202, so the abort finds it.
        Assert.True(await Host.Client.AbortTaskAsync(request.TaskId, TestContext.Current.CancellationToken));
        var result = await Host.Api.ResultAsync(request.TaskId);

        Assert.Equal(RunnerErrorTypes.ScriptAborted, result.Error!.Type);
    }
}
