using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nango.Core.Caching;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Tasks;
using Nango.Core.Logs;
using Nango.Core.Persistence;

namespace Nango.Core.Functions.Actions;

/// <summary>What <c>POST /action/trigger</c> asks for.</summary>
public sealed record ActionTrigger(EnvironmentContext Environment, string ProviderConfigKey, string ConnectionId, string ActionName, JsonNode? Input, bool Async, int MaxRetries);

/// <summary>
/// An action's answer: its output (200), an accepted async run (202 with <see cref="Id"/>), or an error in Nango's
/// terms (<see cref="ErrorCode"/>, with the script's <see cref="Payload"/> or the provider's <see cref="Upstream"/>).
/// <see cref="LogOperationId"/> is the run's <c>action</c> operation in Logs, once the run got that far.
/// </summary>
public sealed record ActionOutcome(int Status, JsonNode? Output = null, Guid? Id = null, string? ErrorCode = null, string? Message = null, JsonNode? Payload = null, JsonNode? Upstream = null, IReadOnlyList<ValidationError>? Errors = null)
{
    public Guid? LogOperationId { get; init; }

    public bool IsError => ErrorCode is not null;

    public static ActionOutcome Error(int status, string code, string message, JsonNode? payload = null, JsonNode? upstream = null, IReadOnlyList<ValidationError>? errors = null) =>
        new(status, ErrorCode: code, Message: message, Payload: payload, Upstream: upstream, Errors: errors);
}

