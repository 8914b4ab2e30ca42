using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Accounts;

namespace Nango.Core.Environments;

internal sealed class EnvironmentConfiguration : IEntityTypeConfiguration<NangoEnvironment>
{
    public void Configure(EntityTypeBuilder<NangoEnvironment> builder)
    {
        builder.ToTable("environments");
        builder.HasOne<Account>().WithMany().HasForeignKey(e => e.AccountId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(e => new { e.AccountId, e.Name }).IsUnique();
        builder.HasIndex(e => e.Uuid).IsUnique();
        builder.HasIndex(e => e.SecretKeyHash).IsUnique();
        builder.HasIndex(e => e.PublicKey).IsUnique();
        builder.Property(e => e.Name).HasMaxLength(255);
    }
}

internal sealed class EnvironmentVariableConfiguration : IEntityTypeConfiguration<EnvironmentVariable>
{
    public void Configure(EntityTypeBuilder<EnvironmentVariable> builder)
    {
        builder.ToTable("environment_variables");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(v => v.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(v => new { v.EnvironmentId, v.Name }).IsUnique();
        builder.Property(v => v.Name).HasMaxLength(255);
    }
}
