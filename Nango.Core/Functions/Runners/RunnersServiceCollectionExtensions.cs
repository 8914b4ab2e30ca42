using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Nango.Core.Functions.Runners;

public static class RunnersServiceCollectionExtensions
{
    /// <summary>The runner pool and its client. Processes start on the first task, not at start-up; the container
    /// disposes the pool at shutdown, which kills them (and they exit by themselves when this process dies).</summary>
    public static IServiceCollection AddNangoRunners(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RunnerPool>();
        services.TryAddSingleton<RunnerClient>();
        return services;
    }
}
