using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Nango.Core.Syncs.Schedules;

public static class SyncSchedulesServiceCollectionExtensions
{
    /// <summary>The scheduler (its tick is a Quartz job in Scheduling) and the sync control API's service.</summary>
    public static IServiceCollection AddNangoSyncSchedules(this IServiceCollection services)
    {
        services.TryAddSingleton<SyncScheduler>();
        services.TryAddSingleton<SyncControlService>();
        return services;
    }
}
