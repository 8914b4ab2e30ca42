using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;

namespace Nango.Core.Syncs.Schedules;

internal sealed class SyncScheduleConfiguration : IEntityTypeConfiguration<SyncSchedule>
{
    public void Configure(EntityTypeBuilder<SyncSchedule> builder)
    {
        builder.ToTable("sync_schedules");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(s => s.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Connection>().WithMany().HasForeignKey(s => s.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<DeployedFunction>().WithMany().HasForeignKey(s => s.FunctionId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(s => s.SyncName).HasMaxLength(255);
        builder.Property(s => s.Variant).HasMaxLength(255);
        builder.Property(s => s.State).HasMaxLength(16);
        builder.Property(s => s.FrequencyOverride).HasMaxLength(64);
        builder.Property(s => s.CreatedAt).HasDefaultValueSql("now()");
        builder.Property(s => s.UpdatedAt).HasDefaultValueSql("now()");
        builder.Ignore(s => s.EffectiveFrequencySecs);
        // One live schedule per (connection, sync, variant); deleted ones stay as history for their tasks.
        builder.HasIndex(s => new { s.ConnectionId, s.FunctionId, s.Variant }).IsUnique().HasFilter("state <> 'DELETED'");
        // The tick's scan: only started schedules, in due order.
        builder.HasIndex(s => s.NextRunAt).HasFilter("state = 'STARTED'").HasDatabaseName("ix_sync_schedules_due");
        builder.HasIndex(s => new { s.IntegrationId, s.SyncName });
    }
}
