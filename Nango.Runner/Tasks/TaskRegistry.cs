using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Nango.Runner.Execution;
using Nango.Runner.Host;
using Nango.Runner.Protocol;

namespace Nango.Runner.Tasks;

internal enum StartOutcome
{
    Started,
    AlreadyRunning,
    Full,
}

/// <summary>
/// The tasks this runner is running. Each runs on its own engine in the background: heartbeats while it runs,
/// its result reported to the callback API when it ends, whatever happened to it.
/// </summary>
internal sealed class TaskRegistry(
    RunnerSettings settings,
    ScriptExecutor executor,
    FunctionCache functions,
    HostClient host,
    StoredRecordHashes storedHashes,
    ILogger<TaskRegistry> logger)
{
    private static readonly TimeSpan[] ResultRetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];
    private readonly ConcurrentDictionary<string, RunningTask> _running = new(StringComparer.Ordinal);

    public IReadOnlyList<string> RunningTaskIds => [.. _running.Keys];

    public StartOutcome Start(RunnerTaskRequest request)
    {
        if (_running.Count >= settings.MaxConcurrentTasks)
        {
            return StartOutcome.Full;
        }
        var task = new RunningTask(request, settings.TimeoutFor(request.Limits));
        if (!_running.TryAdd(request.TaskId, task))
        {
            task.Dispose();
            return StartOutcome.AlreadyRunning;
        }
        // The synchronous part of a function (up to its first await) runs on the thread pool, not the request thread.
        _ = Task.Run(() => RunAsync(task));
        return StartOutcome.Started;
    }

    /// <summary>Whose records a task saves: its connection in its environment, and the variant of its sync.</summary>
    private static string RecordsScope(RunnerTaskRequest request) =>
        string.Join('\n', request.Connection.Environment, request.Connection.ProviderConfigKey, request.Connection.ConnectionId, request.Sync?.Variant ?? "base");

    public bool Abort(string taskId)
    {
        if (!_running.TryGetValue(taskId, out var task))
        {
            return false;
        }
        task.Abort();
        return true;
    }

    private async Task RunAsync(RunningTask task)
    {
        var request = task.Request;
        var started = Stopwatch.GetTimestamp();
        var taskHost = new TaskHost(host, request.CallbackUrl, request.TaskId, storedHashes, RecordsScope(request), task.Cancellation);
        using var heartbeats = new CancellationTokenSource();
        var heartbeatLoop = HeartbeatAsync(task, heartbeats.Token);
        RunnerTaskResult result;
        try
        {
            var function = await CompileAsync(request, task.Cancellation);
            result = await executor.ExecuteAsync(request, function, taskHost, () => task.StopReason, task.Cancellation);
        }
        catch (Exception e)
        {
            result = ScriptExecutor.Failure(request.TaskId, ScriptExecutor.Describe(e, settings.EngineLimitsFor(request.Limits), task.Timeout, task.StopReason));
        }
        finally
        {
            taskHost.Close();
            await heartbeats.CancelAsync();
        }
        await heartbeatLoop;
        result = result with { DurationMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds };
        // Listed as running until its result is delivered: a pool that saw it gone would take the runner for idle
        // and might stop it while the result is still on its way.
        await ReportAsync(request, result);
        _running.TryRemove(request.TaskId, out _);
        task.Dispose();
    }

    private async Task<CompiledFunction> CompileAsync(RunnerTaskRequest request, CancellationToken ct)
    {
        var fn = request.Function;
        if (functions.TryGet(fn.Name, fn.Version, fn.CodeHash, out var cached))
        {
            return cached!;
        }
        var code = fn.Code;
        if (code is null)
        {
            var reply = await host.SendAsync(HttpMethod.Get, request.CallbackUrl, RunnerRoutes.CallbackCode, request.TaskId, json: null, ct);
            if (!reply.IsSuccess)
            {
                throw new InvalidOperationException($"The function's code could not be fetched: the internal API answered {(int)reply.Status}.");
            }
            code = reply.Body;
        }
        return functions.GetOrCompile(fn.Name, fn.Version, fn.CodeHash, code);
    }

    private async Task HeartbeatAsync(RunningTask task, CancellationToken ct)
    {
        var request = task.Request;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(50, request.HeartbeatIntervalMs)));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    var reply = await host.SendAsync(HttpMethod.Post, request.CallbackUrl, RunnerRoutes.CallbackHeartbeat, request.TaskId, json: null, ct);
                    if (reply.Status == HttpStatusCode.Gone)
                    {
                        // Web cancelled the task (or expired it): stop working on it.
                        task.Abort();
                    }
                }
                catch (HttpRequestException e)
                {
                    logger.LogWarning("Heartbeat of task {TaskId} failed: {Reason}", request.TaskId, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The task ended.
        }
    }

    private async Task ReportAsync(RunnerTaskRequest request, RunnerTaskResult result)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var reply = await host.SendAsync(HttpMethod.Put, request.CallbackUrl, RunnerRoutes.CallbackResult, request.TaskId, result, CancellationToken.None);
                if (reply.IsSuccess || (int)reply.Status is >= 400 and < 500)
                {
                    if (!reply.IsSuccess)
                    {
                        logger.LogWarning("The result of task {TaskId} was refused: {Status}", request.TaskId, (int)reply.Status);
                    }
                    return;
                }
            }
            catch (HttpRequestException e)
            {
                logger.LogWarning("Reporting the result of task {TaskId} failed: {Reason}", request.TaskId, e.Message);
            }
            if (attempt >= ResultRetryDelays.Length)
            {
                logger.LogError("The result of task {TaskId} could not be reported; Web will expire the task", request.TaskId);
                return;
            }
            await Task.Delay(ResultRetryDelays[attempt]);
        }
    }

    private sealed class RunningTask : IDisposable
    {
        private readonly CancellationTokenSource _abort = new();
        private readonly CancellationTokenSource _timeout;
        private readonly CancellationTokenSource _linked;

        public RunningTask(RunnerTaskRequest request, TimeSpan timeout)
        {
            Request = request;
            Timeout = timeout;
            _timeout = new CancellationTokenSource(timeout);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token, _timeout.Token);
        }

        public RunnerTaskRequest Request { get; }

        public TimeSpan Timeout { get; }

        public CancellationToken Cancellation => _linked.Token;

        public StopReason StopReason => _abort.IsCancellationRequested ? StopReason.Aborted
            : _timeout.IsCancellationRequested ? StopReason.TimedOut
            : StopReason.None;

        public void Abort()
        {
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Finished meanwhile.
            }
        }

        public void Dispose()
        {
            _linked.Dispose();
            _timeout.Dispose();
            _abort.Dispose();
        }
    }
}
