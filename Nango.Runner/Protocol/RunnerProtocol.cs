using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nango.Runner.Protocol;

// The runner protocol: HTTP + JSON (camelCase, RunnerJson.Options) on loopback or between hosts.
// This folder is compiled into Nango.Runner and, as linked source, into Nango.Core; the runner never
// references Nango.Core. Paths are in RunnerRoutes.
//
// Web -> runner (Authorization: Bearer <runner token>):
//   POST /tasks                 RunnerTaskRequest  -> 202 RunnerTaskAccepted | 409 (same id running) | 503 (full)
//   POST /tasks/{id}/abort                         -> 202 | 404 (not running)
//   GET  /health                                   -> 200 RunnerHealth
// Runner -> Web internal API (Authorization: Bearer <the same runner token>), under CallbackUrl:
//   see RunnerRoutes.Callback*; a refusal is any non-2xx status with a RunnerError body.

/// <summary>What a task runs: the function kinds Nango has.</summary>
public static class RunnerTaskKinds
{
    public const string Action = "action";
    public const string Sync = "sync";
    public const string Webhook = "webhook";
    public const string OnEvent = "on-event";

    public static bool IsKnown(string? kind) => kind is Action or Sync or Webhook or OnEvent;
}

/// <summary>Starts one task. <see cref="RunnerFunction.Code"/> may be left out; the runner then fetches it from the callback API
/// (GET <see cref="RunnerRoutes.CallbackCode"/>) unless it already holds that (name, version, hash).</summary>
public sealed record RunnerTaskRequest
{
    public required string TaskId { get; init; }

    /// <summary>One of <see cref="RunnerTaskKinds"/>.</summary>
    public required string Kind { get; init; }

    public required RunnerFunction Function { get; init; }

    public required RunnerConnection Connection { get; init; }

    /// <summary>Action input, webhook payload; absent for syncs.</summary>
    public JsonElement? Input { get; init; }

    public RunnerLimits? Limits { get; init; }

    /// <summary>Base URL of the internal API the runner calls back on (e.g. http://127.0.0.1:3004).</summary>
    public required string CallbackUrl { get; init; }

    /// <summary>The provider's <c>proxy.paginate</c> from the catalog; <c>nango.paginate</c> merges the call's own over it.</summary>
    public JsonElement? ProviderPaginate { get; init; }

    public int HeartbeatIntervalMs { get; init; } = 30_000;

    /// <summary>For sync and webhook tasks: which run of which sync this is.</summary>
    public RunnerSync? Sync { get; init; }
}

/// <summary>What a sync's <c>nango</c> object knows about its run.</summary>
public sealed record RunnerSync
{
    /// <summary><c>base</c> unless the connection runs a variant of the sync.</summary>
    public string Variant { get; init; } = "base";

    /// <summary>When the last successful run started (Nango's deprecated <c>lastSyncDate</c>); null on a first or full run.</summary>
    public DateTimeOffset? LastSyncDate { get; init; }

    /// <summary><c>incremental</c> or <c>full</c>.</summary>
    public string SyncMode { get; init; } = "incremental";
}

/// <summary>A deployed function version. <see cref="CodeHash"/> tells versions with the same number apart (redeploys).</summary>
public sealed record RunnerFunction
{
    public required string Name { get; init; }

    public required string Version { get; init; }

    public required string CodeHash { get; init; }

    /// <summary>The compiled bundle: CommonJS as the nango CLI emits it, or an ES module.</summary>
    public string? Code { get; init; }
}

/// <summary>Whose connection the function acts for; the internal API checks every callback against the task's own.</summary>
public sealed record RunnerConnection
{
    public required string ProviderConfigKey { get; init; }

    public required string ConnectionId { get; init; }

    /// <summary>Environment name (dev, prod, …).</summary>
    public required string Environment { get; init; }

    /// <summary>Provider name from the catalog (github, …).</summary>
    public string? Provider { get; init; }
}

