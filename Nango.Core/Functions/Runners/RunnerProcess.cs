using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Nango.Runner.Protocol;

namespace Nango.Core.Functions.Runners;

internal enum RunnerState
{
    Starting,
    Ready,
    Stopping,
    Exited,
}

/// <summary>
/// One Nango.Runner child process of one account. It starts with a clean environment (nothing of this app's
/// configuration, no connection string) plus its token, binds a free loopback port and reports it on stdout.
/// </summary>
internal sealed class RunnerProcess
{
    // What a .NET app needs from the parent's environment to start; everything else is left out on purpose.
    private static readonly string[] InheritedVariables =
    [
        "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "DOTNET_ROOT", "DOTNET_ROOT_X64", "DOTNET_ROOT_ARM64",
        "DOTNET_NOLOGO", "DOTNET_CLI_TELEMETRY_OPTOUT", "SYSTEMROOT", "WINDIR", "TEMP", "TMP",
    ];

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastActivity;

    private RunnerProcess(string id, int accountId, string token, Process process, ILogger logger, TimeProvider time)
    {
        Id = id;
        AccountId = accountId;
        Token = token;
        _process = process;
        _logger = logger;
        Touch(time);
    }

    public string Id { get; }

    /// <summary>The account the process serves; 0 while it is a spare (see <see cref="AssignTo"/>).</summary>
    public int AccountId { get; private set; }

    public string Token { get; }

    public Uri? BaseUrl { get; private set; }

    public volatile RunnerState State = RunnerState.Starting;

    public int ProcessId { get; private set; }

    /// <summary>Tasks sent to this process and not known to be finished, with when it accepted them (0: not yet).</summary>
    public ConcurrentDictionary<string, long> InFlight { get; } = new(StringComparer.Ordinal);

    public int HealthFailures { get; set; }

    /// <summary>Set when the pool stops the process on purpose (idle, unhealthy, shutdown), so its exit is not a crash.</summary>
    public volatile bool StoppedOnPurpose;

    public Task<int> Exited => _exited.Task;

    public long LastActivity => Interlocked.Read(ref _lastActivity);

    /// <summary>Binds a spare, which has run nothing yet, to the account it will serve from now on.</summary>
    public void AssignTo(int accountId)
    {
        if (AccountId != 0)
        {
            throw new InvalidOperationException($"Runner {Id} already serves account {AccountId}.");
        }
        AccountId = accountId;
    }

    public void Touch(TimeProvider time) => Interlocked.Exchange(ref _lastActivity, time.GetTimestamp());

    /// <summary>Starts a runner process for the account; account 0 starts a spare, bound later.</summary>
    public static RunnerProcess Start(int accountId, RunnerOptions options, string runnerPath, string dotnetPath, ILogger logger, TimeProvider time)
    {
        var id = (accountId == 0 ? "spare-" : $"account-{accountId}-") + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var start = new ProcessStartInfo(dotnetPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(runnerPath)!,
        };
        start.ArgumentList.Add(runnerPath);
        start.Environment.Clear();
        foreach (var name in InheritedVariables)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }
        start.Environment[RunnerEnvironment.Token] = token;
        start.Environment[RunnerEnvironment.Id] = id;
        start.Environment[RunnerEnvironment.Urls] = "http://127.0.0.1:0";
        start.Environment[RunnerEnvironment.MaxConcurrentTasks] = options.MaxTasksPerProcess.ToString(CultureInfo.InvariantCulture);
        start.Environment[RunnerEnvironment.WarmEngines] = options.WarmEngines.ToString(CultureInfo.InvariantCulture);
        start.Environment[RunnerEnvironment.ExitWithStdin] = "1";
        // Workstation GC: a runner is small, and server GC would reserve a heap per core in every process.
        start.Environment["DOTNET_gcServer"] = "0";
        if (options.ProcessMemoryBytes > 0)
        {
            start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + options.ProcessMemoryBytes.ToString("X", CultureInfo.InvariantCulture);
        }
        // Request logs of every task would drown the app's own log; warnings and errors still come through.
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var runner = new RunnerProcess(id, accountId, token, process, logger, time);
        process.OutputDataReceived += (_, e) => runner.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => runner.OnError(e.Data);
        process.Exited += (_, _) => runner.OnExited();
        if (!process.Start())
        {
            throw new InvalidOperationException($"{dotnetPath} {runnerPath} did not start.");
        }
        runner.ProcessId = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return runner;
    }

    /// <summary>The runner's base URL once it printed its ready line; fails if it exits or is too slow.</summary>
    public async Task<Uri> WaitUntilListeningAsync(TimeSpan timeout, CancellationToken ct)
    {
        var exitedFirst = Exited.ContinueWith<Uri>(
            t => throw new InvalidOperationException($"Runner {Id} exited with code {t.Result} before it was ready."),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var first = await Task.WhenAny(_ready.Task, exitedFirst).WaitAsync(timeout, ct);
        BaseUrl = await first;
        return BaseUrl;
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            _logger.LogWarning("Could not kill runner {RunnerId}: {Reason}", Id, e.Message);
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }
        if (!_ready.Task.IsCompleted && line.StartsWith(RunnerEnvironment.ReadyLinePrefix, StringComparison.Ordinal)
            && Uri.TryCreate(line[RunnerEnvironment.ReadyLinePrefix.Length..].Trim(), UriKind.Absolute, out var url))
        {
            _ready.TrySetResult(url);
            return;
        }
        _logger.LogInformation("Runner {RunnerId}: {Line}", Id, line);
    }

    private void OnError(string? line)
    {
        if (line is not null)
        {
            _logger.LogWarning("Runner {RunnerId}: {Line}", Id, line);
        }
    }

    private void OnExited()
    {
        int code;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = -1;
        }
        State = RunnerState.Exited;
        _exited.TrySetResult(code);
        _process.Dispose();
    }
}
