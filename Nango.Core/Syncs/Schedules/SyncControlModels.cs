using System.Text.Json.Nodes;
using Nango.Core.Environments;

namespace Nango.Core.Syncs.Schedules;

/// <summary>A sync as the API names it: <c>"name"</c> (the base variant) or <c>{name, variant}</c>.</summary>
public sealed record SyncRef(string Name, string Variant);

/// <summary>Which schedules a control call is about; no <see cref="Syncs"/> means every sync in scope.</summary>
public sealed record SyncSelection(EnvironmentContext Environment, string ProviderConfigKey, string? ConnectionId, IReadOnlyList<SyncRef> Syncs);

public enum SyncControlOutcome
{
    Ok,
    UnknownIntegration,
    UnknownConnection,
    /// <summary>None of the named syncs has a schedule in scope (Nango's <c>no_syncs_found</c>).</summary>
    NoSyncsFound,
    /// <summary>The sync is not deployed for the integration, or has no schedule on the connection (<c>unknown_sync</c>).</summary>
    UnknownSync,
    InvalidFrequency,
    InvalidVariant,
    VariantExists,
    VariantNotFound,
    /// <summary>The connection already has <see cref="SyncSchedule.MaxPerConnection"/> schedules.</summary>
    ResourceCapped,
}

public sealed record SyncControlResult(SyncControlOutcome Outcome, string? Message = null)
{
    public static readonly SyncControlResult Ok = new(SyncControlOutcome.Ok);
}

/// <summary>
/// Nango's <c>ReportedSyncJobStatus</c> (reference §1.8) for one schedule, plus what the dashboard shows of the last
/// ended run: its error message and its log operation (not part of the API's answer).
/// </summary>
public sealed record SyncStatusReport(
    Guid Id,
    string ConnectionId,
    string Name,
    string Variant,
    string Type,
    string Status,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? NextScheduledSyncAt,
    string? Frequency,
    JsonObject? LatestResult,
    string? LatestExecutionStatus,
    JsonObject RecordCount,
    JsonObject? Checkpoint,
    string? LastRunError = null,
    Guid? LastRunLogId = null);

public sealed record SyncStatusResult(SyncControlOutcome Outcome, IReadOnlyList<SyncStatusReport> Syncs, string? Message = null);

/// <summary>The frequency now in force (<c>PUT /sync/update-connection-frequency</c> answers it).</summary>
public sealed record FrequencyUpdateResult(SyncControlOutcome Outcome, string? Frequency = null, string? Message = null);

public sealed record SyncVariantResult(SyncControlOutcome Outcome, Guid? Id = null, string? Message = null);

/// <summary>Nango's sync job statuses, as <c>GET /sync/status</c> reports them.</summary>
public static class SyncJobStatuses
{
    public const string Running = "RUNNING";
    public const string Success = "SUCCESS";
    public const string Error = "ERROR";
    public const string Paused = "PAUSED";
    public const string Stopped = "STOPPED";
}

/// <summary>Nango's error code for each outcome, so the API and the logs say the same thing.</summary>
public static class SyncControlCodes
{
    public static string For(SyncControlOutcome outcome) => outcome switch
    {
        SyncControlOutcome.UnknownIntegration => "unknown_provider_config",
        SyncControlOutcome.UnknownConnection => "unknown_connection",
        SyncControlOutcome.NoSyncsFound => "no_syncs_found",
        SyncControlOutcome.UnknownSync => "unknown_sync",
        SyncControlOutcome.InvalidFrequency => "invalid_body",
        SyncControlOutcome.InvalidVariant => "invalid_variant",
        SyncControlOutcome.VariantExists => "sync_variant_already_exists",
        SyncControlOutcome.VariantNotFound => "not_found",
        SyncControlOutcome.ResourceCapped => "resource_capped",
        _ => "ok",
    };
}
