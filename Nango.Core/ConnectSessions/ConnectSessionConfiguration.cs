using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Connections;
using Nango.Core.Environments;

namespace Nango.Core.ConnectSessions;

internal sealed class ConnectSessionConfiguration : IEntityTypeConfiguration<ConnectSession>
{
    public void Configure(EntityTypeBuilder<ConnectSession> builder)
    {
        builder.ToTable("connect_sessions");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(s => s.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        // A reconnect session is meaningless without its connection: it goes when the row goes.
        builder.HasOne<Connection>().WithMany().HasForeignKey(s => s.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(s => s.TokenHash).IsUnique();
        builder.HasIndex(s => s.ExpiresAt);
        builder.Property(s => s.TokenHash).HasMaxLength(64);
        builder.Property(s => s.IntegrationsConfigDefaults).HasColumnType("jsonb");
        builder.Property(s => s.Overrides).HasColumnType("jsonb");
        builder.Property(s => s.EndUserTags).HasColumnType("jsonb");
        builder.Property(s => s.Tags).HasColumnType("jsonb");
        builder.Property(s => s.EndUserId).HasMaxLength(255);
    }
}
