using Nango.Runner.Protocol;

namespace Nango.Tests.Runner;

/// <summary>
/// A function that breaks a limit fails its own task with a clear error, and the same runner process keeps
/// serving: a well-behaved task of the same account started alongside succeeds.
/// </summary>
public sealed class RunnerLimitTests(RunnerHostFixture fixture) : IClassFixture<RunnerHostFixture>
{
    private const int Account = 7;
    private RunnerTestHost Host => fixture.Host;

    public static TheoryData<string, string, string, int> Offenders => new()
    {
        { "async () => { while (true) {} }", RunnerErrorTypes.ExecutionTimeout, "CPU time limit", 1000 },
        { "async () => { function down(n) { return down(n + 1) + 1; } return down(0); }", RunnerErrorTypes.ScriptInternalError, "Maximum call stack size exceeded", 1000 },
        { "async () => { const hoard = []; while (true) { hoard.push('x'.repeat(100000) + hoard.length); } }", RunnerErrorTypes.OutOfMemory, "memory limit", 20_000 },
        { "async () => { await new Promise(() => {}); }", RunnerErrorTypes.ExecutionTimeout, "time limit of 3000 ms", 1000 },
        { "async () => { let n = 0; for (;;) { n++; if (n < 0) break; } }", RunnerErrorTypes.ExecutionTimeout, "CPU time limit", 1000 },
    };

    [Theory]
    [MemberData(nameof(Offenders))]
    public async Task Limit_breaking_task_fails_while_a_concurrent_task_of_the_same_runner_succeeds(string exec, string expectedType, string expectedMessage, int cpuSliceMs)
    {
        // Jint's memory limit counts bytes allocated, garbage included: a counting loop allocates numbers fast enough on a
        // quick machine to reach 64 MB before its CPU slice ends. Only the memory case gets the small limit.
        var memoryBytes = expectedType == RunnerErrorTypes.OutOfMemory ? 64L * 1024 * 1024 : 8L * 1024 * 1024 * 1024;
        var limits = new RunnerLimits { TimeoutMs = cpuSliceMs > 3000 ? cpuSliceMs : 3000, CpuSliceMs = cpuSliceMs, MemoryBytes = memoryBytes };
        var offender = RunnerTestHost.Task($"module.exports = {{ default: {{ type: 'action', exec: {exec} }} }};", limits: limits);
        // Waits on the internal API several times while the offender runs, then answers.
        var neighbour = RunnerTestHost.Task("""
            module.exports = { default: { type: 'action', exec: async (nango, input) => {
                let calls = 0;
                for (let i = 0; i < 5; i++) { await nango.get({ endpoint: '/ping' }); calls++; }
                return { calls, echo: input };
            } } };
            """, new { hello = "world" });

        var results = await Task.WhenAll(Host.RunAsync(Account, offender), Host.RunAsync(Account, neighbour));

        Assert.False(results[0].Success);
        Assert.Equal(expectedType, results[0].Error!.Type);
        Assert.Contains(expectedMessage, results[0].Error!.Message, StringComparison.Ordinal);
        Assert.True(results[1].Success, results[1].Error?.Message);
        Assert.Equal("""{"calls":5,"echo":{"hello":"world"}}""", results[1].Output!.Value.GetRawText());
        // Both ran in the account's single runner process, which is still there.
        var process = Assert.Single(Host.Pool.Processes, p => p.AccountId == Account);
        Assert.Equal("Ready", process.State);
    }

    [Fact]
    public async Task A_function_awaiting_its_calls_for_longer_than_ten_seconds_runs_to_its_end()
    {
        // Jint gives up on a pending promise after its PromiseTimeout (10 s unless set): only the task's own limit may stop it.
        Host.Api.Proxy = request =>
        {
            if (request.Endpoint == "/slow")
            {
                Thread.Sleep(1000);
            }
            return InternalApiStandIn.Echo(request);
        };
        try
        {
            var request = RunnerTestHost.Task("""
                module.exports = { default: { type: 'action', exec: async (nango) => {
                    const started = Date.now();
                    let calls = 0;
                    while (Date.now() - started < 12000) { await nango.get({ endpoint: '/slow' }); calls++; }
                    return { calls };
                } } };
                """, limits: new RunnerLimits { TimeoutMs = 120_000 });

            var result = await Host.RunAsync(Account, request);

            Assert.True(result.Success, result.Error?.Message);
        }
        finally
        {
            Host.Api.Proxy = InternalApiStandIn.Echo;
        }
    }

    [Fact]
    public async Task Statement_limit_fails_the_task()
    {
        var request = RunnerTestHost.Task("module.exports = { default: { type: 'action', exec: async () => { let s = 0; for (let i = 0; i < 1e7; i++) { s += i; } return s; } } };",
            limits: new RunnerLimits { MaxStatements = 10_000 });

        var result = await Host.RunAsync(Account, request);

        Assert.Equal(RunnerErrorTypes.ExecutionTimeout, result.Error!.Type);
        Assert.Contains("statement limit", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Slow_host_calls_do_not_count_against_the_cpu_slice()
    {
        Host.Api.Proxy = request =>
        {
            Thread.Sleep(400);
            return InternalApiStandIn.Echo(request);
        };
        var request = RunnerTestHost.Task("module.exports = { default: { type: 'action', exec: async (nango) => { for (let i = 0; i < 4; i++) { await nango.get({ endpoint: '/slow' }); } return 'done'; } } };",
            limits: new RunnerLimits { CpuSliceMs = 300, TimeoutMs = 20_000 });

        var result = await Host.RunAsync(Account, request);
        Host.Api.Proxy = InternalApiStandIn.Echo;

        Assert.True(result.Success, result.Error?.Message);
    }
}
