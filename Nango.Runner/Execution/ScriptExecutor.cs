using System.Text;
using System.Text.Json;
using Jint;
using Jint.Runtime;
using Nango.Runner.Protocol;

namespace Nango.Runner.Execution;

/// <summary>Why a run was stopped from outside, so the error names the right cause.</summary>
internal enum StopReason
{
    None,
    Aborted,
    TimedOut,
}

/// <summary>
/// Runs one task's function on a pooled engine and turns the outcome (the function's own, or a limit the engine
/// enforced) into a <see cref="RunnerTaskResult"/>. Limits are .NET exceptions from Jint that script code cannot
/// catch; the function's own errors are mapped in nango-runtime.js.
/// </summary>
internal sealed class ScriptExecutor(EnginePool engines, RunnerSettings settings)
{
    public async Task<RunnerTaskResult> ExecuteAsync(
        RunnerTaskRequest request,
        CompiledFunction function,
        IScriptHost host,
        Func<StopReason> stopReason,
        CancellationToken cancellation)
    {
        var limits = settings.EngineLimitsFor(request.Limits);
        var context = JsonSerializer.Serialize(new
        {
            kind = request.Kind,
            connectionId = request.Connection.ConnectionId,
            providerConfigKey = request.Connection.ProviderConfigKey,
            provider = request.Connection.Provider,
            environment = request.Connection.Environment,
            providerPaginate = request.ProviderPaginate,
            variant = request.Sync?.Variant ?? "base",
            lastSyncDate = request.Sync?.LastSyncDate,
            syncMode = request.Sync?.SyncMode,
        }, RunnerJson.Options);
        var input = request.Input is { ValueKind: not JsonValueKind.Undefined } value ? value.GetRawText() : null;

        ScriptEngine? engine = null;
        var reusable = false;
        try
        {
            engine = await engines.RentAsync(limits, cancellation);
            var rented = engine;
            // The JavaScript that runs once a host call returns gets a full CPU slice.
            async Task<string> Answered(Task<string> call)
            {
                var answer = await call;
                rented.RestartCpuSlice();
                return answer;
            }
            var promise = engine.Start(
                function,
                (operation, json) => Answered(host.CallAsync(operation, json)),
                chunk => Answered(host.SendRecordsAsync(chunk)),
                context, input, cancellation);
            var outcome = await promise.UnwrapIfPromiseAsync(cancellation);
            var result = ParseOutcome(request, outcome.AsString());
            reusable = true;
            return result;
        }
        catch (Exception e)
        {
            return Failure(request.TaskId, Describe(e, limits, settings.TimeoutFor(request.Limits), stopReason()));
        }
        finally
        {
            if (engine is not null)
            {
                if (reusable)
                {
                    engines.Return(engine);
                }
                else
                {
                    engine.Dispose();
                }
            }
        }
    }

    private RunnerTaskResult ParseOutcome(RunnerTaskRequest request, string outcome)
    {
        using var document = JsonDocument.Parse(outcome);
        var root = document.RootElement;
        if (!root.GetProperty("ok").GetBoolean())
        {
            var error = root.GetProperty("error").Deserialize<RunnerError>(RunnerJson.Options)!;
            return Failure(request.TaskId, error);
        }
        var output = root.GetProperty("output");
        var maxBytes = settings.MaxOutputBytesFor(request.Limits);
        var size = Encoding.UTF8.GetByteCount(output.GetRawText());
        if (size > maxBytes)
        {
            return Failure(request.TaskId, new RunnerError
            {
                Type = RunnerErrorTypes.ScriptOutputTooLarge,
                Message = $"Output size is too large: {size} bytes. Maximum allowed size is {maxBytes} bytes.",
                Status = 400,
            });
        }
        return new RunnerTaskResult { TaskId = request.TaskId, Success = true, Output = output.Clone() };
    }

    internal static RunnerTaskResult Failure(string taskId, RunnerError error) => new() { TaskId = taskId, Success = false, Error = error };

    internal static RunnerError Describe(Exception exception, EngineLimits limits, TimeSpan timeout, StopReason stop)
    {
        if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            exception = aggregate.InnerExceptions[0];
        }
        return exception switch
        {
            _ when stop == StopReason.Aborted => Error(RunnerErrorTypes.ScriptAborted, "The function was aborted", 410),
            _ when stop == StopReason.TimedOut => Error(RunnerErrorTypes.ExecutionTimeout,
                $"The function did not finish within its time limit of {timeout.TotalMilliseconds:0} ms (time spent waiting on calls included)"),
            ScriptLimitException limit => Error(RunnerErrorTypes.ExecutionTimeout, limit.Message),
            MemoryLimitExceededException or OutOfMemoryException => Error(RunnerErrorTypes.OutOfMemory,
                $"The function allocated more than {limits.MemoryBytes / (1024 * 1024)} MB (memory limit)"),
            RecursionDepthOverflowException => Error(RunnerErrorTypes.ScriptInternalError,
                $"RangeError: Maximum call stack size exceeded (call depth limit {limits.MaxRecursion})"),
            FunctionSyntaxException syntax => Error(RunnerErrorTypes.ScriptInternalError, syntax.Message),
            JavaScriptException js => Error(RunnerErrorTypes.ScriptInternalError, js.Message),
            PromiseRejectedException rejected => Error(RunnerErrorTypes.ScriptInternalError, rejected.Message),
            OperationCanceledException or ExecutionCanceledException => Error(RunnerErrorTypes.ScriptAborted, "The function was stopped", 410),
            _ => Error(RunnerErrorTypes.ScriptInternalError, $"The runner failed to run the function: {exception.GetType().Name}: {exception.Message}"),
        };
    }

    private static RunnerError Error(string type, string message, int status = 500) => new() { Type = type, Message = message, Status = status };
}
