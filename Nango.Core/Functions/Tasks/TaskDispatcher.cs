using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Runners;
using Nango.Core.Functions.Store;
using Nango.Core.Persistence;
using Nango.Core.Providers;
using Nango.Core.Syncs.Runs;
using Nango.Runner.Protocol;
using Npgsql;

namespace Nango.Core.Functions.Tasks;

/// <summary>
/// This instance's share of the task queue (Nango's jobs service): woken by <c>NOTIFY nango_tasks</c> (or a poll),
/// it claims due tasks up to <see cref="MaxInFlight"/> and starts each on a runner of the task's account. Results come
/// back through the internal API; a task whose runner cannot take it, or dies running it, is failed here (and retried
/// when it has retries left).
/// </summary>
public sealed class TaskDispatcher(
    NpgsqlDataSource dataSource,
    TaskStore store,
    TaskSlots slots,
    RunnerClient runners,
    IFunctionBundleReader bundles,
    FunctionService functions,
    IProviderCatalog catalog,
    EnvironmentService environments,
    SyncRunService syncRuns,
    IOptions<NangoOptions> options,
    ILogger<TaskDispatcher> logger) : IHostedService, IDisposable
{
    /// <summary>Tasks this instance has running at once, all accounts together.</summary>
    public const int MaxInFlight = 256;

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly string _instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly StoppingSignal _stopping = new();
    private Task? _loop;
    private Task? _listening;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Functions.DispatchEnabled)
        {
            return Task.CompletedTask;
        }
        var ct = _stopping.Token;
        _listening = Task.Run(() => PostgresListener.ListenAsync(dataSource, TaskStore.CreatedChannel, _ => _wake.Writer.TryWrite(true), () => _wake.Writer.TryWrite(true), logger, ct), CancellationToken.None);
        _loop = Task.Run(() => RunAsync(ct), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        foreach (var task in new[] { _loop, _listening })
        {
            if (task is not null)
            {
                await task.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var free = MaxInFlight - slots.InFlight;
                var claimed = free > 0 ? await store.ClaimAsync(free, _instance, ct) : [];
                foreach (var task in claimed)
                {
                    slots.Take(task);
                    _ = DispatchAsync(task, ct);
                }
                if (claimed.Count == free && free > 0)
                {
                    continue;
                }
                await WaitForWakeAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning(ex, "Claiming function tasks failed; retrying");
                await Task.Delay(PollInterval, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>
    /// Until a task is announced (<c>NOTIFY</c>), a slot frees up, or the poll interval passes. Waits without taking the
    /// signal (WaitToReadAsync) and drains both channels before returning, so a wait abandoned when the other channel
    /// fired cannot swallow the next signal; the waits are cancelled on the way out, so none outlives its iteration.
    /// </summary>
    private async Task WaitForWakeAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PollInterval);
        try
        {
            await Task.WhenAny(_wake.Reader.WaitToReadAsync(timeout.Token).AsTask(), slots.Freed.WaitToReadAsync(timeout.Token).AsTask())
                .ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        finally
        {
            await timeout.CancelAsync();
        }
        while (_wake.Reader.TryRead(out _) || slots.Freed.TryRead(out _))
        {
        }
    }

    private async Task DispatchAsync(FunctionTask task, CancellationToken ct)
    {
        try
        {
            var payload = JsonNode.Parse(task.Payload) as JsonObject ?? [];
            var integrationKey = payload["integrationKey"]?.GetValue<string>() ?? "";
            var version = payload["version"]?.GetValue<string>() ?? "";
            // The version the task names is nearly always the live one (cached); when the live revision carries that label it
            // is also the label's latest deploy, which is what the task runs. An older queued version is read from the database.
            var live = await functions.FindRunnableAsync(task.EnvironmentId, integrationKey, task.FunctionName, FunctionTypeOf(task.Kind), ct);
            var bundle = (live is not null && live.Version == version ? await bundles.ReadAsync(live, integrationKey, ct) : null)
                ?? await bundles.ReadAsync(task.EnvironmentId, integrationKey, task.FunctionName, version, ct);
            if (bundle is null)
            {
                await FailAsync(task, new RunnerError { Type = "unknown_function", Message = $"The {task.Kind} '{task.FunctionName}' version {version} is no longer deployed.", Status = 404 }, ct);
                return;
            }
            var provider = catalog.Find(payload["provider"]?.GetValue<string>() ?? "");
            RunnerSync? sync = null;
            RunnerLimits? limits = null;
            if (task.Kind is TaskKinds.Sync or TaskKinds.Webhook)
            {
                var env = await environments.FindByIdAsync(task.EnvironmentId, ct);
                if (env is null)
                {
                    await FailAsync(task, new RunnerError { Type = "unknown_environment", Message = "The sync's environment no longer exists.", Status = 404 }, ct);
                    return;
                }
                // A sync's onWebhook handler is a run of its sync too (Nango makes it a sync job): its records are counted
                // the same way and end in the sync's webhooks.
                var started = await syncRuns.StartAsync(env, task, payload, ct);
                if (task.Kind == TaskKinds.Sync)
                {
                    sync = started;
                    limits = new RunnerLimits { TimeoutMs = (int)Math.Min(int.MaxValue, options.Value.Syncs.MaxRunDuration.TotalMilliseconds) };
                }
            }
            var request = new RunnerTaskRequest
            {
                TaskId = task.Id.ToString(),
                Kind = task.Kind,
                Function = new RunnerFunction { Name = bundle.Name, Version = bundle.Version, CodeHash = bundle.CodeHash, Code = bundle.Js },
                Connection = new RunnerConnection
                {
                    ProviderConfigKey = integrationKey,
                    ConnectionId = payload["connectionId"]?.GetValue<string>() ?? "",
                    Environment = payload["environmentName"]?.GetValue<string>() ?? "",
                    Provider = payload["provider"]?.GetValue<string>(),
                },
                Input = payload["input"] is { } input ? JsonSerializer.SerializeToElement(input) : null,
                ProviderPaginate = provider?.Proxy?.Paginate?.Raw is { Count: > 0 } paginate ? JsonSerializer.SerializeToElement(paginate) : null,
                CallbackUrl = "",
                Sync = sync,
                Limits = limits,
                // Three beats per heartbeat timeout, so one lost beat never expires a task that is still running.
                HeartbeatIntervalMs = Math.Clamp(task.HeartbeatTimeoutSecs * 1000 / 3, 100, 30_000),
            };
            var endpoint = await runners.StartTaskAsync(task.AccountId, request, ct);
            await store.AssignRunnerAsync(task.Id, endpoint.RunnerId, ct);
            if (task.Kind is TaskKinds.Sync or TaskKinds.Webhook)
            {
                await syncRuns.RunnerStartedAsync(task.Id, ct);
            }
        }
        catch (RunnerUnavailableException ex)
        {
            await FailAsync(task, new RunnerError { Type = RunnerErrorTypes.RuntimeOther, Message = ex.Message }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the task stays STARTED and expires (or is retried) by its heartbeat timeout.
        }
        catch (Exception ex) when (ex is NpgsqlException or HttpRequestException or JsonException or IOException)
        {
            logger.LogError(ex, "Dispatching task {TaskId} failed", task.Id);
            await FailAsync(task, new RunnerError { Type = RunnerErrorTypes.RuntimeOther, Message = $"The task could not be started: {ex.Message}" }, CancellationToken.None);
        }
    }

    private static string FunctionTypeOf(string kind) => kind switch
    {
        TaskKinds.Action => FunctionTypes.Action,
        TaskKinds.OnEvent => FunctionTypes.OnEvent,
        _ => FunctionTypes.Sync,
    };

    private async Task FailAsync(FunctionTask task, RunnerError error, CancellationToken ct)
    {
        var json = TaskSlots.ErrorJson(error);
        var failed = await store.FailAsync(task.Id, json, ct);
        slots.Release(task.Id);
        if (failed)
        {
            await slots.Endings.AttemptEndedAsync(task, null, json, null, ct);
        }
    }
}
