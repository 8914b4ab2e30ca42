using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Nango.Core.Environments;

namespace Nango.Core.Syncs.Runs;

/// <summary>
/// One run of a sync, beside its task: what it has written so far per model (updated with every acknowledged chunk, so
/// the dashboard can show a running sync's progress and a crashed run keeps its counts) and when it last made progress.
/// </summary>
public sealed class SyncRun
{
    /// <summary>The task (function_tasks.id) that runs it.</summary>
    public Guid TaskId { get; set; }

    public int EnvironmentId { get; set; }

    public int ConnectionId { get; set; }

    public Guid? ScheduleId { get; set; }

    public required string SyncName { get; set; }

    public string Variant { get; set; } = SyncVariants.Base;

    /// <summary><c>incremental</c>, <c>full</c> or <c>webhook</c> (<see cref="SyncModes"/>).</summary>
    public required string SyncMode { get; set; }

    /// <summary>jsonb <c>{"Model": {"added":n,"updated":n,"deleted":n,"unchanged":n}}</c>, model names as the script uses them.</summary>
    public string Models { get; set; } = "{}";

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>Last acknowledged chunk of records or checkpoint save.</summary>
    public DateTimeOffset LastProgressAt { get; set; }

    /// <summary>Set once when the run went longer than <c>Nango:Syncs:StallAfter</c> without progress.</summary>
    public DateTimeOffset? StalledAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }
}

/// <summary>
/// Deletion tracking of one model of a sync (<c>trackDeletesStart</c>): records saved while it exists get
/// <c>seen_at = Since</c>; <c>trackDeletesEnd</c> deletes the model's records not seen since and removes the mark. A run
/// that stops before the end leaves the mark, so the run that resumes it keeps the older point and a record saved
/// by the first run is not taken for deleted.
/// </summary>
public sealed class SyncDeleteMark
{
    public int ConnectionId { get; set; }

    public required string SyncName { get; set; }

    /// <summary>Stored model name (<c>Name</c> or <c>Name::variant</c>).</summary>
    public required string Model { get; set; }

    public DateTimeOffset Since { get; set; }
}

public static class SyncVariants
{
    public const string Base = "base";

    /// <summary>The model name records are stored under: Nango keeps variants apart as <c>Name::variant</c>.</summary>
    public static string StoredModel(string model, string? variant) =>
        string.IsNullOrEmpty(variant) || variant == Base ? model : $"{model}::{variant}";
}

public static class SyncModes
{
    public const string Incremental = "incremental";
    public const string Full = "full";

    /// <summary>A run of the sync's <c>onWebhook</c> handler for one provider webhook (Nango's <c>WEBHOOK</c> sync type).</summary>
    public const string Webhook = "webhook";
}

internal sealed class SyncRunConfiguration : IEntityTypeConfiguration<SyncRun>, IEntityTypeConfiguration<SyncDeleteMark>
{
    public void Configure(EntityTypeBuilder<SyncRun> builder)
    {
        builder.ToTable("sync_runs");
        builder.HasKey(r => r.TaskId);
        builder.HasOne<NangoEnvironment>().WithMany().HasForeignKey(r => r.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(r => r.SyncName).HasMaxLength(255);
        builder.Property(r => r.Variant).HasMaxLength(255);
        builder.Property(r => r.SyncMode).HasMaxLength(16);
        builder.Property(r => r.Models).HasColumnType("jsonb");
        builder.Property(r => r.StartedAt).HasDefaultValueSql("now()");
        builder.Property(r => r.LastProgressAt).HasDefaultValueSql("now()");
        // The stall sweep looks only at running runs.
        builder.HasIndex(r => r.LastProgressAt).HasFilter("ended_at IS NULL").HasDatabaseName("ix_sync_runs_running");
        builder.HasIndex(r => new { r.ConnectionId, r.SyncName, r.StartedAt });
    }

    public void Configure(EntityTypeBuilder<SyncDeleteMark> builder)
    {
        builder.ToTable("sync_delete_marks");
        builder.HasKey(m => new { m.ConnectionId, m.SyncName, m.Model });
        builder.Property(m => m.SyncName).HasMaxLength(255);
        builder.Property(m => m.Since).HasDefaultValueSql("now()");
    }
}
