using Microsoft.Extensions.Options;
using Nango.Core.Functions.Tasks;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>
/// Hourly removal of ended tasks older than <c>Nango__Functions__TaskRetentionDays</c> (<see cref="TaskStore.DeleteEndedAsync"/>);
/// clustered, so one instance runs it.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class TaskRetentionJob(TaskStore tasks, IOptions<NangoOptions> options, TimeProvider clock) : IJob
{
    public static readonly JobKey Key = new("task-retention", "functions");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var before = clock.GetUtcNow().AddDays(-options.Value.Functions.TaskRetentionDays);
        // Batches: keep going while a batch comes back full.
        while (await tasks.DeleteEndedAsync(before, cancellationToken) == TaskStore.DeleteBatchSize)
        {
        }
    }
}