/// <summary>
/// Runs actions (reference §1.9): checks the connection, the deployed action and its input schema, queues a task for
/// the account's runner, then either waits for the result — on whichever instance it arrives, through
/// <see cref="TaskCompletions"/> — or answers 202 at once for <c>X-Async</c> calls, whose result is read later by id.
/// One <c>action</c> log operation per call holds the script's own log lines and its proxy calls.
/// </summary>
public sealed class ActionService(
    IDbContextFactory<NangoDbContext> contextFactory,
    FunctionService functions,
    TaskStore tasks,
    TaskCompletions completions,
    ILogService logs,
    ChangeSignals changes,
    TimeProvider clock,
    IOptions<NangoOptions> options)
{
    /// <summary>
    /// (environment, integration key, connection id) → the ids and names a trigger needs, kept coherent like every
    /// cache of these rows: evicted by the connection's own change, or any change to the environment's integrations.
    /// </summary>
    private readonly CoherentCache<(int EnvironmentId, string ProviderConfigKey, string ConnectionId), ActionTarget> _targets = CreateTargetCache(changes, clock, options);

    private static CoherentCache<(int, string, string), ActionTarget> CreateTargetCache(ChangeSignals changes, TimeProvider clock, IOptions<NangoOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CoherentCache<(int, string, string), ActionTarget>(changes, clock, options.Value.Cache.FunctionTtl)
            .EvictOn((signal, key, _) => key.Item1 == signal.EnvironmentId && (signal.Scope != ChangeScope.Connection || key.Item3 == signal.ConnectionId),
                ChangeScope.Environment, ChangeScope.Integration, ChangeScope.Connection);
    }

    public const int MaxAsyncRetries = 5;

    /// <summary>Async actions of one environment run one at a time, in order (Nango's behaviour).</summary>
    public const int AsyncConcurrencyPerEnvironment = 1;

    /// <summary>Sync actions of one environment running at once (Nango: ACTION_ENVIRONMENT_MAX_CONCURRENCY).</summary>
    public const int SyncConcurrencyPerEnvironment = 500;

    public async Task<ActionOutcome> TriggerAsync(ActionTrigger trigger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var env = trigger.Environment;
        var target = await FindTargetAsync(env, trigger.ProviderConfigKey, trigger.ConnectionId, ct);
        if (target is null)
        {
            return ActionOutcome.Error(400, ErrorCodes.UnknownConnection, "Provided ConnectionId and ProviderConfigKey does not match a valid connection");
        }

        var action = await functions.FindRunnableAsync(env.EnvironmentId, target.IntegrationKey, trigger.ActionName, FunctionTypes.Action, ct);
        if (action is null)
        {
            return ActionOutcome.Error(404, ErrorCodes.NotFound, $"Action '{trigger.ActionName}' is not deployed for the integration '{trigger.ProviderConfigKey}'.");
        }
        if (!action.Enabled)
        {
            return ActionOutcome.Error(404, "disabled_resource", $"The action '{trigger.ActionName}' is disabled.");
        }
        var inputErrors = FunctionSchemas.Validate(action.JsonSchema, action.InputModel, trigger.Input);
        if (inputErrors.Count > 0)
        {
            return ActionOutcome.Error(400, "invalid_action_input", "The action's input does not match its input model.", errors: inputErrors);
        }

        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.ActionRun, env) with
        {
            IntegrationId = target.IntegrationId,
            IntegrationKey = target.IntegrationKey,
            Provider = target.Provider,
            ConnectionId = target.ConnectionRowId,
            ConnectionName = target.ConnectionId,
            FunctionName = trigger.ActionName,
            State = OperationStates.Waiting,
            Meta = new JsonObject { ["input"] = trigger.Input?.DeepClone(), ["async"] = trigger.Async, ["version"] = action.Version },
        });
        var payload = new JsonObject
        {
            ["input"] = trigger.Input?.DeepClone(),
            ["version"] = action.Version,
            ["codeHash"] = action.CodeHash,
            ["integrationKey"] = target.IntegrationKey,
            ["provider"] = target.Provider,
            ["connectionId"] = target.ConnectionId,
            ["environmentName"] = env.EnvironmentName,
            ["async"] = trigger.Async,
            ["log"] = TaskEndings.LogReference(log.Id, log.CreatedAt),
        };
        // A synchronous call waits for the task's end: registered before the task exists, the wait needs no first read.
        var taskId = Guid.CreateVersion7();
        using var wait = trigger.Async ? null : completions.Expect(taskId);
        var task = await tasks.CreateAsync(new NewTask(
            env.AccountId, env.EnvironmentId, target.IntegrationId, target.ConnectionRowId, TaskKinds.Action, trigger.ActionName, payload,
            trigger.Async ? TaskTimeouts.AsyncAction : TaskTimeouts.SyncAction,
            trigger.Async ? AsyncConcurrencyPerEnvironment : SyncConcurrencyPerEnvironment,
            trigger.Async ? trigger.MaxRetries : 0,
            log.Id), ct, taskId);
        if (wait is null)
        {
            return new ActionOutcome(202, Id: task.RetryKey) { LogOperationId = log.Id };
        }
        var waitFor = TimeSpan.FromSeconds(task.CreatedToStartedTimeoutSecs + task.StartedToCompletedTimeoutSecs + 5);
        var ended = await wait.WaitAsync(waitFor, ct);
        var outcome = ended is null || !TaskStates.IsTerminal(ended.State)
            ? ActionOutcome.Error(500, "execution_timeout", "The action did not finish in time.")
            : FromTask(ended);
        return outcome with { LogOperationId = log.Id };
    }

    private async Task<ActionTarget?> FindTargetAsync(EnvironmentContext env, string providerConfigKey, string connectionId, CancellationToken ct)
    {
        var key = (env.EnvironmentId, providerConfigKey, connectionId);
        if (_targets.TryGet(key, out var cached))
        {
            return cached;
        }
        var generation = _targets.Generation;
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var target = await _targetQuery(db, env.EnvironmentId, providerConfigKey, connectionId, ct);
        if (target is not null)
        {
            _targets.Store(key, target, generation);
        }
        return target;
    }

    private static readonly Func<NangoDbContext, int, string, string, CancellationToken, Task<ActionTarget?>> _targetQuery =
        EF.CompileAsyncQuery((NangoDbContext db, int environmentId, string providerConfigKey, string connectionId, CancellationToken ct) => (
            from i in db.Integrations
            where i.EnvironmentId == environmentId && i.UniqueKey == providerConfigKey && i.DeletedAt == null
            from c in db.Connections
            where c.IntegrationId == i.Id && c.EnvironmentId == environmentId && c.ConnectionId == connectionId && c.DeletedAt == null
            select new ActionTarget(i.Id, i.UniqueKey, i.Provider, c.Id, c.ConnectionId)).FirstOrDefault());

    /// <summary>The integration and connection an action runs for: only what the trigger needs of them.</summary>
    private sealed record ActionTarget(int IntegrationId, string IntegrationKey, string Provider, int ConnectionRowId, string ConnectionId);

    /// <summary><c>GET /action/:id</c>: the result of an async action once it has ended; not found while it waits or runs.</summary>
    public async Task<ActionOutcome> GetResultAsync(EnvironmentContext env, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        var task = await tasks.GetLatestByRetryKeyAsync(env.EnvironmentId, id, ct);
        if (task is null || task.Kind != TaskKinds.Action || !TaskStates.IsTerminal(task.State) || (task.State == TaskStates.Failed && task.RetryCount < task.RetryMax))
        {
            return ActionOutcome.Error(404, ErrorCodes.NotFound, $"No action '{id}' found");
        }
        return FromTask(task);
    }

    /// <summary>A finished task as the API answers it; errors keep the type, payload and upstream the runner reported.</summary>
    public static ActionOutcome FromTask(FunctionTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.State == TaskStates.Succeeded)
        {
            return new ActionOutcome(200, Output: task.Output is null ? null : JsonNode.Parse(task.Output));
        }
        var error = task.Error is null ? new JsonObject() : JsonNode.Parse(task.Error) as JsonObject ?? [];
        var type = error["type"]?.GetValue<string>() ?? (task.State == TaskStates.Expired ? "execution_timeout" : "action_script_failure");
        var message = error["message"]?.GetValue<string>() ?? $"The action ended {task.State.ToLowerInvariant()}.";
        var status = error["status"] is JsonValue s && s.TryGetValue<int>(out var st) ? st : StatusFor(type);
        return ActionOutcome.Error(status, type, message, error["payload"]?.DeepClone(), error["upstream"]?.DeepClone());
    }

    private static int StatusFor(string type) => type switch
    {
        "invalid_action_input" or "invalid_action_output" or "script_output_too_large" => 400,
        "script_http_error" => 424,
        "script_aborted" => 410,
        _ => 500,
    };
}
