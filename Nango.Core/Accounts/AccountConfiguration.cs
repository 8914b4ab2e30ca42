using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Nango.Core.Accounts;

internal sealed class AccountConfiguration : IEntityTypeConfiguration<Account>
{
    public void Configure(EntityTypeBuilder<Account> builder)
    {
        builder.ToTable("accounts");
        builder.HasIndex(a => a.Uuid).IsUnique();
        builder.Property(a => a.Name).HasMaxLength(255);
    }
}

internal sealed class NangoUserConfiguration : IEntityTypeConfiguration<NangoUser>
{
    public void Configure(EntityTypeBuilder<NangoUser> builder)
    {
        builder.HasOne<Account>().WithMany().HasForeignKey(u => u.AccountId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(u => u.AccountId);
    }
}
