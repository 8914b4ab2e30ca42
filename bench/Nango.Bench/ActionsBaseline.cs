extern alias NangoRunner;

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NangoRunner::Nango.Runner;
using NangoRunner::Nango.Runner.Execution;
using NangoRunner::Nango.Runner.Host;
using RunnerProtocol = NangoRunner::Nango.Runner.Protocol;

namespace Nango.Bench;

/// <summary>
/// Scenario <c>actions</c>' baseline: the same bundle run in this process by the runner's own execution code
/// (<see cref="ScriptExecutor"/> on a pool of warm Jint engines with zod loaded, the bundle prepared once) — what one
/// action costs with no HTTP, no database and no second process. The runner's default limits apply, as on the real path.
/// </summary>
internal sealed class ActionsBaseline
{
    private readonly ScriptExecutor _executor;
    private readonly CompiledFunction _function;
    private readonly string _code;
    private readonly string _hash;

    public ActionsBaseline(string code, int engines)
    {
        var settings = new RunnerSettings { Token = "bench", WarmEngines = engines };
        var pool = new EnginePool(settings);
        pool.Warm(settings.EngineLimitsFor(null), engines);
        _executor = new ScriptExecutor(pool, settings);
        _code = code;
        _hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));
        _function = FunctionCache.Compile(ActionsBenchmark.ActionName + "@1.0.0", code);
    }

    /// <summary>Runs the action on <paramref name="input"/>; null when it answered the input back, else what went wrong.</summary>
    public async Task<string?> RunAsync(JsonElement input)
    {
        var request = new RunnerProtocol.RunnerTaskRequest
        {
            TaskId = Guid.NewGuid().ToString(),
            Kind = RunnerProtocol.RunnerTaskKinds.Action,
            Function = new RunnerProtocol.RunnerFunction { Name = ActionsBenchmark.ActionName, Version = "1.0.0", CodeHash = _hash, Code = _code },
            Connection = new RunnerProtocol.RunnerConnection { ProviderConfigKey = ActionsBenchmark.IntegrationKey, ConnectionId = ActionsBenchmark.ConnectionName, Environment = "dev", Provider = "github" },
            Input = input,
            CallbackUrl = "http://127.0.0.1:1/",
        };
        var result = await _executor.ExecuteAsync(request, _function, new NoHost(), () => StopReason.None, CancellationToken.None);
        if (!result.Success)
        {
            return $"{result.Error?.Type}: {result.Error?.Message}";
        }
        return result.Output is { } output && JsonNode.DeepEquals(JsonNode.Parse(output.GetRawText()), JsonNode.Parse(input.GetRawText()))
            ? null
            : $"the output {result.Output?.GetRawText()} is not the input";
    }

    /// <summary>The trivial action calls nothing on <c>nango</c>; a call would be a bench bug.</summary>
    private sealed class NoHost : IScriptHost
    {
        public Task<string> CallAsync(string operation, string json) => throw new InvalidOperationException($"The bench action called host operation {operation}.");

        public Task<string> SendRecordsAsync(RecordChunk chunk) => throw new InvalidOperationException("The bench action saved records.");
    }
}
