using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nango.Core.Functions.Actions;
using Nango.Core.Functions.Checkpoints;
using Nango.Core.Functions.Runners;
using Nango.Core.Functions.Tasks;

namespace Nango.Core.Functions;

public static class FunctionsServiceCollectionExtensions
{
    /// <summary>The task queue, this instance's dispatcher to the runners, cross-instance waiting for results, and actions.</summary>
    public static IServiceCollection AddNangoFunctions(this IServiceCollection services)
    {
        services.TryAddSingleton<InternalApiAddress>();
        services.TryAddSingleton<TaskStore>();
        services.TryAddSingleton<TaskCompletions>();
        services.TryAddSingleton<TaskSlots>();
        services.TryAddSingleton<TaskEndings>();
        services.TryAddSingleton<TaskDispatcher>();
        services.TryAddSingleton<Syncs.Runs.SyncRunService>();
        services.AddSingleton<IRunnerTaskFailureSink>(sp => sp.GetRequiredService<TaskSlots>());
        services.TryAddSingleton<CheckpointStore>();
        services.TryAddSingleton<ActionService>();
        services.TryAddSingleton<ActionWebhooks>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskCompletions>());
        services.AddHostedService(sp => sp.GetRequiredService<TaskDispatcher>());
        return services;
    }
}
