using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Auth;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Functions.Actions;
using Nango.Core.Functions.Checkpoints;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Runners;
using Nango.Core.Functions.Store;
using Nango.Core.Functions.Tasks;
using Nango.Core.Logs;
using Nango.Core.Proxy;
using Nango.Core.Records;
using Nango.Core.Syncs.Runs;
using Nango.Runner.Protocol;
using Nango.Web.Api.Connections;

namespace Nango.Web.Internal;

/// <summary>
/// What a running function may ask of Nango (the runner protocol's callbacks). Every call names its task; the caller's
/// token must belong to a runner of the task's account and the task must still be running, so a function only ever
/// acts inside its own environment, and a cancelled or expired task is told to stop (410).
/// </summary>
public static class RunnerCallbackEndpoints
{
    /// <summary>Largest action output (Nango: 2 MB outside enterprise plans).</summary>
    public const int MaxOutputBytes = 2 * 1024 * 1024;

    /// <summary>Largest provider response handed to a function in one piece.</summary>
    private const int MaxProxyResponseBytes = 64 * 1024 * 1024;

    public static void MapRunnerCallbacks(this IEndpointRouteBuilder app, IServiceProvider services)
    {
        var handlers = new Handlers(services);
        app.MapPost(RunnerRoutes.CallbackHeartbeat, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.HeartbeatAsync, allowEnded: true));
        app.MapPut(RunnerRoutes.CallbackResult, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.ResultAsync, allowEnded: true));
        app.MapGet(RunnerRoutes.CallbackCode, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.CodeAsync));
        app.MapPost(RunnerRoutes.CallbackLogs, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.LogsAsync, allowEnded: true));
        app.MapPost(RunnerRoutes.CallbackProxy, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.ProxyAsync));
        app.MapPost(RunnerRoutes.CallbackConnection, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.ConnectionAsync));
        app.MapMethods(RunnerRoutes.CallbackMetadata, ["PUT", "PATCH"], (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.MetadataAsync));
        app.MapGet(RunnerRoutes.CallbackEnvironmentVariables, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.VariablesAsync));
        app.MapPost(RunnerRoutes.CallbackTriggerAction, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.TriggerActionAsync));
        app.MapMethods(RunnerRoutes.CallbackCheckpoint, ["GET", "PUT", "DELETE"], (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.CheckpointAsync));
        app.MapPost(RunnerRoutes.CallbackRecords, (string taskId, HttpContext http) => handlers.Run(http, taskId, Handlers.ReadRecordsAsync, handlers.RecordsAsync));
        app.MapPost(RunnerRoutes.CallbackRecordsByIds, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.RecordsByIdsAsync));
        app.MapPost(RunnerRoutes.CallbackRecordsList, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.RecordsListAsync));
        app.MapPost(RunnerRoutes.CallbackTrackDeletes, (string taskId, HttpContext http) => handlers.Run(http, taskId, handlers.TrackDeletesAsync));
    }

    /// <summary>The task a callback is for, with what its payload says about it.</summary>
    private sealed record TaskScope(FunctionTask Task, EnvironmentContext Environment, JsonObject Payload)
    {
        public string IntegrationKey => Payload["integrationKey"]?.GetValue<string>() ?? "";

        public string ConnectionId => Payload["connectionId"]?.GetValue<string>() ?? "";

        public Guid? LogId => TaskEndings.LogOf(Payload)?.Id;
    }

    private sealed class Handlers(IServiceProvider services)
    {
        private T Get<T>() where T : notnull => services.GetRequiredService<T>();

        public Task Run(HttpContext http, string taskId, Func<HttpContext, TaskScope, Task<IResult>> handler, bool allowEnded = false) =>
            Run<object?>(http, taskId, static _ => Task.FromResult<object?>(null), (h, scope, _) => handler(h, scope), allowEnded);

        /// <summary>
        /// A callback whose body <paramref name="readBody"/> reads once the caller's token is known good, while the task
        /// is looked up: for a record chunk (about a megabyte) the body's transfer and parsing overlap the lookup's round
        /// trip to Postgres instead of following it. A body read for a call that is then refused is still awaited and
        /// disposed, so its pooled buffers go back and a failed read is observed.
        /// </summary>
        public async Task Run<TBody>(
            HttpContext http, string taskId, Func<HttpContext, Task<TBody>> readBody, Func<HttpContext, TaskScope, TBody, Task<IResult>> handler,
            bool allowEnded = false)
        {
            IResult result;
            var header = http.Request.Headers.Authorization.ToString();
            var identity = header.StartsWith("Bearer ", StringComparison.Ordinal) ? Get<RunnerPool>().Authenticate(header["Bearer ".Length..]) : null;
            if (identity is null)
            {
                await Error(401, "unauthorized", "Unknown runner token.").ExecuteAsync(http);
                return;
            }
            var reading = readBody(http);
            var handed = false;
            try
            {
                if (!Guid.TryParse(taskId, out var id) || await FindTaskAsync(id, allowEnded, http.RequestAborted) is not { } task
                    || (identity.AccountId is { } account && account != task.AccountId))
                {
                    result = Error(404, ErrorCodes.NotFound, "No such task for this runner.");
                }
                else if (task.State != TaskStates.Started && !allowEnded)
                {
                    result = Error(410, "task_not_running", $"The task is {task.State.ToLowerInvariant()}.");
                }
                else if (await Get<EnvironmentService>().FindByIdAsync(task.EnvironmentId, http.RequestAborted) is not { } env)
                {
                    result = Error(404, ErrorCodes.NotFound, "The task's environment no longer exists.");
                }
                else
                {
                    var body = await reading;
                    handed = true;
                    result = await handler(http, new TaskScope(task, env, JsonNode.Parse(task.Payload) as JsonObject ?? []), body);
                }
            }
            finally
            {
                if (!handed)
                {
                    await ((Task)reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (reading.IsCompletedSuccessfully && reading.Result is IDisposable unused)
                    {
                        unused.Dispose();
                    }
                }
            }
            await result.ExecuteAsync(http);
        }

        /// <summary>
        /// A records call's body. A chunk is up to a thousand records: parsed into pooled buffers that go back to the pool
        /// when the chunk is stored, rather than a new megabyte on the large-object heap per chunk (and the full
        /// collections it brings). Null when the body is not JSON.
        /// </summary>
        public static async Task<JsonDocument?> ReadRecordsAsync(HttpContext http)
        {
            try
            {
                return await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        /// <summary>
        /// A callback that is answered whatever the task's state (result, heartbeat, logs) takes the task as this instance
        /// claimed it, when it did: a result then costs no read. Any other reads the current state.
        /// </summary>
        private async Task<FunctionTask?> FindTaskAsync(Guid id, bool allowEnded, CancellationToken ct) =>
            (allowEnded ? Get<TaskSlots>().Claimed(id) : null) ?? await Get<TaskStore>().GetAsync(id, ct);

        public async Task<IResult> HeartbeatAsync(HttpContext http, TaskScope scope) =>
            await Get<TaskStore>().HeartbeatAsync(scope.Task.Id, http.RequestAborted)
                ? Results.NoContent()
                : Error(410, "task_not_running", "The task was cancelled or expired: stop it.");

        public async Task<IResult> ResultAsync(HttpContext http, TaskScope scope)
        {
            var result = await http.Request.ReadFromJsonAsync<RunnerTaskResult>(RunnerJson.Options, http.RequestAborted);
            if (result is null)
            {
                return Error(400, ErrorCodes.InvalidBody, "A task result is required.");
            }
            var store = Get<TaskStore>();
            var ct = CancellationToken.None; // A result must be stored even if the runner hangs up.
            JsonObject? error = result.Success ? null : TaskSlots.ErrorJson(result.Error ?? new RunnerError { Type = RunnerErrorTypes.ScriptInternalError, Message = "The function failed without saying why." });
            JsonNode? output = null;
            if (result.Success)
            {
                var text = result.Output is { } o ? o.GetRawText() : "null";
                output = JsonNode.Parse(text);
                if (Encoding.UTF8.GetByteCount(text) > MaxOutputBytes)
                {
                    error = new JsonObject { ["type"] = "script_output_too_large", ["message"] = $"The output is larger than {MaxOutputBytes / 1024 / 1024} MB.", ["status"] = 400 };
                }
                else if (scope.Task.Kind == TaskKinds.Sync)
                {
                    // A sync's result is what it wrote, counted chunk by chunk as the records arrived.
                    output = await Get<SyncRunService>().SummaryAsync(scope.Task.Id, ct);
                }
                else if (scope.Task.Kind == TaskKinds.Action && await OutputProblemsAsync(scope, output, ct) is { Count: > 0 } problems)
                {
                    error = new JsonObject
                    {
                        ["type"] = "invalid_action_output",
                        ["message"] = "The action's output does not match its output model.",
                        ["status"] = 400,
                        ["payload"] = new JsonArray(problems.Select(p => (JsonNode)new JsonObject { ["code"] = p.Code, ["message"] = p.Message, ["path"] = new JsonArray(p.Path.Select(x => JsonValue.Create(x.ToString())).ToArray<JsonNode?>()) }).ToArray()),
                    };
                }
            }
            var stored = error is null ? await store.SucceedAsync(scope.Task.Id, output, ct) : await store.FailAsync(scope.Task.Id, error, ct);
            Get<RunnerPool>().TaskFinished(scope.Task.Id.ToString());
            Get<TaskSlots>().Release(scope.Task.Id);
            if (stored)
            {
                await Get<TaskEndings>().AttemptEndedAsync(scope.Task, scope.Environment, error, result.DurationMs, ct);
            }
            return Results.NoContent();
        }

        public async Task<IResult> CodeAsync(HttpContext http, TaskScope scope)
        {
            var bundle = await Get<IFunctionBundleReader>().ReadAsync(scope.Task.EnvironmentId, scope.IntegrationKey, scope.Task.FunctionName,
                scope.Payload["version"]?.GetValue<string>() ?? "", http.RequestAborted);
            return bundle is null ? Error(404, ErrorCodes.NotFound, "The function is no longer deployed.") : Results.Text(bundle.Js, "text/javascript", Encoding.UTF8);
        }

        public async Task<IResult> LogsAsync(HttpContext http, TaskScope scope)
        {
            var batch = await http.Request.ReadFromJsonAsync<RunnerLogBatch>(RunnerJson.Options, http.RequestAborted);
            if (scope.LogId is { } logId && batch is not null)
            {
                var log = Get<ILogService>().ContinueOperation(logId, scope.Environment);
                foreach (var entry in batch.Entries)
                {
                    log.Write(new LogEntry { Level = Level(entry.Level), Message = entry.Message, Source = MessageSources.User });
                }
            }
            return Results.NoContent();
        }

        public async Task<IResult> ProxyAsync(HttpContext http, TaskScope scope)
        {
            var request = await http.Request.ReadFromJsonAsync<RunnerProxyRequest>(RunnerJson.Options, http.RequestAborted);
            if (request is null)
            {
                return Error(400, ErrorCodes.InvalidBody, "A proxy request is required.");
            }
            var headers = (request.Headers ?? []).Select(h => KeyValuePair.Create(h.Key, h.Value)).ToList();
            Stream? body = null;
            if (request.Data is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } data)
            {
                var isText = data.ValueKind == JsonValueKind.String;
                body = new MemoryStream(Encoding.UTF8.GetBytes(isText ? data.GetString()! : data.GetRawText()));
                if (!isText && !headers.Any(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
                {
                    headers.Add(KeyValuePair.Create("Content-Type", "application/json"));
                }
            }
            var query = request.Params is { Count: > 0 } parameters
                ? "?" + string.Join("&", parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)))
                : "";
            var call = new ProxyCall
            {
                Environment = scope.Environment,
                ProviderConfigKey = request.ProviderConfigKey ?? scope.IntegrationKey,
                ConnectionId = request.ConnectionId ?? scope.ConnectionId,
                Method = request.Method.ToUpperInvariant(),
                Endpoint = "/" + request.Endpoint.TrimStart('/'),
                QueryString = query,
                Headers = headers,
                Body = body,
                BodyLength = body?.Length,
                Retries = request.Retries ?? 0,
                RetryOn = (request.RetryOn ?? []).Select(s => int.TryParse(s, out var n) ? n : 0).Where(n => n > 0).ToHashSet(),
                BaseUrlOverride = request.BaseUrlOverride,
                ActivityLogId = scope.LogId,
            };
            using var response = await Get<ProxyService>().SendAsync(call, http.RequestAborted);
            if (response.Error is { } refused)
            {
                return Results.Json(new RunnerProxyResponse
                {
                    Status = refused.Status,
                    Data = JsonSerializer.SerializeToElement(new { error = new { code = refused.Code, message = refused.Message } }),
                }, RunnerJson.Options);
            }
            var responseHeaders = response.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(", ", h.Value), StringComparer.Ordinal);
            await using var stream = await response.ReadBodyAsync(http.RequestAborted);
            var buffer = await Core.Http.BoundedBuffer.ReadAsync(stream, MaxProxyResponseBytes, http.RequestAborted);
            response.Finish();
            if (!buffer.Fits)
            {
                return Error(413, "response_too_large", $"The provider's response is larger than {MaxProxyResponseBytes / 1024 / 1024} MB, the most a function receives in one piece.");
            }
            return Results.Json(new RunnerProxyResponse { Status = response.StatusCode, Headers = responseHeaders, Data = BodyAsJson(buffer.Bytes!, responseHeaders) }, RunnerJson.Options);
        }

        public async Task<IResult> ConnectionAsync(HttpContext http, TaskScope scope)
        {
            var request = await http.Request.ReadFromJsonAsync<RunnerConnectionRequest>(RunnerJson.Options, http.RequestAborted) ?? new RunnerConnectionRequest();
            var key = request.ProviderConfigKey ?? scope.IntegrationKey;
            var connectionId = request.ConnectionId ?? scope.ConnectionId;
            var refresh = await Get<CredentialRefresher>().EnsureFreshAsync(scope.Environment, key, connectionId, request.ForceRefresh, http.RequestAborted);
            if (refresh is { Outcome: RefreshOutcome.Failed, Error: { } refreshError })
            {
                return Error(424, refreshError.Code, refreshError.Message);
            }
            var result = await Get<ConnectionService>().GetAsync(scope.Environment, key, connectionId, markFetched: false, http.RequestAborted);
            return result.Outcome == ConnectionOutcome.Ok
                ? Results.Json(ConnectionResponse.From(result.Connection!, request.RefreshToken))
                : Error(404, ErrorCodes.UnknownConnection, $"No connection '{connectionId}' for the integration '{key}'.");
        }

        public async Task<IResult> MetadataAsync(HttpContext http, TaskScope scope)
        {
            var request = await http.Request.ReadFromJsonAsync<RunnerMetadataRequest>(RunnerJson.Options, http.RequestAborted);
            if (request is null || JsonNode.Parse(request.Metadata.GetRawText()) is not JsonObject metadata)
            {
                return Error(400, ErrorCodes.InvalidBody, "Metadata must be an object.");
            }
            var merge = HttpMethods.IsPatch(http.Request.Method);
            var outcome = await Get<ConnectionService>().SetMetadataAsync(scope.Environment, scope.IntegrationKey, [scope.ConnectionId], metadata, merge, http.RequestAborted);
            if (outcome != ConnectionOutcome.Ok)
            {
                return Error(404, ErrorCodes.UnknownConnection, "The task's connection no longer exists.");
            }
            var current = await Get<ConnectionService>().GetAsync(scope.Environment, scope.IntegrationKey, scope.ConnectionId, markFetched: false, http.RequestAborted);
            return Results.Json(current.Connection?.Summary.Metadata ?? metadata);
        }

        public async Task<IResult> VariablesAsync(HttpContext http, TaskScope scope)
        {
            var variables = await Get<EnvironmentService>().GetVariablesAsync(scope.Environment, http.RequestAborted);
            return Results.Json(variables.Select(v => new RunnerEnvironmentVariable(v.Name, v.Value)).ToList(), RunnerJson.Options);
        }

        public async Task<IResult> TriggerActionAsync(HttpContext http, TaskScope scope)
        {
            var request = await http.Request.ReadFromJsonAsync<RunnerTriggerActionRequest>(RunnerJson.Options, http.RequestAborted);
            if (request is null)
            {
                return Error(400, ErrorCodes.InvalidBody, "An action name is required.");
            }
            var input = request.Input is { } i ? JsonNode.Parse(i.GetRawText()) : null;
            var outcome = await Get<ActionService>().TriggerAsync(
                new ActionTrigger(scope.Environment, request.ProviderConfigKey, request.ConnectionId, request.ActionName, input, Async: false, MaxRetries: 0), http.RequestAborted);
            if (outcome.IsError)
            {
                return Results.Json(new RunnerError
                {
                    Type = outcome.ErrorCode!,
                    Message = outcome.Message ?? outcome.ErrorCode!,
                    Status = outcome.Status,
                    Payload = outcome.Payload is null ? null : JsonSerializer.SerializeToElement(outcome.Payload),
                }, RunnerJson.Options, statusCode: outcome.Status);
            }
            return Results.Json(new RunnerTriggerActionResponse(outcome.Output is null ? null : JsonSerializer.SerializeToElement(outcome.Output)), RunnerJson.Options);
        }

        public async Task<IResult> CheckpointAsync(HttpContext http, TaskScope scope)
        {
            var store = Get<CheckpointStore>();
            var name = scope.Task.FunctionName;
            var variant = scope.Payload["variant"]?.GetValue<string>() is { Length: > 0 } v ? v : SyncVariants.Base;
            switch (http.Request.Method)
            {
                case "GET":
                    var saved = await store.GetAsync(scope.Task.ConnectionId, name, variant, http.RequestAborted);
                    return Results.Json(new RunnerCheckpoint(saved is null ? null : JsonSerializer.SerializeToElement(saved)), RunnerJson.Options);
                case "DELETE":
                    await store.ClearAsync(scope.Task.ConnectionId, name, variant, http.RequestAborted);
                    return Results.NoContent();
                default:
                    var body = await http.Request.ReadFromJsonAsync<RunnerCheckpoint>(RunnerJson.Options, http.RequestAborted);
                    var checkpoint = body?.Checkpoint is { } c ? JsonNode.Parse(c.GetRawText()) : null;
                    if (CheckpointStore.Problem(checkpoint) is { } problem)
                    {
                        return Error(400, "invalid_checkpoint", problem);
                    }
                    await store.SaveAsync(scope.Task.EnvironmentId, scope.Task.ConnectionId, name, variant, (JsonObject)checkpoint!, http.RequestAborted);
                    if (scope.Task.Kind is TaskKinds.Sync or TaskKinds.Webhook)
                    {
                        await Get<SyncRunService>().ProgressAsync(scope.Task.Id, http.RequestAborted);
                    }
                    return Results.NoContent();
            }
        }

        public async Task<IResult> RecordsAsync(HttpContext http, TaskScope scope, JsonDocument? document)
        {
            using var owner = document;
            if (scope.Task.Kind is not (TaskKinds.Sync or TaskKinds.Webhook))
            {
                return Error(400, "not_a_sync", "Only syncs and their webhook handlers write records.");
            }
            if (document is null)
            {
                return Error(400, ErrorCodes.InvalidBody, "The records request is not valid JSON.");
            }
            if (RunnerRecordsRequest.FromJson(document.RootElement) is not { } request)
            {
                return Error(400, ErrorCodes.InvalidBody, "A records request (action, model, records) is required.");
            }
            try
            {
                return Results.Json(await Get<SyncRunService>().WriteAsync(scope.Task, scope.Payload, request, http.RequestAborted), RunnerJson.Options);
            }
            catch (SyncRecordsException e)
            {
                return Error(e.Status, e.Code, e.Message);
            }
        }

        public async Task<IResult> RecordsByIdsAsync(HttpContext http, TaskScope scope)
        {
            var request = await http.Request.ReadFromJsonAsync<RunnerRecordsByIdsRequest>(RunnerJson.Options, http.RequestAborted);
            if (request is null || string.IsNullOrWhiteSpace(request.Model) || request.Ids is null || request.Ids.Count > 100)
            {
                return Error(400, ErrorCodes.InvalidBody, "A model and at most 100 ids are required.");
            }
            var page = await Get<RecordStore>().ListAsync(new RecordQuery
            {
                ConnectionId = scope.Task.ConnectionId,
                Model = SyncVariants.StoredModel(request.Model, scope.Payload["variant"]?.GetValue<string>()),
                ExternalIds = request.Ids,
                Limit = 100,
            }, http.RequestAborted);
            return Results.Json(new RunnerRecordsPage(page.Records.Where(r => r.DeletedAt is null).Select(r => r.ToJson()).ToList(), null), RunnerJson.Options);
        }

        public async Task<IResult> RecordsListAsync(HttpContext http, TaskScope scope)
        {
            var request = await http.Request.ReadFromJsonAsync<RunnerRecordsListRequest>(RunnerJson.Options, http.RequestAborted);
            if (request is null || string.IsNullOrWhiteSpace(request.Model))
            {
                return Error(400, ErrorCodes.InvalidBody, "A model is required.");
            }
            if (request.Cursor is not null && !RecordCursor.TryDecode(request.Cursor, out _, out _))
            {
                return Error(400, "invalid_cursor", "The cursor is not one this API gave out.");
            }
            var page = await Get<RecordStore>().ListAsync(new RecordQuery
            {
                ConnectionId = scope.Task.ConnectionId,
                Model = SyncVariants.StoredModel(request.Model, scope.Payload["variant"]?.GetValue<string>()),
                Cursor = request.Cursor,
                Limit = Math.Clamp(request.Limit ?? 1000, 1, 10_000),
            }, http.RequestAborted);
            return Results.Json(new RunnerRecordsPage(page.Records.Select(r => r.ToJson()).ToList(), page.NextCursor), RunnerJson.Options);
        }

        public async Task<IResult> TrackDeletesAsync(HttpContext http, TaskScope scope)
        {
            if (scope.Task.Kind != TaskKinds.Sync)
            {
                return Error(400, "not_a_sync", "Only syncs track deletions.");
            }
            var request = await http.Request.ReadFromJsonAsync<RunnerTrackDeletesRequest>(RunnerJson.Options, http.RequestAborted);
            if (request is null || string.IsNullOrWhiteSpace(request.Model))
            {
                return Error(400, ErrorCodes.InvalidBody, "A model and a phase are required.");
            }
            try
            {
                var deleted = await Get<SyncRunService>().TrackDeletesAsync(scope.Task, scope.Payload, request, http.RequestAborted);
                return Results.Json(new RunnerTrackDeletesResult(deleted), RunnerJson.Options);
            }
            catch (SyncRecordsException e)
            {
                return Error(e.Status, e.Code, e.Message);
            }
        }

        private async Task<IReadOnlyList<ValidationError>> OutputProblemsAsync(TaskScope scope, JsonNode? output, CancellationToken ct)
        {
            var action = await Get<FunctionService>().FindRunnableAsync(scope.Environment.EnvironmentId, scope.IntegrationKey, scope.Task.FunctionName, FunctionTypes.Action, ct);
            return action is null ? [] : FunctionSchemas.Validate(action.JsonSchema, action.OutputModel, output);
        }


        private static JsonElement? BodyAsJson(byte[] bytes, Dictionary<string, string> headers)
        {
            if (bytes.Length == 0)
            {
                return null;
            }
            if (headers.TryGetValue("content-type", out var type) && type.Contains("json", StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    return JsonDocument.Parse(bytes).RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not JSON after all: handed over as text below.
                }
            }
            return JsonSerializer.SerializeToElement(Encoding.UTF8.GetString(bytes));
        }

        private static string Level(string level) => level switch
        {
            "error" => MessageLevels.Error,
            "warn" => MessageLevels.Warn,
            "debug" => MessageLevels.Debug,
            _ => MessageLevels.Info,
        };
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new RunnerError { Type = code, Message = message, Status = status }, RunnerJson.Options, statusCode: status);
}
