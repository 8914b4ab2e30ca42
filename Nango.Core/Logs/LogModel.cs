using System.Text.Json.Nodes;

namespace Nango.Core.Logs;

/// <summary>Operation states, as Nango names them (reference §6).</summary>
public static class OperationStates
{
    public const string Waiting = "waiting";
    public const string Running = "running";
    public const string Success = "success";
    public const string Failed = "failed";
    public const string Timeout = "timeout";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> All = [Waiting, Running, Success, Failed, Timeout, Cancelled];

    public static bool IsOpen(string state) => state is Waiting or Running;
}

public static class MessageLevels
{
    public const string Debug = "debug";
    public const string Info = "info";
    public const string Warn = "warn";
    public const string Error = "error";

    public static readonly IReadOnlyList<string> All = [Debug, Info, Warn, Error];
}

public static class MessageTypes
{
    public const string Log = "log";
    public const string Http = "http";
}

public static class MessageSources
{
    /// <summary>Written by Nango itself.</summary>
    public const string Internal = "internal";

    /// <summary>Written by a user's function (<c>nango.log</c>).</summary>
    public const string User = "user";
}

/// <summary>Where a message comes from inside an operation (Nango's <c>context</c>).</summary>
public static class MessageContexts
{
    public const string Script = "script";
    public const string Proxy = "proxy";
    public const string Webhook = "webhook";
    public const string Auth = "auth";
}

/// <summary>Nango's <c>{type, action}</c> pair, written <c>type:action</c> in filters.</summary>
public sealed record LogOperationKind(string Type, string Action)
{
    public override string ToString() => Type + ":" + Action;
}

/// <summary>
/// Every operation kind: Nango's list (reference §6) plus our own <c>integration:*</c> and <c>connection:*</c>
/// for configuration changes made through the API or dashboard. Nango records none of those as operations;
/// they are separate types, not <c>auth:*</c>, so filtering on auth attempts is not polluted by edits.
/// </summary>
public static class LogOperationKinds
{
    public static readonly LogOperationKind SyncPause = new("sync", "pause");
    public static readonly LogOperationKind SyncUnpause = new("sync", "unpause");
    public static readonly LogOperationKind SyncRun = new("sync", "run");
    public static readonly LogOperationKind SyncRequestRun = new("sync", "request_run");
    public static readonly LogOperationKind SyncRequestRunFull = new("sync", "request_run_full");
    public static readonly LogOperationKind SyncCancel = new("sync", "cancel");
    public static readonly LogOperationKind SyncInit = new("sync", "init");
    public static readonly LogOperationKind SyncCreateVariant = new("sync", "create_variant");
    public static readonly LogOperationKind SyncDeleteVariant = new("sync", "delete_variant");
    public static readonly LogOperationKind ProxyCall = new("proxy", "call");
    public static readonly LogOperationKind ActionRun = new("action", "run");
    public static readonly LogOperationKind FunctionInvoke = new("function", "invoke");
    public static readonly LogOperationKind EventsPostConnectionCreation = new("events", "post_connection_creation");
    public static readonly LogOperationKind EventsPreConnectionDeletion = new("events", "pre_connection_deletion");
    public static readonly LogOperationKind EventsValidateConnection = new("events", "validate_connection");
    public static readonly LogOperationKind AuthCreateConnection = new("auth", "create_connection");
    public static readonly LogOperationKind AuthRefreshToken = new("auth", "refresh_token");
    public static readonly LogOperationKind AuthPostConnection = new("auth", "post_connection");
    public static readonly LogOperationKind AuthConnectionTest = new("auth", "connection_test");
    public static readonly LogOperationKind AdminImpersonation = new("admin", "impersonation");
    public static readonly LogOperationKind WebhookIncoming = new("webhook", "incoming");
    public static readonly LogOperationKind WebhookForward = new("webhook", "forward");
    public static readonly LogOperationKind WebhookSync = new("webhook", "sync");
    public static readonly LogOperationKind WebhookConnectionCreate = new("webhook", "connection_create");
    public static readonly LogOperationKind WebhookConnectionRefresh = new("webhook", "connection_refresh");
    public static readonly LogOperationKind WebhookConnectionDelete = new("webhook", "connection_delete");
    public static readonly LogOperationKind WebhookAsyncAction = new("webhook", "async_action");
    public static readonly LogOperationKind WebhookTest = new("webhook", "test");
    public static readonly LogOperationKind DeployPrebuilt = new("deploy", "prebuilt");
    public static readonly LogOperationKind DeployCustom = new("deploy", "custom");
    public static readonly LogOperationKind AgentSessionCreate = new("agent_session", "create");
    public static readonly LogOperationKind AgentSessionTerminate = new("agent_session", "terminate");
    public static readonly LogOperationKind AgentSessionToolSearch = new("agent_session", "tool_search");

    // Ours (not in Nango): configuration changes.
    public static readonly LogOperationKind IntegrationCreate = new("integration", "create");
    public static readonly LogOperationKind IntegrationUpdate = new("integration", "update");
    public static readonly LogOperationKind IntegrationDelete = new("integration", "delete");
    public static readonly LogOperationKind ConnectionImport = new("connection", "import");
    public static readonly LogOperationKind ConnectionUpdate = new("connection", "update");
    public static readonly LogOperationKind ConnectionDelete = new("connection", "delete");
    public static readonly LogOperationKind ConnectionMetadata = new("connection", "metadata");
    public static readonly LogOperationKind SyncUpdateFrequency = new("sync", "update_frequency");

