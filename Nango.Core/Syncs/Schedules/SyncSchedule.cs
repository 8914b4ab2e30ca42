namespace Nango.Core.Syncs.Schedules;

/// <summary>
/// When one sync runs for one connection (Nango's per-(connection, sync, variant) schedule, reference §4.4). The
/// scheduler tick turns due rows into sync tasks; the sync control API pauses, starts, triggers and re-times them.
/// A schedule is never hard-deleted while its tasks may still point at it: a removed sync or connection marks it
/// <see cref="SyncScheduleStates.Deleted"/>.
/// </summary>
public sealed class SyncSchedule
{
    /// <summary>Nango's <c>MAX_SYNCS_PER_CONNECTION</c>: live schedules (base and variants) one connection may have.</summary>
    public const int MaxPerConnection = 100;


    public Guid Id { get; set; }

    public int AccountId { get; set; }

    public int EnvironmentId { get; set; }

    public int IntegrationId { get; set; }

    /// <summary>Internal id of the connection.</summary>
    public int ConnectionId { get; set; }

    /// <summary>The deployed sync (<c>DeployedFunction.Id</c>); its current version is read when a run is enqueued.</summary>
    public int FunctionId { get; set; }

    public required string SyncName { get; set; }

    public string Variant { get; set; } = Runs.SyncVariants.Base;

    public string State { get; set; } = SyncScheduleStates.Started;

    /// <summary>The function's frequency (<c>runs</c>) in seconds.</summary>
    public int FrequencySecs { get; set; }

    /// <summary>The connection's override (<c>PUT /sync/update-connection-frequency</c>) in seconds; null = the function's.</summary>
    public int? FrequencyOverrideSecs { get; set; }

    /// <summary>The override as the caller wrote it (<c>every 2 hours</c>), what <c>GET /sync/status</c> reports.</summary>
    public string? FrequencyOverride { get; set; }

    /// <summary>
    /// When the next run is due. Always a whole second: the tick runs on a one-second grid, so a due time between
    /// two ticks would only add up to a second of lag.
    /// </summary>
    public DateTimeOffset NextRunAt { get; set; }

    /// <summary>Start of the last successful run (Nango's <c>lastSyncDate</c>), set by the sync run; a full resync clears it.</summary>
    public DateTimeOffset? LastSyncDate { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public int EffectiveFrequencySecs => FrequencyOverrideSecs ?? FrequencySecs;
}

public static class SyncScheduleStates
{
    public const string Started = "STARTED";
    public const string Paused = "PAUSED";
    public const string Deleted = "DELETED";
}
