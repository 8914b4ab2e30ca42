using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Persistence;
using Quartz;

namespace Nango.Core.Scheduling;

public static class SchedulingServiceCollectionExtensions
{
    /// <summary>
    /// Quartz on the clustered ADO.NET store in the same Postgres, so any number of Nango.Web instances
    /// share one set of triggers and each job fires on exactly one of them. The tables come from a
    /// migration (<see cref="QuartzSchema"/>), so Quartz only validates them.
    /// </summary>
    public static IServiceCollection AddNangoScheduling(this IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        var options = configuration.GetSection(NangoOptions.SectionName).Get<NangoOptions>() ?? new NangoOptions();
        if (!options.Scheduling.Enabled)
        {
            return services;
        }
        services.AddQuartz(q =>
        {
            q.UsePersistentStore(store =>
            {
                store.UsePostgres(connectionString);
                store.ConfigureStore(o => o.TablePrefix = QuartzSchema.TablePrefix);
                store.UseClustering(cluster =>
                {
                    cluster.CheckinInterval = TimeSpan.FromSeconds(5);
                    cluster.CheckinMisfireThreshold = TimeSpan.FromSeconds(15);
                });
            });
            q.ScheduleJob<SecretReEncryptionJob>(
                trigger => trigger
                    .WithIdentity("secret-re-encryption-trigger", "maintenance")
                    .StartAt(DateTimeOffset.UtcNow.AddMinutes(1))
                    .WithSimpleSchedule(s => s.WithInterval(options.Scheduling.SecretReEncryptionInterval).RepeatForever()),
                job => job.WithIdentity(SecretReEncryptionJob.Key));
            q.ScheduleJob<CredentialRefreshJob>(
                trigger => trigger
                    .WithIdentity("credential-refresh-trigger", "auth")
                    .StartAt(DateTimeOffset.UtcNow.AddMinutes(1))
                    .WithSimpleSchedule(s => s.WithInterval(options.Scheduling.CredentialRefreshInterval).RepeatForever()),
                job => job.WithIdentity(CredentialRefreshJob.Key));
            q.ScheduleJob<ConnectSessionCleanupJob>(
                trigger => trigger
                    .WithIdentity("connect-session-cleanup-trigger", "maintenance")
                    .StartAt(DateTimeOffset.UtcNow.AddMinutes(5))
                    .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromHours(1)).RepeatForever()),
                job => job.WithIdentity(ConnectSessionCleanupJob.Key));
            q.ScheduleJob<TaskExpiryJob>(
                trigger => trigger
                    .WithIdentity("task-expiry-trigger", "functions")
                    .StartAt(DateTimeOffset.UtcNow.AddSeconds(5))
                    .WithSimpleSchedule(s => s.WithInterval(options.Scheduling.TaskExpiryInterval).RepeatForever()),
                job => job.WithIdentity(TaskExpiryJob.Key));
            q.ScheduleJob<TaskRetentionJob>(
                trigger => trigger
                    .WithIdentity("task-retention-trigger", "functions")
                    .StartAt(DateTimeOffset.UtcNow.AddMinutes(10))
                    .WithSimpleSchedule(s => s.WithInterval(TimeSpan.FromHours(1)).RepeatForever()),
                job => job.WithIdentity(TaskRetentionJob.Key));
            q.ScheduleJob<SyncTickJob>(
                trigger => trigger
                    .WithIdentity("sync-tick-trigger", "syncs")
                    .StartAt(SyncTickJob.FirstFireTime(DateTimeOffset.UtcNow))
                    // A tick missed by more than the misfire threshold waits for its next slot (the grid stays): that tick enqueues
                    // everything due since, so replaying missed ticks would add nothing.
                    .WithSimpleSchedule(s => s.WithInterval(options.Scheduling.SyncTickInterval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount)),
                job => job.WithIdentity(SyncTickJob.Key));
            LogJobs.Schedule(q);
            q.ScheduleJob<RecordRetentionJob>(
                trigger => trigger.WithIdentity("record-retention-trigger", "records")
                    .WithCronSchedule("0 45 0 * * ?", cron => cron.InTimeZone(TimeZoneInfo.Utc)),
                job => job.WithIdentity(RecordRetentionJob.Key));
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        return services;
    }
}
