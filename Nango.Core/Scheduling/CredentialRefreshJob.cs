using Nango.Core.Auth;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>Refreshes credentials before anyone needs them, and keeps idle refresh tokens alive. Clustered: one instance at a time.</summary>
[DisallowConcurrentExecution]
internal sealed class CredentialRefreshJob(CredentialRefresher refresher) : IJob
{
    public static readonly JobKey Key = new("credential-refresh", "auth");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        // Batches of 100 until a batch refreshes nothing new (failed ones back off and drop out of the query).
        for (var round = 0; round < 50; round++)
        {
            if (await refresher.RefreshDueAsync(100, cancellationToken) == 0)
            {
                break;
            }
        }
    }
}