/// <summary>Execution limits of one task; a null field means the runner's default.</summary>
public sealed record RunnerLimits
{
    /// <summary>Wall-clock time for the whole task, time spent awaiting host calls included.</summary>
    public int? TimeoutMs { get; init; }

    /// <summary>Longest stretch of JavaScript run without yielding (Jint TimeoutInterval).</summary>
    public int? CpuSliceMs { get; init; }

    /// <summary>Statements per run of JavaScript (Jint MaxStatements); 0 means no limit.</summary>
    public int? MaxStatements { get; init; }

    /// <summary>Bytes the script may allocate per run of JavaScript (Jint LimitMemory).</summary>
    public long? MemoryBytes { get; init; }

    /// <summary>Call depth (Jint LimitRecursion).</summary>
    public int? MaxRecursion { get; init; }

    /// <summary>Largest JSON output of the function, in UTF-8 bytes.</summary>
    public int? MaxOutputBytes { get; init; }
}

public sealed record RunnerTaskAccepted(string TaskId, string RunnerId);

public sealed record RunnerHealth
{
    public required string Status { get; init; }

    public required string RunnerId { get; init; }

    public required IReadOnlyList<string> RunningTasks { get; init; }

    public required int MaxConcurrentTasks { get; init; }

    public required long WorkingSetBytes { get; init; }

    public required long ManagedHeapBytes { get; init; }

    public required long UptimeMs { get; init; }
}

/// <summary>Why a task failed, in Nango's terms: <see cref="Type"/> is one of <see cref="RunnerErrorTypes"/> or a
/// code of the internal API; <see cref="Status"/> is the HTTP status Nango reports it with.</summary>
public sealed record RunnerError
{
    public required string Type { get; init; }

    public required string Message { get; init; }

    public JsonElement? Payload { get; init; }

    public int Status { get; init; } = 500;

    /// <summary>For script_http_error: {"upstream_response": {"status", "headers", "body"}}.</summary>
    [JsonPropertyName("additional_properties")]
    public JsonElement? AdditionalProperties { get; init; }
}

/// <summary>The error types the runner reports (Nango's names, nango-api.md §0.2 and the runner's exec).</summary>
public static class RunnerErrorTypes
{
    /// <summary>The script threw <c>nango.ActionError</c>.</summary>
    public const string ActionScriptRuntimeError = "action_script_runtime_error";

    /// <summary>A proxy call answered with a non-2xx status and the script did not catch it.</summary>
    public const string ScriptHttpError = "script_http_error";

    public const string ScriptNetworkError = "script_network_error";

    /// <summary>Any other uncaught error: TypeError, RangeError (call depth), a bad bundle.</summary>
    public const string ScriptInternalError = "script_internal_error";

    public const string ScriptOutputTooLarge = "script_output_too_large";

    /// <summary>Aborted through POST /tasks/{id}/abort or a heartbeat answered 410.</summary>
    public const string ScriptAborted = "script_aborted";

    /// <summary>Wall-clock, CPU slice or statement limit.</summary>
    public const string ExecutionTimeout = "execution_timeout";

    public const string OutOfMemory = "function_runtime_out_of_memory";

    /// <summary>The runner process died or could not be reached.</summary>
    public const string RuntimeOther = "function_runtime_other";

    public const string InvalidActionInput = "invalid_action_input";

    public const string InvalidActionOutput = "invalid_action_output";
}

/// <summary>PUT <see cref="RunnerRoutes.CallbackResult"/>: exactly one of <see cref="Output"/> (JSON, null for
/// undefined) or <see cref="Error"/>.</summary>
public sealed record RunnerTaskResult
{
    public required string TaskId { get; init; }

    public bool Success { get; init; }

    public JsonElement? Output { get; init; }

    public RunnerError? Error { get; init; }

    public long DurationMs { get; init; }
}

public sealed record RunnerLogBatch(IReadOnlyList<RunnerLogEntry> Entries);

/// <summary>Levels: debug, info, warn, error (Nango's verbose/silly map to debug, http to info).</summary>
public sealed record RunnerLogEntry(string Level, string Message, DateTimeOffset Timestamp);

