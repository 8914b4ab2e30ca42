using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Primitives;
using Nango.Core.Common;
using Nango.Core.Records;
using Nango.Core.Syncs.Runs;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Records;

/// <summary>
/// Records (reference §1.7): <c>GET /records</c> (and <c>/records/</c>, which <c>@nangohq/node</c> calls) reads a
/// model's change stream by cursor; <c>PATCH /records/prune</c> empties payloads up to a cursor.
/// </summary>
public static partial class RecordEndpoints
{
    /// <summary>Nango's <c>modified_after</c> may reach back at most 12 months (365 days in its code).</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(365);

    private const int MaxIds = 100;
    private const int MaxIdLength = 256;
    private const int MaxCursorLength = 1000;

    private static readonly string[] _queryKeys = ["model", "variant", "delta", "modified_after", "limit", "filter", "cursor", "ids"];

    public static RouteGroupBuilder MapRecordEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/records").WithTags("Records");
        // Routing matches a trailing slash too, so this also serves /records/, the path @nangohq/node calls.
        group.MapGet("", ListRecordsAsync).WithName("ListRecords").WithSummary("A page of a model's records, in change order, after a cursor.");
        group.MapPatch("/prune", PruneRecordsAsync).WithName("PruneRecords").WithSummary("Empty the payloads of a model's records up to a cursor.");
        return api;
    }

    [GeneratedRegex(@"^[A-Z][a-zA-Z0-9_-]+$")]
    private static partial Regex ModelPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex IsoDateTimePattern();

    private static bool IsModel(string? value) => value is { Length: > 0 and <= Identifiers.MaxLength } && ModelPattern().IsMatch(value);

    private static async Task<Results<RecordPageResult, JsonHttpResult<ApiError>>> ListRecordsAsync(HttpContext http, RecordStore records, TimeProvider clock, CancellationToken ct)
    {
        var q = http.Request.Query;
        var errors = new List<ValidationError>();
        var unknown = q.Keys.Where(k => !_queryKeys.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            errors.Add(new ValidationError("unrecognized_keys", $"Unrecognized key(s) in object: {string.Join(", ", unknown.Select(k => $"'{k}'"))}", []));
        }
        var model = Single(q, "model", errors, required: true);
        if (model is not null && !IsModel(model))
        {
            errors.Add(ValidationError.At("model must start with an uppercase letter, then letters, digits, _ or - (at most 255 characters)", "model"));
        }
        var variant = Single(q, "variant", errors);
        if (variant is not null && !Identifiers.IsFunctionName(variant))
        {
            errors.Add(ValidationError.At("variant may only contain letters, digits, _ and -", "variant"));
        }
        var now = clock.GetUtcNow();
        var delta = ModifiedAfter(Single(q, "delta", errors), "delta", now, errors);
        var modifiedAfter = ModifiedAfter(Single(q, "modified_after", errors), "modified_after", now, errors);
        var limit = RecordStore.DefaultPageSize;
        if (Single(q, "limit", errors) is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > RecordStore.MaxPageSize))
        {
            errors.Add(ValidationError.At($"limit must be an integer from 1 to {RecordStore.MaxPageSize:N0}", "limit"));
        }
        var filter = RecordActions.None;
        if (Single(q, "filter", errors) is { } filterText)
        {
            foreach (var action in filterText.Split(','))
            {
                filter |= action.ToLowerInvariant() switch
                {
                    "added" => RecordActions.Added,
                    "updated" => RecordActions.Updated,
                    "deleted" => RecordActions.Deleted,
                    _ => RecordActions.None,
                };
                if (action.ToLowerInvariant() is not ("added" or "updated" or "deleted"))
                {
                    errors.Add(ValidationError.At($"filter takes a comma-separated list of added, updated and deleted; got '{action}'", "filter"));
                    break;
                }
            }
        }
        var cursor = Single(q, "cursor", errors);
        if (cursor is not null && (cursor.Length > MaxCursorLength || !RecordCursor.TryDecode(cursor, out _, out _)))
        {
            errors.Add(ValidationError.At("cursor is malformed: pass a next_cursor or _nango_metadata.cursor this server returned", "cursor"));
        }
        string[]? ids = null;
        if (q.TryGetValue("ids", out var idValues))
        {
            ids = idValues.Select(v => v ?? "").ToArray();
            if (ids.Length > MaxIds)
            {
                errors.Add(ValidationError.At($"ids takes at most {MaxIds} values", "ids"));
            }
            for (var i = 0; i < ids.Length; i++)
            {
                if (ids[i].Length is 0 or > MaxIdLength)
                {
                    errors.Add(ValidationError.At($"each id has 1 to {MaxIdLength} characters", "ids", i));
                }
            }
        }
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidQuery(errors);
        }
        if (ReadConnectionHeaders(http) is { Errors: { } headerErrors })
        {
            return ApiErrors.InvalidHeaders(headerErrors);
        }
        var connectionId = await records.FindConnectionAsync(http.GetNangoEnvironment().EnvironmentId,
            http.Request.Headers["Provider-Config-Key"].ToString(), http.Request.Headers["Connection-Id"].ToString(), ct);
        if (connectionId is null)
        {
            return ApiErrors.UnknownConnection(StatusCodes.Status400BadRequest);
        }

        var storedModel = SyncVariants.StoredModel(model!, variant);
        var page = await records.ListAsync(new RecordQuery
        {
            ConnectionId = connectionId.Value,
            Model = storedModel,
            ModifiedAfter = delta ?? modifiedAfter,
            Limit = limit,
            Filter = filter,
            Cursor = cursor,
            ExternalIds = ids,
        }, ct);
        // Only an empty page pays for this check: a model with records is known by definition.
        if (page.Records.Count == 0 && !await records.IsKnownModelAsync(connectionId.Value, storedModel, ct))
        {
            return ApiErrors.InvalidQuery([new ValidationError("unknown_model",
                $"Unknown model '{storedModel}': this connection has no records of it and no sync deployed to its integration returns it.", ["model"])]);
        }
        return new RecordPageResult(page);
    }

    private static async Task<Results<Ok<PruneResponse>, JsonHttpResult<ApiError>>> PruneRecordsAsync(
        JsonElement requestBody, HttpContext http, RecordStore records, CancellationToken ct)
    {
        if (http.Request.QueryString.HasValue)
        {
            return ApiErrors.InvalidQuery([ValidationError.At("This endpoint takes no query parameters")]);
        }
        var reader = new JsonBodyReader();
        var body = reader.ReadBody(requestBody);
        string? model = null, variant = null, untilCursor = null;
        int? limit = null;
        if (body is not null)
        {
            reader.RejectUnknownKeys(body, ["model", "variant", "until_cursor", "limit"]);
            model = reader.ReadFormattedString(body, "model", [], IsModel,
                "model must start with an uppercase letter, then letters, digits, _ or - (at most 255 characters)", required: true);
            variant = reader.ReadFormattedString(body, "variant", [], Identifiers.IsFunctionName, "variant may only contain letters, digits, _ and -");
            untilCursor = reader.ReadString(body, "until_cursor", [], required: true, minLength: 1, maxLength: MaxCursorLength);
            if (untilCursor is not null && !RecordCursor.TryDecode(untilCursor, out _, out _))
            {
                reader.Add(ValidationError.At("until_cursor is malformed: pass a cursor this server returned", "until_cursor"));
            }
            if (body["limit"] is { } limitNode)
            {
                // zod's z.coerce.number(): a number or a numeric string.
                var text = limitNode is JsonValue v && v.TryGetValue<string>(out var s) ? s : limitNode.ToJsonString();
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= RecordStore.MaxPageSize)
                {
                    limit = parsed;
                }
                else
                {
                    reader.Add(ValidationError.At($"limit must be an integer from 1 to {RecordStore.MaxPageSize:N0}", "limit"));
                }
            }
        }
        if (reader.HasErrors)
        {
            return ApiErrors.InvalidBody(reader.Errors);
        }
        if (ReadConnectionHeaders(http) is { Errors: { } headerErrors })
        {
            return ApiErrors.InvalidHeaders(headerErrors);
        }
        var connectionId = await records.FindConnectionAsync(http.GetNangoEnvironment().EnvironmentId,
            http.Request.Headers["Provider-Config-Key"].ToString(), http.Request.Headers["Connection-Id"].ToString(), ct);
        if (connectionId is null)
        {
            return ApiErrors.UnknownConnection(StatusCodes.Status400BadRequest);
        }
        var result = await records.PruneAsync(connectionId.Value, SyncVariants.StoredModel(model!, variant), untilCursor!, limit, ct);
        return TypedResults.Ok(new PruneResponse(result.Count, result.HasMore));
    }

    private sealed record HeaderCheck(List<ValidationError>? Errors);

    private static HeaderCheck ReadConnectionHeaders(HttpContext http)
    {
        var errors = new List<ValidationError>();
        if (!Identifiers.IsConnectionId(http.Request.Headers["Connection-Id"].ToString()))
        {
            errors.Add(ValidationError.At("Connection-Id header is required: a connection id", "connection-id"));
        }
        if (!Identifiers.IsProviderConfigKey(http.Request.Headers["Provider-Config-Key"].ToString()))
        {
            errors.Add(ValidationError.At("Provider-Config-Key header is required: an integration's unique key", "provider-config-key"));
        }
        return new HeaderCheck(errors.Count > 0 ? errors : null);
    }

    /// <summary>A query parameter that may appear once (zod sees a repeated one as an array and refuses it).</summary>
    private static string? Single(IQueryCollection query, string key, List<ValidationError> errors, bool required = false)
    {
        if (!query.TryGetValue(key, out StringValues values))
        {
            if (required)
            {
                errors.Add(ValidationError.At($"{key} is required", key));
            }
            return null;
        }
        if (values.Count != 1)
        {
            errors.Add(ValidationError.At($"{key} must be given once", key));
            return null;
        }
        return values[0];
    }

    private static DateTimeOffset? ModifiedAfter(string? text, string key, DateTimeOffset now, List<ValidationError> errors)
    {
        if (text is null)
        {
            return null;
        }
        if (!IsoDateTimePattern().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            errors.Add(ValidationError.At($"{key} must be an ISO 8601 date-time, such as 2024-05-01T10:00:00Z", key));
            return null;
        }
        if (value < now - Lookback)
        {
            errors.Add(ValidationError.At($"{key} must be within the last 12 months", key));
            return null;
        }
        return value;
    }
}

public sealed record PruneResponse(int Count, bool HasMore);

/// <summary>
/// A page written straight to the response body in Nango's shape: the stored payload bytes are copied, never
/// parsed or re-serialised.
/// </summary>
public sealed class RecordPageResult(RecordPage page) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        var body = httpContext.Response.BodyWriter;
        RecordJson.WritePage(body, page);
        await body.FlushAsync(httpContext.RequestAborted);
    }
}
