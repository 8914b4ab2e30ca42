using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;

namespace Nango.Core.Functions.Tasks;

internal sealed class FunctionTaskConfiguration : IEntityTypeConfiguration<FunctionTask>
{
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
    }
}