/// <summary>POST <see cref="RunnerRoutes.CallbackProxy"/>: the same request the public proxy takes. Missing
/// <see cref="ProviderConfigKey"/>/<see cref="ConnectionId"/> mean the task's own connection.</summary>
public sealed record RunnerProxyRequest
{
    public required string Method { get; init; }

    public required string Endpoint { get; init; }

    public Dictionary<string, string>? Headers { get; init; }

    public Dictionary<string, string>? Params { get; init; }

    /// <summary>Request body: an object or array is sent as JSON, a string as is.</summary>
    public JsonElement? Data { get; init; }

    public int? Retries { get; init; }

    public IReadOnlyList<string>? RetryOn { get; init; }

    public string? BaseUrlOverride { get; init; }

    public string? ProviderConfigKey { get; init; }

    public string? ConnectionId { get; init; }
}

/// <summary>The upstream's answer, whatever its status. <see cref="Data"/> is the parsed body when it is JSON,
/// otherwise the body as a string (null when empty). Header names are lower case.</summary>
public sealed record RunnerProxyResponse
{
    public required int Status { get; init; }

    public Dictionary<string, string> Headers { get; init; } = [];

    public JsonElement? Data { get; init; }
}

/// <summary>POST <see cref="RunnerRoutes.CallbackConnection"/> → the connection as GET /connection/:id answers it
/// (credentials included).</summary>
public sealed record RunnerConnectionRequest
{
    public string? ProviderConfigKey { get; init; }

    public string? ConnectionId { get; init; }

    public bool ForceRefresh { get; init; }

    public bool RefreshToken { get; init; }

    public bool RefreshGithubAppJwtToken { get; init; }
}

/// <summary>PUT (replace) or PATCH (merge) <see cref="RunnerRoutes.CallbackMetadata"/>.</summary>
public sealed record RunnerMetadataRequest(JsonElement Metadata);

public sealed record RunnerEnvironmentVariable(string Name, string Value);

/// <summary>POST <see cref="RunnerRoutes.CallbackTriggerAction"/> → <see cref="RunnerTriggerActionResponse"/>,
/// or a RunnerError (the other action's failure).</summary>
public sealed record RunnerTriggerActionRequest
{
    public required string ProviderConfigKey { get; init; }

    public required string ConnectionId { get; init; }

    public required string ActionName { get; init; }

    public JsonElement? Input { get; init; }
}

public sealed record RunnerTriggerActionResponse(JsonElement? Output);

/// <summary>GET answers it (null when none); PUT takes it; DELETE clears it.</summary>
public sealed record RunnerCheckpoint(JsonElement? Checkpoint);

/// <summary>What <see cref="RunnerRecordsRequest.Action"/> does with the records: batchSave, batchUpdate, batchDelete.</summary>
public static class RunnerRecordActions
{
    public const string Save = "save";
    public const string Update = "update";
    public const string Delete = "delete";

    /// <summary>
    /// The first half of a save sent by its keys: each record as <c>{"id", "hash", "size"}</c> (the id as sent, the
    /// base64 XxHash128 of the record's JSON text as it would be sent, that text's size in bytes). The records stored with that
    /// hash are counted unchanged; <see cref="RunnerRecordsResult.Send"/> lists the positions of the others, which the
    /// runner then saves in full with <see cref="Save"/>. An unchanged re-run sends keys, not its records' megabytes.
    /// </summary>
    public const string SaveKeys = "saveKeys";

    public static bool IsKnown(string? action) => action is Save or Update or Delete or SaveKeys;
}

/// <summary>POST <see cref="RunnerRoutes.CallbackRecords"/>: one chunk (at most <see cref="MaxRecords"/>) of a sync's
/// records, acknowledged with <see cref="RunnerRecordsResult"/> once stored. <see cref="Model"/> is the name the script
/// uses; the variant is the task's.</summary>
public sealed record RunnerRecordsRequest
{
    public const int MaxRecords = 1000;

