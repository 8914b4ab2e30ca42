using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Common;
using Nango.Core.Syncs.Runs;
using Nango.Core.Syncs.Schedules;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Syncs;

/// <summary>
/// Sync control (reference §1.8): trigger, start, pause, status, the per-connection frequency override and variants.
/// Bodies are read field by field in zod's terms (<see cref="JsonBodyReader"/>); every error is Nango's envelope.
/// </summary>
public static class SyncEndpoints
{
    private static readonly string[] _syncModes = ["incremental", "full_refresh", "full_refresh_and_clear_cache"];

    public static RouteGroupBuilder MapSyncEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/sync").WithTags("Syncs");
        group.MapPost("/trigger", TriggerAsync).WithName("TriggerSync").WithSummary("Run syncs now: incremental, or a full resync (reset, optionally emptying the cache).");
        group.MapPost("/start", StartAsync).WithName("StartSync").WithSummary("Start (unpause) sync schedules; they run at once, then at their frequency.");
        group.MapPost("/pause", PauseAsync).WithName("PauseSync").WithSummary("Pause sync schedules.");
        group.MapGet("/status", StatusAsync).WithName("GetSyncStatus").WithSummary("Status, next run, frequency, last result and checkpoint of syncs.");
        group.MapPut("/update-connection-frequency", UpdateFrequencyAsync).WithName("UpdateSyncConnectionFrequency").WithSummary("Override a sync's frequency for one connection, or revert it.");
        group.MapPost("/{name}/variant/{variant}", CreateVariantAsync).WithName("CreateSyncVariant").WithSummary("Create a variant of a sync on one connection.");
        group.MapDelete("/{name}/variant/{variant}", DeleteVariantAsync).WithName("DeleteSyncVariant").WithSummary("Delete a variant of a sync on one connection.");
        return api;
    }

    private static async Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> TriggerAsync(HttpContext http, SyncControlService syncs, CancellationToken ct)
    {
        if (EmptyQueryError(http) is { } queryError)
        {
            return queryError;
        }
        var (body, bodyError) = await ReadBodyAsync(http, ct);
        if (bodyError is not null)
        {
            return bodyError;
        }
        var reader = new JsonBodyReader();
        reader.RejectUnknownKeys(body!, ["syncs", "sync_mode", "full_resync", "connection_id", "provider_config_key", "opts"]);
        var refs = ReadSyncs(reader, body!);
        var syncMode = reader.ReadFormattedString(body!, "sync_mode", [], m => _syncModes.Contains(m), "Invalid option: expected one of \"incremental\"|\"full_refresh\"|\"full_refresh_and_clear_cache\"");
        var fullResync = ReadBool(reader, body!, "full_resync", []);
        var connectionId = reader.ReadString(body!, "connection_id", []);
        var providerConfigKey = reader.ReadString(body!, "provider_config_key", []);
        var opts = reader.ReadObject(body!, "opts", []);
        var reset = opts is null ? null : ReadBool(reader, opts, "reset", ["opts"]);
        var emptyCache = opts is null ? null : ReadBool(reader, opts, "emptyCache", ["opts"]);
        if (reader.HasErrors)
        {
            return ApiErrors.InvalidBody(reader.Errors);
        }

        providerConfigKey = NonEmpty(providerConfigKey) ?? NonEmpty(http.Request.Headers["Provider-Config-Key"].ToString());
        if (providerConfigKey is null)
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, "missing_provider_config_key", "Missing provider_config_key. Provide it in the body or headers.");
        }
        connectionId = NonEmpty(connectionId) ?? NonEmpty(http.Request.Headers["Connection-Id"].ToString());
        if (opts is not null && (syncMode is not null || body!.ContainsKey("full_resync")))
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, "Cannot use opts with deprecated sync_mode/full_resync parameters");
        }
        // opts is the current API; sync_mode, then full_resync, the deprecated one (Nango's order).
        var full = opts is not null ? reset == true : syncMode is not null ? syncMode != "incremental" : fullResync == true;
        var clearCache = opts is not null ? emptyCache == true : syncMode == "full_refresh_and_clear_cache";
        var result = await syncs.TriggerAsync(new SyncSelection(http.GetNangoEnvironment(), providerConfigKey, connectionId, refs!), full, full && clearCache, ct);
        return result.Outcome == SyncControlOutcome.Ok ? TypedResults.Ok(new SuccessResponse(true)) : ControlError(result.Outcome, result.Message);
    }

    private static Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> StartAsync(HttpContext http, SyncControlService syncs, CancellationToken ct) =>
        ScheduleCommandAsync(http, (selection, token) => syncs.StartAsync(selection, token), ct);

    private static Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> PauseAsync(HttpContext http, SyncControlService syncs, CancellationToken ct) =>
        ScheduleCommandAsync(http, (selection, token) => syncs.PauseAsync(selection, token), ct);

    /// <summary><c>POST /sync/start</c> and <c>/sync/pause</c>: <c>{syncs, provider_config_key, connection_id?}</c>.</summary>
    private static async Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> ScheduleCommandAsync(
        HttpContext http, Func<SyncSelection, CancellationToken, Task<SyncControlResult>> command, CancellationToken ct)
    {
        if (EmptyQueryError(http) is { } queryError)
        {
            return queryError;
        }
        var (body, bodyError) = await ReadBodyAsync(http, ct);
        if (bodyError is not null)
        {
            return bodyError;
        }
        var reader = new JsonBodyReader();
        reader.RejectUnknownKeys(body!, ["syncs", "provider_config_key", "connection_id"]);
        var refs = ReadSyncs(reader, body!);
        var providerConfigKey = reader.ReadFormattedString(body!, "provider_config_key", [], Identifiers.IsProviderConfigKey, "Invalid provider_config_key", required: true);
        var connectionId = reader.ReadFormattedString(body!, "connection_id", [], Identifiers.IsConnectionId, "Invalid connection_id");
        if (reader.HasErrors)
        {
            return ApiErrors.InvalidBody(reader.Errors);
        }
        var result = await command(new SyncSelection(http.GetNangoEnvironment(), providerConfigKey!, connectionId, refs!), ct);
        return result.Outcome == SyncControlOutcome.Ok ? TypedResults.Ok(new SuccessResponse(true)) : ControlError(result.Outcome, result.Message);
    }

    private static async Task<IResult> StatusAsync(HttpContext http, SyncControlService syncs, CancellationToken ct)
    {
        var query = http.Request.Query;
        var errors = new List<ValidationError>();
        var unknown = query.Keys.Where(k => k is not ("syncs" or "provider_config_key" or "connection_id")).ToList();
        if (unknown.Count > 0)
        {
            errors.Add(new ValidationError("unrecognized_keys", $"Unrecognized key{(unknown.Count == 1 ? "" : "s")}: {string.Join(", ", unknown.Select(k => $"\"{k}\""))}", []));
        }
        var syncsText = query["syncs"].ToString();
        if (syncsText.Length == 0)
        {
            errors.Add(new ValidationError("invalid_type", "Invalid input: expected string, received undefined", ["syncs"]));
        }
        var providerConfigKey = query["provider_config_key"].ToString();
        if (!Identifiers.IsProviderConfigKey(providerConfigKey))
        {
            errors.Add(new ValidationError(providerConfigKey.Length == 0 ? "invalid_type" : "invalid_format",
                providerConfigKey.Length == 0 ? "Invalid input: expected string, received undefined" : "Invalid provider_config_key", ["provider_config_key"]));
        }
        var connectionId = NonEmpty(query["connection_id"].ToString());
        if (connectionId is not null && !Identifiers.IsConnectionId(connectionId))
        {
            errors.Add(new ValidationError("invalid_format", "Invalid connection_id", ["connection_id"]));
        }
        var refs = new List<SyncRef>();
        if (syncsText.Length > 0 && syncsText != "*")
        {
            foreach (var part in syncsText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var at = part.IndexOf("::", StringComparison.Ordinal);
                var name = at < 0 ? part : part[..at];
                var variant = at < 0 ? SyncVariants.Base : part[(at + 2)..];
                if (!Identifiers.IsFunctionName(name) || !Identifiers.IsFunctionName(variant))
                {
                    errors.Add(new ValidationError("invalid_format", $"Invalid sync '{part}': use name or name::variant", ["syncs"]));
                    continue;
                }
                refs.Add(new SyncRef(name, variant));
            }
        }
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidQuery(errors);
        }
        var result = await syncs.StatusAsync(new SyncSelection(http.GetNangoEnvironment(), providerConfigKey, connectionId, refs), ct);
        if (result.Outcome != SyncControlOutcome.Ok)
        {
            return ControlError(result.Outcome, result.Message);
        }
        var list = new JsonArray(result.Syncs.Select(s => (JsonNode)StatusJson(s)).ToArray());
        return Results.Text(new JsonObject { ["syncs"] = list }.ToJsonString(), "application/json");
    }

    private static async Task<Results<Ok<JsonObject>, JsonHttpResult<ApiError>>> UpdateFrequencyAsync(HttpContext http, SyncControlService syncs, CancellationToken ct)
    {
        if (EmptyQueryError(http) is { } queryError)
        {
            return queryError;
        }
        var (body, bodyError) = await ReadBodyAsync(http, ct);
        if (bodyError is not null)
        {
            return bodyError;
        }
        var reader = new JsonBodyReader();
        reader.RejectUnknownKeys(body!, ["sync_name", "sync_variant", "provider_config_key", "connection_id", "frequency"]);
        var syncName = reader.ReadFormattedString(body!, "sync_name", [], Identifiers.IsFunctionName, "Invalid sync_name", required: true);
        var variant = reader.ReadFormattedString(body!, "sync_variant", [], Identifiers.IsFunctionName, "Invalid sync_variant");
        var providerConfigKey = reader.ReadFormattedString(body!, "provider_config_key", [], Identifiers.IsProviderConfigKey, "Invalid provider_config_key", required: true);
        var connectionId = reader.ReadFormattedString(body!, "connection_id", [], Identifiers.IsConnectionId, "Invalid connection_id", required: true);
        string? frequency = null;
        if (!body!.TryGetPropertyValue("frequency", out var frequencyNode))
        {
            reader.Add(new ValidationError("invalid_type", "Invalid input: expected string, received undefined", ["frequency"]));
        }
        else if (frequencyNode is not null)
        {
            frequency = reader.ReadFormattedString(body!, "frequency", [], t => SyncFrequency.Pattern().IsMatch(t),
                "Invalid string: must match pattern of a frequency such as 'every hour' or '30 minutes'");
        }
        if (reader.HasErrors)
        {
            return ApiErrors.InvalidBody(reader.Errors);
        }
        var result = await syncs.UpdateFrequencyAsync(http.GetNangoEnvironment(), providerConfigKey!, connectionId!, new SyncRef(syncName!, variant ?? SyncVariants.Base), frequency, ct);
        return result.Outcome switch
        {
            SyncControlOutcome.Ok => TypedResults.Ok(new JsonObject { ["frequency"] = result.Frequency }),
            // Nango looks the connection up by key and id together, so an unknown integration is an unknown connection here.
            SyncControlOutcome.UnknownIntegration or SyncControlOutcome.UnknownConnection => ApiErrors.UnknownConnection(StatusCodes.Status400BadRequest),
            _ => ControlError(result.Outcome, result.Message),
        };
    }

    private static async Task<Results<Ok<JsonObject>, JsonHttpResult<ApiError>>> CreateVariantAsync(string name, string variant, HttpContext http, SyncControlService syncs, CancellationToken ct)
    {
        var (target, error) = await ReadVariantRequestAsync(name, variant, http, ct);
        if (error is not null)
        {
            return error;
        }
        var result = await syncs.CreateVariantAsync(http.GetNangoEnvironment(), target!.ProviderConfigKey, target.ConnectionId, new SyncRef(name, variant), ct);
        return result.Outcome == SyncControlOutcome.Ok
            ? TypedResults.Ok(new JsonObject { ["id"] = result.Id!.Value.ToString(), ["name"] = name, ["variant"] = variant })
            : VariantError(result);
    }

    private static async Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> DeleteVariantAsync(string name, string variant, HttpContext http, SyncControlService syncs, CancellationToken ct)
    {
        var (target, error) = await ReadVariantRequestAsync(name, variant, http, ct);
        if (error is not null)
        {
            return error;
        }
        var result = await syncs.DeleteVariantAsync(http.GetNangoEnvironment(), target!.ProviderConfigKey, target.ConnectionId, new SyncRef(name, variant), ct);
        return result.Outcome == SyncControlOutcome.Ok ? TypedResults.Ok(new SuccessResponse(true)) : VariantError(result);
    }

    private sealed record VariantTarget(string ProviderConfigKey, string ConnectionId);

    private static async Task<(VariantTarget?, JsonHttpResult<ApiError>?)> ReadVariantRequestAsync(string name, string variant, HttpContext http, CancellationToken ct)
    {
        var uriErrors = new List<ValidationError>();
        if (!Identifiers.IsFunctionName(name))
        {
            uriErrors.Add(new ValidationError("invalid_format", "Invalid sync name: letters, digits, _ and -", ["name"]));
        }
        if (!Identifiers.IsFunctionName(variant))
        {
            uriErrors.Add(new ValidationError("invalid_format", "Invalid variant: letters, digits, _ and -", ["variant"]));
        }
        if (uriErrors.Count > 0)
        {
            return (null, ApiErrors.InvalidUri(uriErrors));
        }
        if (EmptyQueryError(http) is { } queryError)
        {
            return (null, queryError);
        }
        var (body, bodyError) = await ReadBodyAsync(http, ct);
        if (bodyError is not null)
        {
            return (null, bodyError);
        }
        var reader = new JsonBodyReader();
        reader.RejectUnknownKeys(body!, ["provider_config_key", "connection_id"]);
        var providerConfigKey = reader.ReadFormattedString(body!, "provider_config_key", [], Identifiers.IsProviderConfigKey, "Invalid provider_config_key", required: true);
        var connectionId = reader.ReadFormattedString(body!, "connection_id", [], Identifiers.IsConnectionId, "Invalid connection_id", required: true);
        return reader.HasErrors ? (null, ApiErrors.InvalidBody(reader.Errors)) : (new VariantTarget(providerConfigKey!, connectionId!), null);
    }

    /// <summary>The variant endpoints answer 400 for everything but a missing variant (Nango's handlers set the status themselves).</summary>
    private static JsonHttpResult<ApiError> VariantError(SyncVariantResult result) => result.Outcome switch
    {
        SyncControlOutcome.UnknownIntegration or SyncControlOutcome.UnknownConnection => ApiErrors.UnknownConnection(StatusCodes.Status400BadRequest),
        SyncControlOutcome.VariantNotFound => ApiErrors.NotFound(result.Message ?? "No such variant"),
        _ => ApiErrors.Create(StatusCodes.Status400BadRequest, SyncControlCodes.For(result.Outcome), result.Message),
    };

    /// <summary>Errors of trigger, start, pause and status, as Nango's <c>NangoError</c>s map them.</summary>
    private static JsonHttpResult<ApiError> ControlError(SyncControlOutcome outcome, string? message) => outcome switch
    {
        SyncControlOutcome.UnknownIntegration => ApiErrors.UnknownProviderConfig(),
        SyncControlOutcome.UnknownConnection => ApiErrors.UnknownConnection(),
        _ => ApiErrors.Create(StatusCodes.Status400BadRequest, SyncControlCodes.For(outcome), message),
    };

    private static JsonObject StatusJson(SyncStatusReport s)
    {
        var json = new JsonObject
        {
            ["id"] = s.Id.ToString(),
            ["connection_id"] = s.ConnectionId,
            ["name"] = s.Name,
            ["variant"] = s.Variant,
            ["type"] = s.Type,
            ["status"] = s.Status,
        };
        // Nango serialises absent values as undefined (left out) for these two, null for the next run.
        if (s.FinishedAt is { } finished)
        {
            json["finishedAt"] = IsoDate(finished);
        }
        json["nextScheduledSyncAt"] = s.NextScheduledSyncAt is { } next ? IsoDate(next) : null;
        json["frequency"] = s.Frequency;
        if (s.LatestResult is not null)
        {
            json["latestResult"] = s.LatestResult.DeepClone();
        }
        if (s.LatestExecutionStatus is not null)
        {
            json["latestExecutionStatus"] = s.LatestExecutionStatus;
        }
        json["recordCount"] = s.RecordCount.DeepClone();
        json["checkpoint"] = s.Checkpoint?.DeepClone();
        return json;
    }

    /// <summary>JavaScript's <c>Date.toJSON</c>: UTC with milliseconds.</summary>
    private static string IsoDate(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>zod's <c>array(string | {name, variant})</c>, required.</summary>
    private static List<SyncRef>? ReadSyncs(JsonBodyReader reader, JsonObject body)
    {
        if (!body.TryGetPropertyValue("syncs", out var node))
        {
            reader.Add(new ValidationError("invalid_type", "Invalid input: expected array, received undefined", ["syncs"]));
            return null;
        }
        if (node is not JsonArray array)
        {
            reader.Add(JsonBodyReader.TypeError("array", node, ["syncs"]));
            return null;
        }
        var refs = new List<SyncRef>();
        for (var index = 0; index < array.Count; index++)
        {
            var item = array[index];
            if (item is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                refs.Add(new SyncRef(v.GetValue<string>(), SyncVariants.Base));
            }
            else if (item is JsonObject o && o["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String
                && o["variant"] is JsonValue vr && vr.GetValueKind() == JsonValueKind.String)
            {
                refs.Add(new SyncRef(n.GetValue<string>(), vr.GetValue<string>()));
            }
            else
            {
                reader.Add(new ValidationError("invalid_union", "Each sync must be either a string or a { name: string, variant: string } object", ["syncs", index]));
            }
        }
        return refs;
    }

    private static bool? ReadBool(JsonBodyReader reader, JsonObject parent, string key, object[] path)
    {
        if (!parent.TryGetPropertyValue(key, out var node))
        {
            return null;
        }
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }
        reader.Add(JsonBodyReader.TypeError("boolean", node, [.. path, key]));
        return null;
    }

    private static async Task<(JsonObject?, JsonHttpResult<ApiError>?)> ReadBodyAsync(HttpContext http, CancellationToken ct)
    {
        JsonElement element;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            element = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, "The request body is not valid JSON."));
        }
        var reader = new JsonBodyReader();
        var body = reader.ReadBody(element);
        return body is null ? (null, ApiErrors.InvalidBody(reader.Errors)) : (body, null);
    }

    private static JsonHttpResult<ApiError>? EmptyQueryError(HttpContext http) =>
        http.Request.Query.Count == 0 ? null
            : ApiErrors.InvalidQuery([new ValidationError("unrecognized_keys", $"Unrecognized key{(http.Request.Query.Count == 1 ? "" : "s")}: {string.Join(", ", http.Request.Query.Keys.Select(k => $"\"{k}\""))}", [])]);

    private static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
