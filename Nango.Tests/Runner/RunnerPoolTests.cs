using System.Diagnostics;
using Nango.Core.Functions.Runners;
using Nango.Runner.Protocol;

namespace Nango.Tests.Runner;

/// <summary>The pool's supervision of real runner processes: isolation per account, crashes, idle stop, cap.</summary>
public sealed class RunnerPoolTests
{
    private const string Echo = "module.exports = { default: { type: 'action', exec: async (nango, input) => ({ input, connection: nango.connectionId }) } };";
    private const string Forever = "module.exports = { default: { type: 'action', exec: async () => { await new Promise(() => {}); } } };";

    [Fact]
    public async Task Two_accounts_run_in_two_different_processes_that_only_speak_for_their_own_account()
    {
        await using var host = await RunnerTestHost.StartAsync();
        var first = RunnerTestHost.Task(Echo, new { n = 1 });
        var second = RunnerTestHost.Task(Echo, new { n = 2 });

        var results = await Task.WhenAll(host.RunAsync(10, first), host.RunAsync(20, second));

        Assert.All(results, r => Assert.True(r.Success, r.Error?.Message));
        var processes = host.Pool.Processes;
        var a = Assert.Single(processes, p => p.AccountId == 10);
        var b = Assert.Single(processes, p => p.AccountId == 20);
        Assert.NotEqual(a.ProcessId, b.ProcessId);
        Assert.NotEqual(a.BaseUrl, b.BaseUrl);
        // Each runner's callbacks were authenticated as its own account.
        Assert.All(host.Api.CallsOf(first.TaskId), c => Assert.Equal(10, c.Caller.AccountId));
        Assert.All(host.Api.CallsOf(second.TaskId), c => Assert.Equal(20, c.Caller.AccountId));
        Assert.Null(host.Pool.Authenticate("not-a-runner-token"));
    }

    [Fact]
    public async Task Killed_runner_reports_its_task_lost_and_is_replaced()
    {
        await using var host = await RunnerTestHost.StartAsync(o => o.RestartBackoff = TimeSpan.FromMilliseconds(200));
        var stuck = RunnerTestHost.Task(Forever);
        await host.Client.StartTaskAsync(30, stuck, TestContext.Current.CancellationToken);
        var victim = Assert.Single(host.Pool.Processes);

        using (var process = Process.GetProcessById(victim.ProcessId))
        {
            process.Kill();
        }
        var lost = await host.Lost.LostAsync(stuck.TaskId);

        Assert.Equal(30, lost.AccountId);
        Assert.Equal(victim.RunnerId, lost.RunnerId);
        Assert.Equal(RunnerErrorTypes.RuntimeOther, lost.Error.Type);
        Assert.Contains("exited", lost.Error.Message, StringComparison.Ordinal);

        var next = await host.RunAsync(30, RunnerTestHost.Task(Echo, new { after = "crash" }));
        Assert.True(next.Success, next.Error?.Message);
        var replacement = Assert.Single(host.Pool.Processes);
        Assert.NotEqual(victim.ProcessId, replacement.ProcessId);
    }

    [Fact]
    public async Task Runner_environment_holds_its_token_and_nothing_of_the_app()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Reads /proc/<pid>/environ.");
        await using var host = await RunnerTestHost.StartAsync();
        await host.RunAsync(40, RunnerTestHost.Task(Echo));
        var runner = Assert.Single(host.Pool.Processes);

        var names = File.ReadAllText($"/proc/{runner.ProcessId}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry[..entry.IndexOf('=', StringComparison.Ordinal)])
            .ToHashSet(StringComparer.Ordinal);

        Assert.Contains(RunnerEnvironment.Token, names);
        Assert.DoesNotContain(names, n => n.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase) || n.StartsWith("Nango__", StringComparison.Ordinal) || n.StartsWith("NANGO_TEST", StringComparison.Ordinal));
        var allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_ROOT_ARM64", "DOTNET_NOLOGO", "DOTNET_CLI_TELEMETRY_OPTOUT",
            RunnerEnvironment.Token, RunnerEnvironment.Id, RunnerEnvironment.Urls, RunnerEnvironment.MaxConcurrentTasks, RunnerEnvironment.WarmEngines,
            RunnerEnvironment.ExitWithStdin, "DOTNET_gcServer", "DOTNET_GCHeapHardLimit", "Logging__LogLevel__Default",
        };
        Assert.Empty(names.Except(allowed));
    }

    [Fact]
    public async Task Idle_runner_is_stopped_and_started_again_on_demand()
    {
        await using var host = await RunnerTestHost.StartAsync(o =>
        {
            o.IdleTimeout = TimeSpan.FromMilliseconds(300);
            o.HealthCheckInterval = TimeSpan.FromMilliseconds(200);
        });
        await host.RunAsync(50, RunnerTestHost.Task(Echo));
        var first = Assert.Single(host.Pool.Processes);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (host.Pool.Processes.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Empty(host.Pool.Processes);
        while (!Gone(first.ProcessId) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.True(Gone(first.ProcessId));

        var again = await host.RunAsync(50, RunnerTestHost.Task(Echo));
        Assert.True(again.Success, again.Error?.Message);
    }

    [Fact]
    public async Task Process_cap_stops_an_idle_runner_of_another_account_rather_than_share_it()
    {
        await using var host = await RunnerTestHost.StartAsync(o => o.MaxProcesses = 1);
        await host.RunAsync(60, RunnerTestHost.Task(Echo));
        var first = Assert.Single(host.Pool.Processes);

        var other = await host.RunAsync(61, RunnerTestHost.Task(Echo));

        Assert.True(other.Success, other.Error?.Message);
        var second = Assert.Single(host.Pool.Processes);
        Assert.Equal(61, second.AccountId);
        Assert.NotEqual(first.ProcessId, second.ProcessId);
    }

    [Fact]
    public async Task Process_cap_with_every_runner_busy_refuses_other_accounts()
    {
        await using var host = await RunnerTestHost.StartAsync(o => o.MaxProcesses = 1);
        await host.Client.StartTaskAsync(70, RunnerTestHost.Task(Forever), TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<RunnerUnavailableException>(() => host.Client.StartTaskAsync(71, RunnerTestHost.Task(Echo), TestContext.Current.CancellationToken));
    }

    private static bool Gone(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
