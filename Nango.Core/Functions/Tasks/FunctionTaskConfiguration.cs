using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;

namespace Nango.Core.Functions.Tasks;

internal sealed class FunctionTaskConfiguration : IEntityTypeConfiguration<FunctionTask>
{
    /// <summary>The predicate of <c>ux_function_tasks_live_sync</c>; an ON CONFLICT clause must repeat it to use the index.</summary>
    public const string SyncLiveTaskFilter = "kind = 'sync' AND state IN ('CREATED', 'STARTED')";

    public void Configure(EntityTypeBuilder<FunctionTask> builder)
    {
        builder.ToTable("function_tasks");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(t => t.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(t => t.Kind).HasMaxLength(16);
        builder.Property(t => t.State).HasMaxLength(16);
        builder.Property(t => t.FunctionName).HasMaxLength(255);
        builder.Property(t => t.GroupKey).HasMaxLength(255);
        builder.Property(t => t.Payload).HasColumnType("jsonb");
        builder.Property(t => t.Output).HasColumnType("jsonb");
        builder.Property(t => t.Error).HasColumnType("jsonb");
        // Stamped by the database: one clock for every instance, the one the claim and expiry statements compare with.
        builder.Property(t => t.CreatedAt).HasDefaultValueSql("now()");
        builder.Property(t => t.StartsAfter).HasDefaultValueSql("now()");
        builder.Property(t => t.LastStateTransitionAt).HasDefaultValueSql("now()");
        // The claim: waiting tasks in arrival order.
        builder.HasIndex(t => t.CreatedAt).HasFilter("state = 'CREATED'").HasDatabaseName("ix_function_tasks_waiting");
        // Running tasks per group (concurrency limits) and the expiry sweep.
        builder.HasIndex(t => t.GroupKey).HasFilter("state = 'STARTED'").HasDatabaseName("ix_function_tasks_running");
        builder.HasIndex(t => t.RetryKey);
        builder.HasIndex(t => new { t.EnvironmentId, t.CreatedAt });
        // A schedule's runs, newest first (sync status, the dashboard).
        builder.HasIndex(t => new { t.ScheduleId, t.CreatedAt }).HasFilter("schedule_id IS NOT NULL");
        // At most one waiting or running sync task per schedule, whichever instance or path (tick, trigger) inserts it:
        // the scheduler's INSERT … ON CONFLICT DO NOTHING relies on this index (Syncs/Schedules/SyncScheduler.cs).
        builder.HasIndex(t => t.ScheduleId).IsUnique().HasFilter(SyncLiveTaskFilter).HasDatabaseName("ux_function_tasks_live_sync");
    }
}
