using System.Text.Json;

namespace Nango.Runner.Protocol;

/// <summary>Every path of the runner protocol, both directions.</summary>
public static class RunnerRoutes
{
    // Web -> runner.
    public const string Tasks = "/tasks";
    public const string Abort = "/tasks/{taskId}/abort";
    public const string Health = "/health";

    // Runner -> Web, relative to RunnerTaskRequest.CallbackUrl; {taskId} is the task the call is made for.
    public const string CallbackPrefix = "/internal/runner";

    /// <summary>POST, no body → 204; 410 tells the runner the task was cancelled (it aborts it).</summary>
    public const string CallbackHeartbeat = "/internal/runner/tasks/{taskId}/heartbeat";

    /// <summary>PUT RunnerTaskResult → 204.</summary>
    public const string CallbackResult = "/internal/runner/tasks/{taskId}";

    /// <summary>GET → the bundle as text/javascript.</summary>
    public const string CallbackCode = "/internal/runner/tasks/{taskId}/code";

    /// <summary>POST RunnerLogBatch → 204.</summary>
    public const string CallbackLogs = "/internal/runner/tasks/{taskId}/logs";

    /// <summary>POST RunnerProxyRequest → 200 RunnerProxyResponse (whatever the upstream status).</summary>
    public const string CallbackProxy = "/internal/runner/tasks/{taskId}/proxy";

    /// <summary>POST RunnerConnectionRequest → 200 connection JSON.</summary>
    public const string CallbackConnection = "/internal/runner/tasks/{taskId}/connection";

    /// <summary>PUT (set) / PATCH (update) RunnerMetadataRequest → 200 JSON.</summary>
    public const string CallbackMetadata = "/internal/runner/tasks/{taskId}/metadata";

    /// <summary>GET → 200 RunnerEnvironmentVariable[].</summary>
    public const string CallbackEnvironmentVariables = "/internal/runner/tasks/{taskId}/environment-variables";

    /// <summary>POST RunnerTriggerActionRequest → 200 RunnerTriggerActionResponse.</summary>
    public const string CallbackTriggerAction = "/internal/runner/tasks/{taskId}/actions";

    /// <summary>GET → RunnerCheckpoint; PUT RunnerCheckpoint → 204; DELETE → 204.</summary>
    public const string CallbackCheckpoint = "/internal/runner/tasks/{taskId}/checkpoint";

    /// <summary>POST RunnerRecordsRequest → 200 RunnerRecordsResult (sync tasks only).</summary>
    public const string CallbackRecords = "/internal/runner/tasks/{taskId}/records";

    /// <summary>POST RunnerRecordsByIdsRequest → 200 RunnerRecordsPage.</summary>
    public const string CallbackRecordsByIds = "/internal/runner/tasks/{taskId}/records/by-ids";

    /// <summary>POST RunnerRecordsListRequest → 200 RunnerRecordsPage.</summary>
    public const string CallbackRecordsList = "/internal/runner/tasks/{taskId}/records/list";

    /// <summary>POST RunnerTrackDeletesRequest → 200 RunnerTrackDeletesResult.</summary>
    public const string CallbackTrackDeletes = "/internal/runner/tasks/{taskId}/records/track-deletes";

    public static string ForTask(string route, string taskId) => route.Replace("{taskId}", Uri.EscapeDataString(taskId), StringComparison.Ordinal);
}

/// <summary>The JSON settings of both sides.</summary>
public static class RunnerJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

/// <summary>Environment variables the runner process reads (a pool sets them; a remote runner's operator does).</summary>
public static class RunnerEnvironment
{
    /// <summary>Required. Bearer token of both directions.</summary>
    public const string Token = "NANGO_RUNNER_TOKEN";

    /// <summary>Name shown in health and logs.</summary>
    public const string Id = "NANGO_RUNNER_ID";

    /// <summary>Listen URL; default http://127.0.0.1:0 (a free port, printed in the ready line).</summary>
    public const string Urls = "NANGO_RUNNER_URLS";

    public const string MaxConcurrentTasks = "NANGO_RUNNER_MAX_TASKS";

    /// <summary>"1": exit when standard input closes, so a pool's children die with it.</summary>
    public const string ExitWithStdin = "NANGO_RUNNER_EXIT_WITH_STDIN";

    /// <summary>Idle engines (zod loaded) kept for reuse.</summary>
    public const string WarmEngines = "NANGO_RUNNER_WARM_ENGINES";

    /// <summary>The ready line printed on stdout once the runner listens: this prefix, then its base URL.</summary>
    public const string ReadyLinePrefix = "NANGO_RUNNER_READY ";
}
