using Microsoft.Extensions.Logging;
using Nango.Core.Syncs.Schedules;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>
/// The sync scheduler tick: enqueues every due schedule as a task. Clustered, so one instance ticks at a time; the
/// statement is safe even if two ever overlap (see <see cref="SyncScheduler"/>). Its trigger fires 50 ms after each
/// whole second, the grid schedules are due on, so a tick that fires a little early or a database clock a little
/// behind cannot miss the schedules of that second.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class SyncTickJob(SyncScheduler scheduler, ILogger<SyncTickJob> logger) : IJob
{
    public static readonly JobKey Key = new("sync-tick", "syncs");

    public static readonly TimeSpan GridOffset = TimeSpan.FromMilliseconds(50);

    /// <summary>A couple of seconds from now, on the grid: a whole second plus <see cref="GridOffset"/>.</summary>
    public static DateTimeOffset FirstFireTime(DateTimeOffset now) =>
        new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(2) + GridOffset;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var result = await scheduler.TickAsync(cancellationToken);
        if (result.Enqueued > 0)
        {
            logger.LogDebug("Sync tick: {Due} due, {Enqueued} enqueued in {Elapsed} ms", result.Due, result.Enqueued, result.Elapsed.TotalMilliseconds);
        }
    }
}
