using Nango.Core.Records;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>Daily records retention (<see cref="RecordRetention"/>); clustered, so one instance runs it.</summary>
[DisallowConcurrentExecution]
internal sealed class RecordRetentionJob(RecordRetention retention) : IJob
{
    public static readonly JobKey Key = new("record-retention", "records");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await retention.ApplyAsync(cancellationToken);
}
