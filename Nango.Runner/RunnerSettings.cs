using System.Globalization;
using Nango.Runner.Execution;
using Nango.Runner.Protocol;

namespace Nango.Runner;

/// <summary>
/// The runner's own settings, from environment variables (RunnerEnvironment): a pool passes only these,
/// never Nango.Web's configuration, so the runner holds no database or encryption secrets.
/// Default limits apply when a task does not give its own.
/// </summary>
internal sealed class RunnerSettings
{
    public required string Token { get; init; }

    public string RunnerId { get; init; } = "runner";

    public string Urls { get; init; } = "http://127.0.0.1:0";

    public int MaxConcurrentTasks { get; init; } = 64;

    public int WarmEngines { get; init; } = 4;

    public bool ExitWithStdin { get; init; }

    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan DefaultCpuSlice { get; init; } = TimeSpan.FromSeconds(30);

    public int DefaultMaxStatements { get; init; }

    public long DefaultMemoryBytes { get; init; } = 512L * 1024 * 1024;

    public int DefaultMaxRecursion { get; init; } = 1000;

    public int DefaultMaxOutputBytes { get; init; } = 2 * 1024 * 1024;

    public static RunnerSettings? FromEnvironment(out string? problem)
    {
        var token = Environment.GetEnvironmentVariable(RunnerEnvironment.Token);
        if (string.IsNullOrWhiteSpace(token))
        {
            problem = $"{RunnerEnvironment.Token} is not set: the runner needs the bearer token its pool (or operator) gives it.";
            return null;
        }
        problem = null;
        return new RunnerSettings
        {
            Token = token,
            RunnerId = Environment.GetEnvironmentVariable(RunnerEnvironment.Id) ?? "runner",
            Urls = Environment.GetEnvironmentVariable(RunnerEnvironment.Urls) ?? "http://127.0.0.1:0",
            MaxConcurrentTasks = IntOr(RunnerEnvironment.MaxConcurrentTasks, 64),
            WarmEngines = IntOr(RunnerEnvironment.WarmEngines, 4),
            ExitWithStdin = Environment.GetEnvironmentVariable(RunnerEnvironment.ExitWithStdin) == "1",
        };
    }

    public EngineLimits EngineLimitsFor(RunnerLimits? limits) => new(
        limits?.CpuSliceMs is > 0 and var slice ? TimeSpan.FromMilliseconds(slice) : DefaultCpuSlice,
        limits?.MaxStatements ?? DefaultMaxStatements,
        limits?.MemoryBytes is > 0 and var memory ? memory : DefaultMemoryBytes,
        limits?.MaxRecursion is > 0 and var depth ? depth : DefaultMaxRecursion);

    public TimeSpan TimeoutFor(RunnerLimits? limits) => limits?.TimeoutMs is > 0 and var ms ? TimeSpan.FromMilliseconds(ms) : DefaultTimeout;

    public int MaxOutputBytesFor(RunnerLimits? limits) => limits?.MaxOutputBytes is > 0 and var max ? max : DefaultMaxOutputBytes;

    private static int IntOr(string name, int fallback)
        => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
