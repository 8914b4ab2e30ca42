using Nango.Core.Logs;
using Quartz;

namespace Nango.Core.Scheduling;

/// <summary>The log store's periodic work; clustered, so each fires on one instance only.</summary>
internal static class LogJobs
{
    public static void Schedule(IQuartzBuilder q)
    {
        // Daily, well before midnight UTC: the next days' partitions exist long before they are written.
        q.ScheduleJob<LogPartitionJob>(
            trigger => trigger.WithIdentity("log-partitions-trigger", "logs")
                .WithCronSchedule("0 5 12 * * ?", cron => cron.InTimeZone(TimeZoneInfo.Utc)),
            job => job.WithIdentity(LogPartitionJob.Key));
        q.ScheduleJob<LogRetentionJob>(
            trigger => trigger.WithIdentity("log-retention-trigger", "logs")
                .WithCronSchedule("0 15 0 * * ?", cron => cron.InTimeZone(TimeZoneInfo.Utc)),
            job => job.WithIdentity(LogRetentionJob.Key));
        q.ScheduleJob<LogTimeoutJob>(
            trigger => trigger.WithIdentity("log-timeout-trigger", "logs")
                .StartAt(DateTimeOffset.UtcNow.AddMinutes(1))
                .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromMinutes(1)).RepeatForever()),
            job => job.WithIdentity(LogTimeoutJob.Key));
    }
}

/// <summary>Creates today's and the next days' log partitions (or ES templates).</summary>
[DisallowConcurrentExecution]
internal sealed class LogPartitionJob(LogMaintenance maintenance) : IJob
{
    public static readonly JobKey Key = new("log-partitions", "logs");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await maintenance.PrepareDaysAsync(cancellationToken);
}

/// <summary>Drops log days older than <c>Nango:Logs:RetentionDays</c>.</summary>
[DisallowConcurrentExecution]
internal sealed class LogRetentionJob(LogMaintenance maintenance) : IJob
{
    public static readonly JobKey Key = new("log-retention", "logs");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await maintenance.ApplyRetentionAsync(cancellationToken);
}

/// <summary>The watchdog: operations still open after their expiry become <c>timeout</c>.</summary>
[DisallowConcurrentExecution]
internal sealed class LogTimeoutJob(LogMaintenance maintenance) : IJob
{
    public static readonly JobKey Key = new("log-timeout", "logs");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await maintenance.TimeoutExpiredAsync(cancellationToken);
}
