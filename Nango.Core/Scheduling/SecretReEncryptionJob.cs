using Nango.Core.Secrets;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>
/// Finishes a key rotation without anyone having to remember to: periodically rewrites secrets that are
/// still under an older key. Clustered, so one instance runs it at a time.
/// </summary>
[DisallowConcurrentExecution]
internal sealed class SecretReEncryptionJob(SecretReEncryptionService service) : IJob
{
    public static readonly JobKey Key = new("secret-re-encryption", "maintenance");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await service.ReEncryptAllAsync(cancellationToken);
}
