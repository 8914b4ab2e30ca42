namespace Nango.Core.Functions.Tasks;

/// <summary>
/// One run of a function (an action call, a sync run, a webhook or an on-event script), Nango's orchestrator task
/// (reference §5.2) in our own table. Instances claim them with <c>FOR UPDATE SKIP LOCKED</c>; every state change is
/// a guarded UPDATE, so a late result from a runner cannot overwrite an expiry and two instances cannot both end one.
/// </summary>
public sealed class FunctionTask
{
    public Guid Id { get; set; }

    public int AccountId { get; set; }

    public int EnvironmentId { get; set; }

    /// <summary>Internal id of the connection the function runs for.</summary>
    public int ConnectionId { get; set; }

    public int IntegrationId { get; set; }

    /// <summary>action, sync, webhook or on-event (<see cref="TaskKinds"/>).</summary>
    public required string Kind { get; set; }

    public required string FunctionName { get; set; }

    /// <summary>Tasks of one group share its concurrency limit (Nango's group key, e.g. <c>action:environment:12</c>).</summary>
    public required string GroupKey { get; set; }

    /// <summary>0 means unlimited.</summary>
    public int GroupMaxConcurrency { get; set; }

    public string State { get; set; } = TaskStates.Created;

    /// <summary>jsonb: what the runner needs besides the code (input, sync settings).</summary>
    public string Payload { get; set; } = "{}";

    /// <summary>jsonb: the function's result when it succeeded.</summary>
    public string? Output { get; set; }

    /// <summary>jsonb <c>{type, message, payload?, status?, upstream?}</c> when it failed or expired.</summary>
    public string? Error { get; set; }

    public int RetryMax { get; set; }

    public int RetryCount { get; set; }

    /// <summary>The same for a task and its retries: what <c>GET /action/:id</c> looks up for async actions.</summary>
    public Guid RetryKey { get; set; }

    public DateTimeOffset StartsAfter { get; set; }

    public int CreatedToStartedTimeoutSecs { get; set; }

    public int StartedToCompletedTimeoutSecs { get; set; }

    public int HeartbeatTimeoutSecs { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset LastStateTransitionAt { get; set; }

    public DateTimeOffset? LastHeartbeatAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>The log operation the run writes to.</summary>
    public Guid? LogOperationId { get; set; }

    /// <summary>The Nango.Web instance that dispatched it (for diagnostics).</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>The runner process running it.</summary>
    public string? RunnerId { get; set; }

    /// <summary>The sync schedule a sync task runs for (<c>sync_schedules.id</c>); null for other kinds.</summary>
    public Guid? ScheduleId { get; set; }
}

public static class TaskStates
{
    public const string Created = "CREATED";
    public const string Started = "STARTED";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
    public const string Expired = "EXPIRED";
    public const string Cancelled = "CANCELLED";

    public static bool IsTerminal(string state) => state is Succeeded or Failed or Expired or Cancelled;
}

public static class TaskKinds
{
    public const string Action = "action";
    public const string Sync = "sync";
    public const string Webhook = "webhook";
    public const string OnEvent = "on-event";
}
