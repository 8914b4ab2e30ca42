using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;

namespace Nango.Core.Integrations;

internal sealed class IntegrationConfiguration : IEntityTypeConfiguration<Integration>
{
    public void Configure(EntityTypeBuilder<Integration> builder)
    {
        builder.ToTable("integrations");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(i => i.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(i => new { i.EnvironmentId, i.UniqueKey }).IsUnique().HasFilter("deleted_at IS NULL");
        builder.Property(i => i.UniqueKey).HasMaxLength(255);
        builder.Property(i => i.Provider).HasMaxLength(255);
        builder.Property(i => i.IntegrationConfig).HasColumnType("jsonb");
        builder.Property(i => i.Custom).HasColumnType("jsonb");
    }
}
