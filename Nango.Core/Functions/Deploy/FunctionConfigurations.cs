using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;
using Nango.Core.Integrations;

namespace Nango.Core.Functions.Deploy;

internal sealed class DeployedFunctionConfiguration : IEntityTypeConfiguration<DeployedFunction>
{
    public void Configure(EntityTypeBuilder<DeployedFunction> builder)
    {
        builder.ToTable("functions");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(f => f.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Integration>().WithMany().HasForeignKey(f => f.IntegrationId).OnDelete(DeleteBehavior.Cascade);
        // One live function per integration, type, name and event; on-event scripts of another event may share a name.
        builder.HasIndex(f => new { f.IntegrationId, f.Type, f.Name, f.Event }).IsUnique().AreNullsDistinct(false).HasFilter("deleted_at IS NULL");
        builder.HasIndex(f => new { f.EnvironmentId, f.DeletedAt });
        builder.Property(f => f.Type).HasMaxLength(16);
        builder.Property(f => f.Name).HasMaxLength(255);
        builder.Property(f => f.Event).HasMaxLength(64);
        builder.Property(f => f.Source).HasMaxLength(16);
    }
}

internal sealed class FunctionVersionConfiguration : IEntityTypeConfiguration<FunctionVersion>
{
    public void Configure(EntityTypeBuilder<FunctionVersion> builder)
    {
        builder.ToTable("function_versions");
        builder.HasOne<DeployedFunction>().WithMany().HasForeignKey(v => v.FunctionId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<FunctionDeployment>().WithMany().HasForeignKey(v => v.DeploymentId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(v => new { v.FunctionId, v.Revision }).IsUnique();
        builder.Property(v => v.Version).HasMaxLength(255);
        builder.Property(v => v.Input).HasMaxLength(255);
        builder.Property(v => v.Models).HasColumnType("jsonb");
        builder.Property(v => v.JsonSchema).HasColumnType("jsonb");
        builder.Property(v => v.Endpoints).HasColumnType("jsonb");
        builder.Property(v => v.Scopes).HasColumnType("jsonb");
        builder.Property(v => v.WebhookSubscriptions).HasColumnType("jsonb");
        builder.Property(v => v.Attributes).HasColumnType("jsonb");
        builder.Property(v => v.Features).HasColumnType("jsonb");
        builder.Property(v => v.CodeHash).HasMaxLength(64);
        builder.Property(v => v.DefinitionHash).HasMaxLength(64);
    }
}

internal sealed class FunctionDeploymentConfiguration : IEntityTypeConfiguration<FunctionDeployment>
{
    public void Configure(EntityTypeBuilder<FunctionDeployment> builder)
    {
        builder.ToTable("function_deployments");
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(d => d.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(d => new { d.EnvironmentId, d.StartedAt });
        builder.Property(d => d.State).HasMaxLength(16);
        builder.Property(d => d.DeployMode).HasMaxLength(16);
        builder.Property(d => d.CliVersion).HasMaxLength(64);
        builder.Property(d => d.SdkVersion).HasMaxLength(64);
    }
}
