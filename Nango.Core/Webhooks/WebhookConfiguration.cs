using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;

namespace Nango.Core.Webhooks;

internal sealed class WebhookDeliveryConfiguration : IEntityTypeConfiguration<WebhookDelivery>
{
    public void Configure(EntityTypeBuilder<WebhookDelivery> builder)
    {
        builder.ToTable("webhook_deliveries");
        builder.Property(d => d.Id).UseIdentityAlwaysColumn();
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(d => d.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(d => d.EventType).HasMaxLength(32);
        builder.Property(d => d.Status).HasMaxLength(16);
        builder.Property(d => d.Headers).HasColumnType("jsonb");
        // Left at their CLR default by the publisher, so the database stamps them: one clock for every instance.
        builder.Property(d => d.NextAttemptAt).HasDefaultValueSql("now()");
        builder.Property(d => d.CreatedAt).HasDefaultValueSql("now()");
        // The claim query: due rows among the unfinished ones.
        builder.HasIndex(d => d.NextAttemptAt).HasFilter("status IN ('pending', 'delivering')").HasDatabaseName("ix_webhook_deliveries_due");
        // "Is an earlier delivery of this key to this target still unfinished?"
        builder.HasIndex(d => new { d.TargetUrl, d.OrderingKey, d.Id }).HasFilter("status IN ('pending', 'delivering') AND ordering_key IS NOT NULL").HasDatabaseName("ix_webhook_deliveries_order");
        // The dashboard's list, newest first, per environment.
        builder.HasIndex(d => new { d.EnvironmentId, d.Id });
        builder.HasIndex(d => d.EventId);
    }
}

internal sealed class WebhookTargetConfiguration : IEntityTypeConfiguration<WebhookTarget>
{
    public void Configure(EntityTypeBuilder<WebhookTarget> builder)
    {
        builder.ToTable("webhook_targets");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(t => t.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(t => new { t.EnvironmentId, t.Url }).IsUnique();
    }
}