    public required string Action { get; init; }

    public required string Model { get; init; }

    /// <summary>A JSON array of objects, each with an <c>id</c>.</summary>
    public required JsonElement Records { get; init; }

    /// <summary><c>override</c> (default) or <c>ignore_if_modified_after</c>.</summary>
    public string? MergingStrategy { get; init; }

    /// <summary>
    /// With <see cref="RunnerRecordActions.SaveKeys"/>: the runner claims every key is stored unchanged at this generation
    /// of the model (<see cref="RunnerRecordsResult.Generation"/> of earlier calls). Nango.Web counts them unchanged
    /// without looking each up when it is still the model's generation, and looks them up as without a claim otherwise.
    /// </summary>
    public long? Generation { get; init; }

    /// <summary>
    /// The request <paramref name="root"/> holds, with <see cref="Records"/> left inside that document: deserializing
    /// would copy a chunk's megabyte out of the document's pooled buffer into a new array, so the caller keeps the
    /// document alive while it uses the records instead. Names match case-insensitively, as with
    /// <see cref="RunnerJson.Options"/>. Null when the action, the model or the records are missing.
    /// </summary>
    public static RunnerRecordsRequest? FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        string? action = null, model = null, mergingStrategy = null;
        JsonElement? records = null;
        long? generation = null;
        try
        {
            foreach (var property in root.EnumerateObject())
            {
                var value = property.Value;
                var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                if (Named(property, nameof(Action)))
                {
                    action = text;
                }
                else if (Named(property, nameof(Model)))
                {
                    model = text;
                }
                else if (Named(property, nameof(MergingStrategy)))
                {
                    mergingStrategy = text;
                }
                else if (Named(property, nameof(Records)))
                {
                    records = value;
                }
                else if (Named(property, nameof(Generation)) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
                {
                    generation = number;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The parser checks the UTF-8 of a name or a string only when it is read: such a request is not valid JSON text.
            return null;
        }
        return action is null || model is null || records is not { } array ? null
            : new RunnerRecordsRequest { Action = action, Model = model, Records = array, MergingStrategy = mergingStrategy, Generation = generation };

        static bool Named(JsonProperty property, string name) => string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// What a records call counted; after <see cref="RunnerRecordActions.SaveKeys"/> also the positions (in the call's order)
/// of the records to save in full. After a save or a save by keys, <see cref="GenerationBefore"/> and
/// <see cref="Generation"/> are the model's generations before and after it (equal when it wrote nothing; before is
/// absent when the model had none): the records it stored or found unchanged are stored as sent at
/// <see cref="Generation"/>, and whatever was stored at <see cref="GenerationBefore"/> and not touched still is.
/// </summary>
public sealed record RunnerRecordsResult(int Added, int Updated, int Unchanged, int Deleted,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? Send = null)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? GenerationBefore { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Generation { get; init; }
}

/// <summary>POST <see cref="RunnerRoutes.CallbackRecordsByIds"/> → <see cref="RunnerRecordsPage"/> of the existing ones.</summary>
public sealed record RunnerRecordsByIdsRequest(string Model, IReadOnlyList<string> Ids);

/// <summary>POST <see cref="RunnerRoutes.CallbackRecordsList"/> → one page of the model's records in cursor order.</summary>
public sealed record RunnerRecordsListRequest(string Model, string? Cursor, int? Limit);

/// <summary>Records as GET /records answers them (with <c>_nango_metadata</c>).</summary>
public sealed record RunnerRecordsPage(IReadOnlyList<JsonElement> Records, string? NextCursor);

/// <summary>POST <see cref="RunnerRoutes.CallbackTrackDeletes"/>: <c>start</c> marks the point from which saved records
/// count as seen; <c>end</c> soft-deletes every record of the model not seen since and answers their ids.</summary>
public sealed record RunnerTrackDeletesRequest(string Model, string Phase);

public sealed record RunnerTrackDeletesResult(IReadOnlyList<string> DeletedKeys);
