using System.Globalization;
using System.Text.Json.Nodes;
using Nango.Core.Environments;
using Nango.Core.Functions.Actions;
using Nango.Core.Logs;
using Nango.Core.Syncs.Runs;

namespace Nango.Core.Functions.Tasks;

/// <summary>
/// What follows the end of one attempt of a task, whichever way it ended — its runner's result, its runner dying, or
/// the dispatcher finding no runner: the task's log operation is ended (a failed attempt that will be retried only
/// adds a line, so retries share one operation whose final state is the last attempt's), and an async action that
/// ended for good announces itself with its webhook. Sync runs end through <see cref="SyncRunService.FinishAsync"/>.
/// </summary>
public sealed class TaskEndings(TaskStore store, ILogService logs, EnvironmentService environments, ActionWebhooks webhooks, SyncRunService syncRuns)
{
    /// <summary>
    /// Call once, after the store accepted the end of <paramref name="task"/> (as it was while running);
    /// <paramref name="error"/> is the stored error, null for a success.
    /// </summary>
    public async Task AttemptEndedAsync(FunctionTask task, EnvironmentContext? environment, JsonObject? error, long? durationMs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (task.Kind == TaskKinds.Sync)
        {
            // A sync run ends with its counts, lastSyncDate and a webhook per model; the sync's own code does all of it.
            await syncRuns.FinishAsync(task.Id, ct);
            return;
        }
        if (task.Kind == TaskKinds.Webhook && await syncRuns.FinishAsync(task.Id, ct))
        {
            // A sync's onWebhook run ended like a sync run (counts, a WEBHOOK sync webhook per model, its log). One that
            // never reached its runner has no run: its log ends below.
            return;
        }
        environment ??= await environments.FindByIdAsync(task.EnvironmentId, ct);
        if (environment is null)
        {
            return; // The environment was deleted meanwhile, its logs and webhooks with it.
        }
        var payload = JsonNode.Parse(task.Payload) as JsonObject ?? [];
        var retrying = error is not null && task.RetryCount < task.RetryMax;
        if (LogOf(payload) is var (logId, createdAt))
        {
            var log = logs.ResumeOperation(logId, createdAt, environment);
            if (error is null)
            {
                log.Info(durationMs is { } ms ? $"The {task.Kind} succeeded in {ms} ms." : $"The {task.Kind} succeeded.");
                log.Succeed();
            }
            else
            {
                var logError = new LogError(error["type"]?.GetValue<string>() ?? "error", error["message"]?.GetValue<string>() ?? "", Payload: error["payload"]?.DeepClone());
                if (retrying)
                {
                    log.Warn($"Attempt {task.RetryCount + 1} failed ({logError.Name}: {logError.Message}); retrying ({task.RetryCount + 1} of {task.RetryMax} retries).");
                }
                else
                {
                    log.Error(logError.Message, logError);
                    log.Fail(logError);
                }
            }
        }
        if (!retrying && task.Kind == TaskKinds.Action && payload["async"]?.GetValue<bool>() == true
            && await store.GetAsync(task.Id, ct) is { } ended)
        {
            await webhooks.AsyncActionEndedAsync(environment, ended, ct);
        }
    }

    /// <summary>The payload's reference to a task's log operation, as <see cref="LogOf"/> reads it back.</summary>
    public static JsonObject LogReference(Guid id, DateTimeOffset createdAt) =>
        new() { ["id"] = id.ToString(), ["createdAt"] = createdAt.ToString("O", CultureInfo.InvariantCulture) };

    /// <summary>The log operation a task's payload names (<c>log: {id, createdAt}</c>), if any.</summary>
    public static (Guid Id, DateTimeOffset CreatedAt)? LogOf(JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Guid.TryParse(payload["log"]?["id"]?.GetValue<string>(), out var id)
            && DateTimeOffset.TryParse(payload["log"]?["createdAt"]?.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? (id, at)
            : null;
    }
}
