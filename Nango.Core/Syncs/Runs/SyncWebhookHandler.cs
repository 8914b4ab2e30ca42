using System.Text.Json.Nodes;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Tasks;
using Nango.Core.Logs;
using Nango.Core.Webhooks.Incoming;

namespace Nango.Core.Syncs.Runs;

/// <summary>
/// Runs the <c>onWebhook</c> handler of every enabled sync of the integration that subscribes to the provider webhook's
/// event (<c>webhookSubscriptions</c>; <c>*</c> takes every event), for the matched connection: one <c>webhook</c> task
/// each, queued here and run by a runner like any other task, so the provider gets its 200 at once.
/// </summary>
public sealed class SyncWebhookHandler(FunctionService functions, TaskStore tasks, ILogService logs) : IIncomingWebhookHandler
{
    /// <summary>Webhook tasks of one environment running at once (Nango: 500).</summary>
    public const int ConcurrencyPerEnvironment = 500;

    public async Task HandleAsync(IncomingWebhookEvent webhook, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        var syncs = await functions.ListAllAsync(webhook.Environment, webhook.ProviderConfigKey, ct) ?? [];
        foreach (var sync in syncs.Where(f => f.Type == FunctionTypes.Sync && f.Enabled && Subscribes(f, webhook.EventType)))
        {
            var log = logs.StartOperation(OperationStart.For(LogOperationKinds.WebhookSync, webhook.Environment) with
            {
                IntegrationId = webhook.IntegrationId,
                IntegrationKey = webhook.ProviderConfigKey,
                Provider = webhook.Provider,
                ConnectionId = webhook.ConnectionInternalId,
                ConnectionName = webhook.ConnectionId,
                FunctionName = sync.Name,
                State = OperationStates.Waiting,
                Meta = new JsonObject { ["event"] = webhook.EventType, ["version"] = sync.Current.Version },
            });
            var payload = new JsonObject
            {
                ["input"] = webhook.Payload.DeepClone(),
                ["version"] = sync.Current.Version,
                ["integrationKey"] = webhook.ProviderConfigKey,
                ["provider"] = webhook.Provider,
                ["connectionId"] = webhook.ConnectionId,
                ["environmentName"] = webhook.Environment.EnvironmentName,
                ["variant"] = SyncVariants.Base,
                ["log"] = TaskEndings.LogReference(log.Id, log.CreatedAt),
            };
            await tasks.CreateAsync(new NewTask(
                webhook.Environment.AccountId, webhook.Environment.EnvironmentId, webhook.IntegrationId, webhook.ConnectionInternalId,
                TaskKinds.Webhook, sync.Name, payload, TaskTimeouts.Webhook, ConcurrencyPerEnvironment, 0, log.Id), ct);
        }
    }

    private static bool Subscribes(FunctionSummary sync, string? eventType) =>
        sync.Current.WebhookSubscriptions.Any(s => s == "*" || (eventType is not null && string.Equals(s, eventType, StringComparison.Ordinal)));
}
