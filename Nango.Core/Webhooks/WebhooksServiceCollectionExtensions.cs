using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Nango.Core.Http;
using Nango.Core.Webhooks.Incoming;

namespace Nango.Core.Webhooks;

public static class WebhooksServiceCollectionExtensions
{
    /// <summary>
    /// The outbox publisher, this instance's delivery worker (which other instances share the queue with), and the
    /// receiver of incoming provider webhooks.
    /// </summary>
    public static IServiceCollection AddNangoWebhooks(this IServiceCollection services, string connectionString)
    {
        services.TryAddSingleton(_ => Npgsql.NpgsqlDataSource.Create(connectionString));
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<NangoOptions>>().Value.Webhooks);
        services.TryAddSingleton(sp => OutboundAddressGuard.FromOptions(
            sp.GetRequiredService<IOptions<NangoOptions>>().Value.Proxy, sp.GetRequiredService<IHostEnvironment>().IsDevelopment()));
        services.TryAddSingleton<WebhookPublisher>();
        services.TryAddSingleton<WebhookDeliveryStore>();
        services.TryAddSingleton<WebhookDeliveryService>();
        services.TryAddSingleton<WebhookWakeup>();
        // Sync onWebhook handlers: a webhook task per subscribed sync of the matched connection.
        services.AddIncomingWebhookHandler<Syncs.Runs.SyncWebhookHandler>();
        services.TryAddSingleton<IncomingWebhookService>();
        services.TryAddSingleton<WebhookDeliveryWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookWakeup>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDeliveryWorker>());
        return services;
    }
}
