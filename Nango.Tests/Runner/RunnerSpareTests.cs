using System.Diagnostics;

namespace Nango.Tests.Runner;

/// <summary>
/// The spare runner process (Nango__Runner__SpareProcesses): started ahead of need once the pool is in use, handed
/// whole to the next account that needs its first runner, and replaced; never shared, never speaking for an account
/// before it is handed over.
/// </summary>
public sealed class RunnerSpareTests
{
    private const string Forever = "module.exports = { default: { type: 'action', exec: async () => { await new Promise(() => {}); } } };";
    private const string Echo = "module.exports = { default: { type: 'action', exec: async (nango, input) => ({ input, connection: nango.connectionId }) } };";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_new_accounts_first_runner_is_the_spare_started_before_it_and_another_spare_follows()
    {
        await using var host = await RunnerTestHost.StartAsync();
        var first = await host.RunAsync(41, RunnerTestHost.Task(Echo, new { n = 1 }));
        Assert.True(first.Success, first.Error?.Message);
        var spare = await SpareAsync(host, notProcess: null);
        Assert.Equal(0, spare.AccountId);
        Assert.DoesNotContain(host.Pool.Processes, p => p.ProcessId == spare.ProcessId);

        var second = RunnerTestHost.Task(Echo, new { n = 2 });
        var result = await host.RunAsync(51, second);

        Assert.True(result.Success, result.Error?.Message);
        var adopted = Assert.Single(host.Pool.Processes, p => p.AccountId == 51);
        Assert.Equal(spare.ProcessId, adopted.ProcessId);
        Assert.Equal(spare.RunnerId, adopted.RunnerId);
        Assert.NotEqual(Assert.Single(host.Pool.Processes, p => p.AccountId == 41).ProcessId, adopted.ProcessId);
        // Its callbacks spoke for the account it was handed to.
        Assert.All(host.Api.CallsOf(second.TaskId), c => Assert.Equal(51, c.Caller.AccountId));
        var next = await SpareAsync(host, notProcess: spare.ProcessId);
        Assert.Equal(0, next.AccountId);
    }

    [Fact]
    public async Task No_spare_is_started_when_none_is_configured()
    {
        await using var host = await RunnerTestHost.StartAsync(o => o.SpareProcesses = 0);

        var result = await host.RunAsync(61, RunnerTestHost.Task(Echo));
        Assert.True(result.Success, result.Error?.Message);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        Assert.Null(host.Pool.Spare);
        Assert.Single(host.Pool.Processes);
    }

    [Fact]
    public async Task At_the_cap_an_account_takes_the_spare_and_none_replaces_it()
    {
        await using var host = await RunnerTestHost.StartAsync(o => o.MaxProcesses = 2);
        Assert.True((await host.RunAsync(71, RunnerTestHost.Task(Echo))).Success);
        var spare = await SpareAsync(host, notProcess: null);

        Assert.True((await host.RunAsync(72, RunnerTestHost.Task(Echo))).Success);

        Assert.Equal(spare.ProcessId, Assert.Single(host.Pool.Processes, p => p.AccountId == 72).ProcessId);
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
        Assert.Null(host.Pool.Spare);
        Assert.Equal(2, host.Pool.Processes.Count);
    }

    [Fact]
    public async Task The_spare_is_the_first_process_stopped_to_make_room_for_a_busy_account()
    {
        await using var host = await RunnerTestHost.StartAsync(o =>
        {
            o.MaxProcesses = 2;
            o.MaxProcessesPerAccount = 2;
            o.TasksPerProcess = 1;
        });
        await host.Client.StartTaskAsync(81, RunnerTestHost.Task(Forever), TestContext.Current.CancellationToken);
        var spare = await SpareAsync(host, notProcess: null);
        using var spareProcess = Process.GetProcessById(spare.ProcessId);

        // The account's only runner is busy, so it grows; the spare makes room rather than a refusal.
        var result = await host.RunAsync(81, RunnerTestHost.Task(Echo));

        Assert.True(result.Success, result.Error?.Message);
        Assert.Equal(2, host.Pool.Processes.Count(p => p.AccountId == 81));
        Assert.DoesNotContain(host.Pool.Processes, p => p.ProcessId == spare.ProcessId);
        Assert.True(spareProcess.WaitForExit(Bound), "The spare was not stopped.");
    }

    private static async Task<Nango.Core.Functions.Runners.RunnerProcessInfo> SpareAsync(RunnerTestHost host, int? notProcess)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (host.Pool.Spare is { } spare && spare.ProcessId != notProcess)
            {
                return spare;
            }
            Assert.True(watch.Elapsed < Bound, $"No spare runner was ready after {Bound.TotalSeconds} s.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
