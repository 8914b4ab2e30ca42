using Nango.Core.Functions.Tasks;
using Nango.Core.Syncs.Runs;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>
/// Expires function tasks past their timeouts (Nango's orchestrator daemon): a clustered job, so one instance sweeps
/// at a time; a task of a crashed instance or runner ends here, and is retried when it has retries left.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class TaskExpiryJob(TaskStore tasks, SyncRunService syncRuns) : IJob
{
    public static readonly JobKey Key = new("task-expiry", "functions");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        // Batches of 1,000: keep going while a batch comes back full.
        while (await tasks.ExpireAsync(cancellationToken) == 1000)
        {
        }
        // Sync runs whose task ended elsewhere than in a runner's result (expired, lost runner) get their webhooks and log end here.
        while (await syncRuns.FinishEndedAsync(cancellationToken) == 100)
        {
        }
        await syncRuns.FlagStalledAsync(cancellationToken);
    }
}
