using Nango.Core.ConnectSessions;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>
/// Expired connect sessions can no longer be resolved, but their rows (end-user details, tags) would stay
/// forever; this clustered job removes them hourly.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class ConnectSessionCleanupJob(ConnectSessionService sessions, TimeProvider clock) : IJob
{
    public static readonly JobKey Key = new("connect-session-cleanup", "maintenance");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await sessions.DeleteExpiredAsync(clock.GetUtcNow(), cancellationToken);
}
