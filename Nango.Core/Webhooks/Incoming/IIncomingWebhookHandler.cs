using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nango.Core.Environments;

namespace Nango.Core.Webhooks.Incoming;

/// <summary>A verified provider webhook routed to one connection.</summary>
public sealed record IncomingWebhookEvent(
    EnvironmentContext Environment,
    int IntegrationId,
    string ProviderConfigKey,
    string Provider,
    int ConnectionInternalId,
    string ConnectionId,
    string? EventType,
    JsonNode Payload);

/// <summary>
/// Called once per matched connection after the forwards are queued: sync <c>onWebhook</c> handlers plug in here
/// (Syncs/Runs/SyncWebhookHandler runs the syncs subscribed to <see cref="IncomingWebhookEvent.EventType"/>).
/// Implementations must return quickly (queue work, do not run it): the provider is waiting for its 200.
/// </summary>
public interface IIncomingWebhookHandler
{
    Task HandleAsync(IncomingWebhookEvent webhook, CancellationToken ct);
}

public static class IncomingWebhookHandlerRegistration
{
    /// <summary>The one registration point for <see cref="IIncomingWebhookHandler"/>s; each type is added once.</summary>
    public static IServiceCollection AddIncomingWebhookHandler<THandler>(this IServiceCollection services)
        where THandler : class, IIncomingWebhookHandler
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IIncomingWebhookHandler, THandler>());
        return services;
    }
}
