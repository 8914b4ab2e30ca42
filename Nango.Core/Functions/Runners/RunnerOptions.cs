using Nango.Runner.Protocol;

namespace Nango.Core.Functions.Runners;

/// <summary>Where functions run (<c>Nango__Runner__*</c>). Local: processes this instance spawns, one or more
/// per account and never shared between accounts. Remote: runners started elsewhere, at <see cref="Urls"/>.</summary>
public sealed class RunnerOptions
{
    public const string LocalMode = "Local";
    public const string RemoteMode = "Remote";

    public string Mode { get; set; } = LocalMode;

    /// <summary>Remote mode: base URLs of the runners; an account always goes to the same one.</summary>
    public List<string> Urls { get; set; } = [];

    /// <summary>Remote mode: the NANGO_RUNNER_TOKEN the remote runners were started with.</summary>
    public string? Token { get; set; }

    /// <summary>Base URL runners call back on; default <c>Nango__InternalUrl</c>. Set it when remote runners
    /// reach this instance by another address.</summary>
    public string? CallbackUrl { get; set; }

    /// <summary>Nango.Runner.dll; default: next to the app, or in a sibling <c>runner</c> folder.</summary>
    public string? Path { get; set; }

    /// <summary>The dotnet host that starts the runner; default: the one running this app.</summary>
    public string? DotnetPath { get; set; }

    /// <summary>Runner processes on this instance, all accounts together.</summary>
    public int MaxProcesses { get; set; } = 8;

    public int MaxProcessesPerAccount { get; set; } = 1;

    /// <summary>
    /// Processes started ahead of need and bound to no account (0 or 1): an account's first runner is one of them, so
    /// its first action does not wait for a process to start and load zod. A spare has never run anything, so handing
    /// it to any account keeps processes unshared. It counts against <see cref="MaxProcesses"/> and is the first
    /// process stopped to make room; the first is started when the pool is first used.
    /// </summary>
    public int SpareProcesses { get; set; } = 1;

    /// <summary>Tasks in flight on each of an account's processes before another one is started for it
    /// (up to <see cref="MaxProcessesPerAccount"/>).</summary>
    public int TasksPerProcess { get; set; } = 32;

    /// <summary>Tasks one runner process accepts at once (it answers 503 beyond).</summary>
    public int MaxTasksPerProcess { get; set; } = 64;

    /// <summary>Jint engines with zod loaded that each runner keeps ready.</summary>
    public int WarmEngines { get; set; } = 4;

    /// <summary>A process with no task for this long is stopped.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Failed health checks in a row after which a process is killed and replaced.</summary>
    public int HealthCheckFailures { get; set; } = 3;

    /// <summary>First delay before an account's runner is started again after a crash; doubles per crash in a row.</summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRestartBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Managed heap cap of each runner process (DOTNET_GCHeapHardLimit); 0 for none.</summary>
    public long ProcessMemoryBytes { get; set; } = 1024L * 1024 * 1024;

    public RunnerLimitOptions Limits { get; set; } = new();
}

/// <summary>Default limits of every task (<c>Nango__Runner__Limits__*</c>); a task may carry its own.</summary>
public sealed class RunnerLimitOptions
{
    /// <summary>Wall clock of a whole task, time awaiting calls included (Nango: 15 minutes for actions).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest stretch of JavaScript without waiting on a call.</summary>
    public TimeSpan CpuSlice { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Statements per task; 0 means no limit.</summary>
    public int MaxStatements { get; set; }

    /// <summary>Bytes a task may allocate per stretch of JavaScript.</summary>
    public long MemoryBytes { get; set; } = 512L * 1024 * 1024;

    public int MaxRecursion { get; set; } = 1000;

    /// <summary>Largest JSON output of a function (Nango: 2 MB).</summary>
    public int MaxOutputBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>These defaults under the task's own values.</summary>
    public RunnerLimits Apply(RunnerLimits? own) => new()
    {
        TimeoutMs = own?.TimeoutMs ?? (int)Timeout.TotalMilliseconds,
        CpuSliceMs = own?.CpuSliceMs ?? (int)CpuSlice.TotalMilliseconds,
        MaxStatements = own?.MaxStatements ?? MaxStatements,
        MemoryBytes = own?.MemoryBytes ?? MemoryBytes,
        MaxRecursion = own?.MaxRecursion ?? MaxRecursion,
        MaxOutputBytes = own?.MaxOutputBytes ?? MaxOutputBytes,
    };
}
