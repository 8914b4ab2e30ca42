using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
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
    ILogService logs)
{
    public const int MaxAsyncRetries = 5;

    /// <summary>Async actions of one environment run one at a time, in order (Nango's behaviour).</summary>
    public const int AsyncConcurrencyPerEnvironment = 1;

    /// <summary>Sync actions of one environment running at once (Nango: ACTION_ENVIRONMENT_MAX_CONCURRENCY).</summary>
    public const int SyncConcurrencyPerEnvironment = 500;

    public async Task<ActionOutcome> TriggerAsync(ActionTrigger trigger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var env = trigger.Environment;
        Integrations.Integration integration;
        Connections.Connection connection;
        await using (var db = await contextFactory.CreateDbContextAsync(ct))
        {
            var target = await (
                from i in db.Integrations.AsNoTracking()
                where i.EnvironmentId == env.EnvironmentId && i.UniqueKey == trigger.ProviderConfigKey && i.DeletedAt == null
                from c in db.Connections.AsNoTracking()
                    .Where(c => c.IntegrationId == i.Id && c.EnvironmentId == env.EnvironmentId && c.ConnectionId == trigger.ConnectionId && c.DeletedAt == null)
                    .DefaultIfEmpty()
                select new { Integration = i, Connection = c }).FirstOrDefaultAsync(ct);
            if (target?.Connection is null)
            {
                return ActionOutcome.Error(400, ErrorCodes.UnknownConnection, "Provided ConnectionId and ProviderConfigKey does not match a valid connection");
            }
            (integration, connection) = (target.Integration, target.Connection);
        }

        var action = await functions.GetAsync(env, integration, trigger.ActionName, FunctionTypes.Action, ct);
        if (action is null)
        {
            return ActionOutcome.Error(404, ErrorCodes.NotFound, $"Action '{trigger.ActionName}' is not deployed for the integration '{trigger.ProviderConfigKey}'.");
        }
        if (!action.Enabled)
        {
            return ActionOutcome.Error(404, "disabled_resource", $"The action '{trigger.ActionName}' is disabled.");
        }
        var inputErrors = FunctionSchemas.Validate(action.Current.JsonSchema, action.Current.Input, trigger.Input);
        if (inputErrors.Count > 0)
        {
            return ActionOutcome.Error(400, "invalid_action_input", "The action's input does not match its input model.", errors: inputErrors);
        }

        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.ActionRun, env) with
        {
            IntegrationId = integration.Id,
            IntegrationKey = integration.UniqueKey,
            Provider = integration.Provider,
            ConnectionId = connection.Id,
            ConnectionName = connection.ConnectionId,
            FunctionName = trigger.ActionName,
            State = OperationStates.Waiting,
            Meta = new JsonObject { ["input"] = trigger.Input?.DeepClone(), ["async"] = trigger.Async, ["version"] = action.Current.Version },
        });
        var payload = new JsonObject
        {
            ["input"] = trigger.Input?.DeepClone(),
            ["version"] = action.Current.Version,
            ["codeHash"] = action.Current.CodeHash,
            ["integrationKey"] = integration.UniqueKey,
            ["provider"] = integration.Provider,
            ["connectionId"] = connection.ConnectionId,
            ["environmentName"] = env.EnvironmentName,
            ["async"] = trigger.Async,
            ["log"] = TaskEndings.LogReference(log.Id, log.CreatedAt),
        };
        // A synchronous call waits for the task's end: registered before the task exists, the wait needs no first read.
        var taskId = Guid.CreateVersion7();
        using var wait = trigger.Async ? null : completions.Expect(taskId);
        var task = await tasks.CreateAsync(new NewTask(
            env.AccountId, env.EnvironmentId, integration.Id, connection.Id, TaskKinds.Action, trigger.ActionName, payload,
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
