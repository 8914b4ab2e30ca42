using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Runners;
using Nango.Core.Logs;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// Issue 7's isolation and limits, through the public API (<c>POST /action/trigger</c> with a secret key) against a real
/// Nango.Web and its real runner pool: accounts never share a runner process; a script that breaks a limit fails its own
/// action with a clear error while the same account's other actions keep working; a killed runner fails (or, async,
/// retries) its task and is replaced; a script reaches nothing but <c>nango</c>. Each test uses its own account, so its
/// own runner process. Limits are small (Nango__Runner__Limits__*) so offenders are stopped quickly.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ActionIsolationTests(ActionIsolationTests.Factory web) : IClassFixture<ActionIsolationTests.Factory>
{
    private const string Echo = "async (nango, input) => ({ echo: input })";

    /// <summary>Waits on the internal API several times, so it is in flight while an offender misbehaves next to it.</summary>
    private const string Neighbour = """
        async (nango, input) => {
            let calls = 0;
            for (let i = 0; i < 5; i++) { await nango.getConnection(); calls++; }
            return { calls, echo: input };
        }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RunnerPool Pool => web.Services.GetRequiredService<RunnerPool>();

    public static TheoryData<string, string, string> Offenders => new()
    {
        { "async () => { while (true) {} }", "execution_timeout", "CPU time limit" },
        { "async () => { function down(n) { return down(n + 1) + 1; } return down(0); }", "script_internal_error", "Maximum call stack size exceeded" },
        { "async () => { const hoard = []; while (true) { hoard.push('x'.repeat(4000000) + hoard.length); } }", "function_runtime_out_of_memory", "memory limit" },
        { "async () => { await new Promise(() => {}); }", "execution_timeout", "time limit of 8000 ms" },
    };

    [Fact]
    public async Task Two_accounts_run_their_actions_in_two_different_runner_processes()
    {
        var (first, firstEnv) = await NewAccountAsync(new Dictionary<string, string> { ["whoami"] = Echo });
        var (second, secondEnv) = await NewAccountAsync(new Dictionary<string, string> { ["whoami"] = Echo });

        var outputs = await Task.WhenAll(first.RunAsync("whoami", new JsonObject { ["n"] = 1 }), second.RunAsync("whoami", new JsonObject { ["n"] = 2 }));

        Assert.Equal("""{"echo":{"n":1}}""", outputs[0]!.ToJsonString());
        Assert.Equal("""{"echo":{"n":2}}""", outputs[1]!.ToJsonString());
        var firstRunner = (await ActionHarness.WaitForTasksAsync(web.ConnectionString, firstEnv.EnvironmentId, "whoami", t => t is [{ RunnerId: not null }]))[0].RunnerId;
        var secondRunner = (await ActionHarness.WaitForTasksAsync(web.ConnectionString, secondEnv.EnvironmentId, "whoami", t => t is [{ RunnerId: not null }]))[0].RunnerId;
        Assert.NotEqual(firstRunner, secondRunner);
        var processes = Pool.Processes;
        var firstProcess = Assert.Single(processes, p => p.RunnerId == firstRunner);
        var secondProcess = Assert.Single(processes, p => p.RunnerId == secondRunner);
        Assert.Equal(firstEnv.AccountId, firstProcess.AccountId);
        Assert.Equal(secondEnv.AccountId, secondProcess.AccountId);
        Assert.NotEqual(firstProcess.ProcessId, secondProcess.ProcessId);
        Assert.DoesNotContain(Environment.ProcessId, new[] { firstProcess.ProcessId, secondProcess.ProcessId });
    }

    [Theory]
    [MemberData(nameof(Offenders))]
    public async Task Limit_breaking_action_fails_clearly_while_a_concurrent_action_of_the_same_account_succeeds(string exec, string code, string message)
    {
        var (client, env) = await NewAccountAsync(new Dictionary<string, string> { ["offender"] = exec, ["neighbour"] = Neighbour });
        await client.RunAsync("neighbour"); // The account's runner is up before the offender starts.

        var offending = client.TriggerAsync("offender");
        // Taken by the runner, running or already over: a recursion to the depth limit fails within milliseconds on a
        // quiet machine, before a poll for STARTED can see it.
        await ActionHarness.WaitForTasksAsync(web.ConnectionString, env.EnvironmentId, "offender", t => t is [{ RunnerId: not null }]);
        var neighbour = await client.RunAsync("neighbour", new JsonObject { ["hello"] = "world" });
        using var offended = await offending;

        AssertJson("""{"calls":5,"echo":{"hello":"world"}}""", neighbour);
        var error = await offended.AssertErrorAsync(HttpStatusCode.InternalServerError, code);
        Assert.Contains(message, (string?)error["message"], StringComparison.Ordinal);
        // The same runner process served both and is still serving.
        var tasks = await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "offender");
        var runner = Assert.Single(Pool.Processes, p => p.AccountId == env.AccountId);
        Assert.Equal(runner.RunnerId, Assert.Single(tasks).RunnerId);
        Assert.Equal("Ready", runner.State);
        AssertJson("""{"echo":{"after":true}}""", await client.RunAsync("echo_after", new JsonObject { ["after"] = true }));
    }

    [Fact]
    public async Task Killing_the_runner_mid_action_fails_that_action_and_the_next_one_runs_in_a_new_runner()
    {
        var (client, env) = await NewAccountAsync(new Dictionary<string, string> { ["hang"] = "async () => { await new Promise(() => {}); }", ["whoami"] = Echo });
        await client.RunAsync("whoami");

        var hanging = client.TriggerAsync("hang");
        var started = await ActionHarness.WaitForTasksAsync(web.ConnectionString, env.EnvironmentId, "hang", t => t is [{ State: "STARTED", RunnerId: not null }]);
        var killed = Assert.Single(Pool.Processes, p => p.RunnerId == started[0].RunnerId);
        Process.GetProcessById(killed.ProcessId).Kill();
        using var response = await hanging;

        var error = await response.AssertErrorAsync(HttpStatusCode.InternalServerError, "function_runtime_other");
        Assert.Contains("runner process exited", (string?)error["message"], StringComparison.Ordinal);
        var lost = Assert.Single(await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "hang"));
        Assert.Equal("FAILED", lost.State);
        // The action's log operation ends with the failure, rather than staying open until it times out.
        var (operation, messages) = await WaitForOperationAsync(env, lost.LogOperationId!.Value, o => o.State != OperationStates.Running && o.State != OperationStates.Waiting);
        Assert.Equal(OperationStates.Failed, operation.State);
        Assert.Contains(messages, m => m.Level == MessageLevels.Error && m.Message.Contains("runner process exited", StringComparison.Ordinal));
        Assert.Equal("""{"echo":{"again":true}}""", (await client.RunAsync("whoami", new JsonObject { ["again"] = true }))!.ToJsonString());
        var next = await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "whoami");
        Assert.NotEqual(killed.RunnerId, next[^1].RunnerId);
        var replacement = Assert.Single(Pool.Processes, p => p.AccountId == env.AccountId);
        Assert.NotEqual(killed.ProcessId, replacement.ProcessId);
    }

    [Fact]
    public async Task Killing_the_runner_mid_async_action_retries_it_and_the_retry_succeeds()
    {
        // The first attempt marks the connection, then hangs; the retry sees the mark and answers.
        var (client, env) = await NewAccountAsync(new Dictionary<string, string>
        {
            ["once"] = """
                async (nango) => {
                    const metadata = await nango.getMetadata();
                    if (!metadata.attempted) { await nango.updateMetadata({ attempted: true }); await new Promise(() => {}); }
                    return { retried: true };
                }
                """,
        });
        using var accepted = await client.TriggerAsync("once", async: true, maxRetries: 1);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var id = (string)(await accepted.ReadJsonAsync())["id"]!;
        var started = await ActionHarness.WaitForTasksAsync(web.ConnectionString, env.EnvironmentId, "once", t => t is [{ State: "STARTED", RunnerId: not null }]);
        await WaitForMetadataAsync(client);

        Process.GetProcessById(Assert.Single(Pool.Processes, p => p.RunnerId == started[0].RunnerId).ProcessId).Kill();

        var tasks = await ActionHarness.WaitForTasksAsync(web.ConnectionString, env.EnvironmentId, "once", t => t.Count == 2 && t[1].State == "SUCCEEDED");
        Assert.Equal("FAILED", tasks[0].State);
        Assert.Contains("function_runtime_other", tasks[0].Error, StringComparison.Ordinal);
        Assert.Equal(1, tasks[1].RetryCount);
        Assert.NotEqual(tasks[0].RunnerId, tasks[1].RunnerId);
        // Both attempts write to one operation, which ends with the last attempt's success.
        Assert.Equal(tasks[0].LogOperationId, tasks[1].LogOperationId);
        var (operation, messages) = await WaitForOperationAsync(env, tasks[0].LogOperationId!.Value, o => o.State != OperationStates.Running && o.State != OperationStates.Waiting);
        Assert.Equal(OperationStates.Success, operation.State);
        Assert.Contains(messages, m => m.Level == MessageLevels.Warn && m.Message.StartsWith("Attempt 1 failed (function_runtime_other", StringComparison.Ordinal));
        using var result = await client.GetAsync(new Uri($"/action/{id}", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal("""{"retried":true}""", (await result.ReadJsonAsync()).ToJsonString());
    }

    [Fact]
    public async Task A_script_reaches_no_dotnet_types_files_or_network()
    {
        var (client, _) = await NewAccountAsync(new Dictionary<string, string>
        {
            ["probe"] = """
                async () => {
                    const out = {};
                    for (const name of ['System', 'importNamespace', 'clrHelper', 'process', 'fetch', 'XMLHttpRequest', 'WebSocket', 'require']) {
                        out[name] = typeof globalThis[name];
                    }
                    for (const module of ['fs', 'http', 'https', 'net', 'child_process']) {
                        try { require(module); out[module] = 'loaded'; } catch (e) { out[module] = e.message; }
                    }
                    try { out.clr = typeof System.IO.File; } catch (e) { out.clr = e.name; }
                    try { out.fs = out.fs + ' / ' + typeof require('fs').readFileSync; } catch (e) { out.readFile = e.name; }
                    try { await fetch('http://127.0.0.1:1/'); out.fetch = 'fetched'; } catch (e) { out.fetchCall = e.name; }
                    return out;
                }
                """,
        });

        var output = (await client.RunAsync("probe"))!.AsObject();

        foreach (var name in new[] { "System", "importNamespace", "clrHelper", "process", "fetch", "XMLHttpRequest", "WebSocket" })
        {
            Assert.True((string?)output[name] == "undefined", $"{name}: {output[name]}");
        }
        foreach (var module in new[] { "fs", "http", "https", "net", "child_process" })
        {
            Assert.Equal($"Module '{module}' is not allowed: function code may only require zod", (string?)output[module]);
        }
        Assert.Equal("ReferenceError", (string?)output["clr"]);
        Assert.Equal("Error", (string?)output["readFile"]);
        Assert.Equal("ReferenceError", (string?)output["fetchCall"]);
    }

    [Fact]
    public async Task The_action_operation_in_logs_holds_the_script_log_lines()
    {
        var (client, env) = await NewAccountAsync(new Dictionary<string, string>
        {
            ["chatty"] = """
                async (nango, input) => {
                    await nango.log('starting with', input);
                    await nango.log('careful now', { level: 'warn' });
                    return { ok: true };
                }
                """,
        });

        await client.RunAsync("chatty", new JsonObject { ["n"] = 3 });

        var operationId = (await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "chatty"))[0].LogOperationId!.Value;
        var (operation, messages) = await WaitForOperationAsync(env, operationId, o => o.State == OperationStates.Success, minMessages: 3);
        Assert.Equal(("action", "run", OperationStates.Success), (operation.Type, operation.Action, operation.State));
        Assert.Equal("chatty", operation.FunctionName);
        var userLines = messages.Where(m => m.Source == MessageSources.User).OrderBy(m => m.CreatedAt).Select(m => $"{m.Level}:{m.Message}").ToList();
        Assert.Equal(["info:starting with {\"n\":3}", "warn:careful now"], userLines);
        // The same operation is what the Logs page finds for the action.
        var found = await web.Services.GetRequiredService<LogQueryService>().SearchOperationsAsync(env, new LogOperationSearch { Types = ["action"], Functions = ["chatty"] }, Ct);
        Assert.Equal(operationId, Assert.Single(found.Items).Id);
    }

    /// <summary>Outputs are stored as jsonb, which keeps no key order: compared as JSON values.</summary>
    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"Expected {expected}, got {actual?.ToJsonString() ?? "null"}");

    private async Task<(HttpClient Client, Nango.Core.Environments.EnvironmentContext Environment)> NewAccountAsync(Dictionary<string, string> actions)
    {
        actions.TryAdd("echo_after", Echo);
        return await web.NewAccountWithActionsAsync(actions);
    }

    /// <summary>Log writes are buffered (flushed about every 200 ms): polls the operation the way the Logs page reads it.</summary>
    private async Task<(LogOperationRow Operation, IReadOnlyList<LogMessageRow> Messages)> WaitForOperationAsync(
        Nango.Core.Environments.EnvironmentContext env, Guid operationId, Func<LogOperationRow, bool> condition, int minMessages = 1)
    {
        var logs = web.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; ; attempt++)
        {
            var operation = await logs.GetOperationAsync(env, operationId, Ct);
            var messages = (await logs.SearchMessagesAsync(env, new LogMessageSearch { OperationId = operationId }, Ct)).Items;
            if (operation is not null && condition(operation) && messages.Count >= minMessages)
            {
                return (operation, messages);
            }
            Assert.True(attempt < 200, $"Operation {operationId}: {operation?.State ?? "missing"}, {messages.Count} message(s)");
            await Task.Delay(50, Ct);
        }
    }

    private static async Task WaitForMetadataAsync(HttpClient client)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var response = await client.GetAsync(new Uri("/connections/conn-1?provider_config_key=github", UriKind.Relative), Ct);
            var body = await response.ReadJsonAsync();
            if (body["metadata"]?["attempted"] is not null)
            {
                return;
            }
            Assert.True(attempt < 200, body.ToJsonString());
            await Task.Delay(25, Ct);
        }
    }

    /// <summary>
    /// Small limits so offenders stop soon, yet not tiny: the CPU slice is wall-clock time, and a loaded 2-core machine
    /// can hold a runner off the CPU long enough that a memory bomb would hit a 1–2 s slice before its memory limit.
    /// </summary>
    public sealed class Factory : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            KeyValuePair.Create("Nango:Runner:Limits:Timeout", (string?)"00:00:08"),
            KeyValuePair.Create("Nango:Runner:Limits:CpuSlice", (string?)"00:00:05"),
            KeyValuePair.Create("Nango:Runner:Limits:MemoryBytes", (string?)(64L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            KeyValuePair.Create("Nango:Runner:RestartBackoff", (string?)"00:00:00.100"),
        ];
    }
}
