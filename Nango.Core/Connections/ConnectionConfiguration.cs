using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;
using Nango.Core.Integrations;

namespace Nango.Core.Connections;

internal sealed class ConnectionConfiguration : IEntityTypeConfiguration<Connection>
{
    public void Configure(EntityTypeBuilder<Connection> builder)
    {
        builder.ToTable("connections");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(c => c.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Integration>().WithMany().HasForeignKey(c => c.IntegrationId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(c => new { c.EnvironmentId, c.IntegrationId, c.ConnectionId }).IsUnique().HasFilter("deleted_at IS NULL");
        builder.HasIndex(c => new { c.EnvironmentId, c.CreatedAt });
        builder.HasIndex(c => new { c.EnvironmentId, c.EndUserId });
        builder.HasIndex(c => c.Tags).HasMethod("gin");
        builder.Property(c => c.ConnectionId).HasMaxLength(255);
        builder.Property(c => c.ConnectionConfig).HasColumnType("jsonb");
        builder.Property(c => c.Metadata).HasColumnType("jsonb");
        builder.Property(c => c.Tags).HasColumnType("jsonb");
        builder.Property(c => c.Errors).HasColumnType("jsonb");
    }
}
