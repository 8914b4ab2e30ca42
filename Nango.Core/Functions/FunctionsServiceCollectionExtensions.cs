using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nango.Core.Functions.Tasks;

namespace Nango.Core.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>The task queue and the cross-instance wait for task results.</summary>
    public static IServiceCollection AddNangoFunctions(this IServiceCollection services)
    {
        services.TryAddSingleton<TaskStore>();
        services.TryAddSingleton<TaskCompletions>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskCompletions>());
        return services;
    }
}