    public static readonly IReadOnlyList<LogOperationKind> All =
    [
        SyncPause, SyncUnpause, SyncRun, SyncRequestRun, SyncRequestRunFull, SyncCancel, SyncInit, SyncCreateVariant, SyncDeleteVariant,
        ProxyCall, ActionRun, FunctionInvoke,
        EventsPostConnectionCreation, EventsPreConnectionDeletion, EventsValidateConnection,
        AuthCreateConnection, AuthRefreshToken, AuthPostConnection, AuthConnectionTest,
        AdminImpersonation,
        WebhookIncoming, WebhookForward, WebhookSync, WebhookConnectionCreate, WebhookConnectionRefresh, WebhookConnectionDelete, WebhookAsyncAction, WebhookTest,
        DeployPrebuilt, DeployCustom,
        AgentSessionCreate, AgentSessionTerminate, AgentSessionToolSearch,
        IntegrationCreate, IntegrationUpdate, IntegrationDelete,
        ConnectionImport, ConnectionUpdate, ConnectionDelete, ConnectionMetadata, SyncUpdateFrequency,
    ];

    /// <summary>How long an operation may stay open before the watchdog marks it <c>timeout</c> (Nango's defaults).</summary>
    public static TimeSpan DefaultExpiry(LogOperationKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return kind.Type switch
        {
            "sync" => TimeSpan.FromHours(24),
            "auth" => TimeSpan.FromMinutes(5),
            _ => TimeSpan.FromMinutes(15),
        };
    }
}

/// <summary>Who started an operation: Nango's <c>{kind: "user"|"session", id}</c>.</summary>
public sealed record LogActor(string Kind, string Id);

public sealed record LogError(string Name, string Message, string? Type = null, JsonNode? Payload = null)
{
    public static LogError From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new LogError(exception.GetType().Name, exception.Message);
    }
}

/// <summary>An HTTP request as logged. Headers and body are redacted before they are buffered.</summary>
public sealed record LogHttpRequest(string Method, string Url, IReadOnlyDictionary<string, string>? Headers = null, string? Body = null);

public sealed record LogHttpResponse(int Code, IReadOnlyDictionary<string, string>? Headers = null, string? Body = null);

public sealed record LogRetry(int Attempt, int Max, long WaitedMs);

/// <summary>What a sync's batch save did to the records (Nango's <c>persistResults</c>).</summary>
public sealed record LogPersistResults(
    string Model,
    int Added,
    int Updated,
    int Unchanged,
    int Deleted,
    IReadOnlyList<string>? AddedKeys = null,
    IReadOnlyList<string>? UpdatedKeys = null,
    IReadOnlyList<string>? UnchangedKeys = null,
    IReadOnlyList<string>? DeletedKeys = null);

/// <summary>One operation as stored and as read back.</summary>
public sealed record LogOperationRow
{
    public required Guid Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public required string Type { get; init; }
    public required string Action { get; init; }
    public required string State { get; init; }
    public required int AccountId { get; init; }
    public string? AccountName { get; init; }
    public required int EnvironmentId { get; init; }
    public string? EnvironmentName { get; init; }
    public int? IntegrationId { get; init; }

    /// <summary>The integration's unique key (Nango's <c>integrationName</c>, the provider config key).</summary>
    public string? IntegrationKey { get; init; }
    public string? Provider { get; init; }
    public int? ConnectionId { get; init; }

    /// <summary>The connection's external id (Nango's <c>connectionName</c>).</summary>
    public string? ConnectionName { get; init; }

    /// <summary>The sync or action name (Nango's <c>syncConfigName</c>).</summary>
    public string? FunctionName { get; init; }
    public string? JobId { get; init; }
    public LogActor? Actor { get; init; }
    public LogError? Error { get; init; }
    public LogHttpRequest? Request { get; init; }
    public LogHttpResponse? Response { get; init; }
    public JsonObject? Meta { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public long? DurationMs { get; init; }

    public LogOperationKind Kind => new(Type, Action);
}

/// <summary>One message of an operation as stored and as read back.</summary>
public sealed record LogMessageRow
{
    public required Guid Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required Guid OperationId { get; init; }
    public required int AccountId { get; init; }
    public required int EnvironmentId { get; init; }
    public required string Level { get; init; }
    public required string Type { get; init; }
    public required string Source { get; init; }
    public required string Message { get; init; }
    public string? Context { get; init; }
    public LogError? Error { get; init; }
    public LogHttpRequest? Request { get; init; }
    public LogHttpResponse? Response { get; init; }
    public JsonObject? Meta { get; init; }
    public LogPersistResults? PersistResults { get; init; }
    public LogRetry? Retry { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public long? DurationMs { get; init; }
}

/// <summary>A change to an operation already written: a state transition, usually its end.</summary>
public sealed record LogOperationUpdate
{
    public required Guid Id { get; init; }

    /// <summary>The operation's partition key, so the update touches one partition.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
    public required string State { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public long? DurationMs { get; init; }
    public LogError? Error { get; init; }
    public LogHttpResponse? Response { get; init; }
}

/// <summary>What one flush writes: inserts first, then updates (an update may target an insert of the same batch).</summary>
public sealed class LogBatch
{
    public List<LogOperationRow> Operations { get; } = [];
    public List<LogMessageRow> Messages { get; } = [];
    public List<LogOperationUpdate> Updates { get; } = [];

    public int Count => Operations.Count + Messages.Count + Updates.Count;

    public void Clear()
    {
        Operations.Clear();
        Messages.Clear();
        Updates.Clear();
    }
}
