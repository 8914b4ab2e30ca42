using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Common;
using Nango.Core.Functions.Deploy;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Functions;

/// <summary>An integration's deployed functions: <c>/integrations/:uniqueKey/functions…</c> (Nango's public API).</summary>
public static class FunctionEndpoints
{
    private static readonly string[] _types = [FunctionTypes.Sync, FunctionTypes.Action, FunctionTypes.OnEvent];

    public static RouteGroupBuilder MapFunctionEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/integrations/{uniqueKey}/functions").WithTags("Functions").AddEndpointFilter<RouteIdentifierFilter>();
        group.MapGet("/", ListFunctions).WithName("ListIntegrationFunctions").WithSummary("Deployed functions of an integration, paginated.");
        group.MapGet("/{name}", GetFunction).WithName("GetIntegrationFunction").WithSummary("One deployed function.");
        group.MapGet("/{name}/code", GetFunctionCode).WithName("GetIntegrationFunctionCode").WithSummary("The TypeScript source of a deployed function.");
        group.MapDelete("/{name}", DeleteFunction).WithName("DeleteIntegrationFunction").WithSummary("Delete a function not managed by nango deploy.");
        return api;
    }

    private static async Task<Results<Ok<JsonObject>, JsonHttpResult<ApiError>>> ListFunctions(string uniqueKey, HttpContext http, FunctionService functions, CancellationToken ct)
    {
        var query = http.Request.Query;
        var errors = new List<ValidationError>();
        RejectUnknown(query, ["type", "search", "page", "limit"], errors);
        var type = ReadType(query, errors, required: false);
        string? search = null;
        if (query.TryGetValue("search", out var searchValue))
        {
            search = searchValue.ToString().Trim();
            if (search.Length is < 1 or > 255)
            {
                errors.Add(new ValidationError(search.Length < 1 ? "too_small" : "too_big", search.Length < 1 ? "Too small: expected string to have >=1 characters" : "Too big: expected string to have <=255 characters", ["search"]));
            }
        }
        var page = ReadInt(query, "page", 0, 0, int.MaxValue, errors);
        var limit = ReadInt(query, "limit", 20, 1, 100, errors);
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidQuery(errors);
        }
        var result = await functions.ListAsync(http.GetNangoEnvironment(), uniqueKey, type, search, page, limit, ct);
        if (result is null)
        {
            return ApiErrors.NotFound("Integration does not exist");
        }
        return TypedResults.Ok(new JsonObject
        {
            ["data"] = new JsonArray(result.Rows.Select(r => (JsonNode)ToJson(r)).ToArray()),
            ["pagination"] = new JsonObject { ["total"] = result.Total, ["page"] = page, ["limit"] = limit },
        });
    }

    private static async Task<Results<Ok<JsonObject>, JsonHttpResult<ApiError>>> GetFunction(string uniqueKey, string name, HttpContext http, FunctionService functions, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        RejectUnknown(http.Request.Query, ["type"], errors);
        var type = ReadType(http.Request.Query, errors, required: false);
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidQuery(errors);
        }
        if (!DeployBodyParser.IsFunctionName(name))
        {
            return ApiErrors.InvalidUri([new ValidationError("invalid_format", "Invalid string: must match pattern /^[a-zA-Z0-9_-]+$/", ["name"])]);
        }
        var (integrationExists, function) = await functions.GetAsync(http.GetNangoEnvironment(), uniqueKey, name, type, ct);
        if (!integrationExists)
        {
            return ApiErrors.NotFound("Integration does not exist");
        }
        return function is null ? ApiErrors.NotFound("Function does not exist") : TypedResults.Ok(new JsonObject { ["data"] = ToJson(function) });
    }

    private static async Task<Results<Ok<JsonObject>, JsonHttpResult<ApiError>>> GetFunctionCode(string uniqueKey, string name, HttpContext http, FunctionService functions, CancellationToken ct)
    {
        if (!DeployBodyParser.IsFunctionName(name))
        {
            return ApiErrors.InvalidUri([new ValidationError("invalid_format", "Invalid string: must match pattern /^[a-zA-Z0-9_-]+$/", ["name"])]);
        }
        var errors = new List<ValidationError>();
        RejectUnknown(http.Request.Query, ["type"], errors);
        var type = ReadType(http.Request.Query, errors, required: false);
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidQuery(errors);
        }
        var code = await functions.GetCodeAsync(http.GetNangoEnvironment(), uniqueKey, name, type, ct);
        return code.Outcome switch
        {
            FunctionCodeOutcome.Ok => TypedResults.Ok(new JsonObject { ["type"] = code.Type, ["code"] = code.Code }),
            FunctionCodeOutcome.IntegrationNotFound => ApiErrors.NotFound($"Integration '{uniqueKey}' not found"),
            FunctionCodeOutcome.Ambiguous => ApiErrors.Create(StatusCodes.Status409Conflict, ErrorCodes.AmbiguousFunction,
                $"Multiple functions named '{name}' found for integration '{uniqueKey}'. Specify a type to disambiguate.",
                payload: new JsonObject
                {
                    ["matches"] = new JsonArray(code.Matches!.Select(m => (JsonNode)new JsonObject { ["type"] = m.Type, ["name"] = m.Name }).ToArray()),
                }),
            FunctionCodeOutcome.SourceMissing => ApiErrors.NotFound($"Source file for '{name}' not found"),
            _ => ApiErrors.NotFound($"Function '{name}' not found for integration '{uniqueKey}'"),
        };
    }

    private static async Task<Results<Ok<JsonObject>, JsonHttpResult<ApiError>>> DeleteFunction(string uniqueKey, string name, HttpContext http, FunctionService functions, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        RejectUnknown(http.Request.Query, ["type"], errors);
        // Required here (unlike GET) to tell a sync from an action of the same name; on-event scripts are not deletable by name.
        var type = ReadType(http.Request.Query, errors, required: true, allowed: [FunctionTypes.Sync, FunctionTypes.Action]);
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidQuery(errors);
        }
        if (!DeployBodyParser.IsFunctionName(name))
        {
            return ApiErrors.InvalidUri([new ValidationError("invalid_format", "Invalid string: must match pattern /^[a-zA-Z0-9_-]+$/", ["name"])]);
        }
        var outcome = await functions.DeleteAsync(http.GetNangoEnvironment(), uniqueKey, name, type!, ct);
        return outcome switch
        {
            FunctionChangeOutcome.IntegrationNotFound => ApiErrors.NotFound("Integration does not exist"),
            FunctionChangeOutcome.NotFound => ApiErrors.NotFound("Function does not exist"),
            FunctionChangeOutcome.ManagedByDeploy => ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.FunctionManagedByDeploy,
                "repo functions are deleted through `nango deploy`, not this endpoint"),
            _ => TypedResults.Ok(new JsonObject { ["data"] = new JsonObject { ["success"] = true } }),
        };
    }

    /// <summary>Nango's <c>DeployedNangoFunction</c>: the fields of the function's type, optional ones only when set.</summary>
    internal static JsonObject ToJson(FunctionSummary f)
    {
        var v = f.Current;
        var result = new JsonObject { ["name"] = f.Name };
        if (f.Type != FunctionTypes.OnEvent)
        {
            if (v.Description is not null)
            {
                result["description"] = v.Description;
            }
            result["scopes"] = new JsonArray(v.Scopes.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        }
        result["type"] = f.Type;
        if (f.Type == FunctionTypes.OnEvent)
        {
            result["event"] = f.Event;
        }
        else
        {
            if (v.Input is not null)
            {
                result["input"] = v.Input;
            }
            result["returns"] = new JsonArray(v.Models.Select(m => (JsonNode)JsonValue.Create(m)).ToArray());
            result["json_schema"] = v.JsonSchema?.DeepClone();
            if (f.Type == FunctionTypes.Sync)
            {
                result["runs"] = v.Runs;
                result["auto_start"] = v.AutoStart;
                result["track_deletes"] = v.TrackDeletes;
            }
        }
        result["id"] = f.Id;
        result["enabled"] = f.Enabled;
        result["last_deployed"] = ApiJson.IsoString(f.LastDeployedAt);
        result["source"] = f.Source;
        return result;
    }

    private static void RejectUnknown(IQueryCollection query, string[] allowed, List<ValidationError> errors)
    {
        var unknown = query.Keys.Where(k => !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            errors.Add(new ValidationError("unrecognized_keys", $"Unrecognized key{(unknown.Count == 1 ? "" : "s")}: {string.Join(", ", unknown.Select(k => $"\"{k}\""))}", []));
        }
    }

    private static string? ReadType(IQueryCollection query, List<ValidationError> errors, bool required, string[]? allowed = null)
    {
        allowed ??= _types;
        if (!query.TryGetValue("type", out var value))
        {
            if (required)
            {
                errors.Add(new ValidationError("invalid_value", $"Invalid option: expected one of {string.Join('|', allowed.Select(a => $"\"{a}\""))}", ["type"]));
            }
            return null;
        }
        var text = value.ToString();
        if (allowed.Contains(text))
        {
            return text;
        }
        errors.Add(new ValidationError("invalid_value", $"Invalid option: expected one of {string.Join('|', allowed.Select(a => $"\"{a}\""))}", ["type"]));
        return null;
    }

    /// <summary>zod's <c>coerce.number().int().min().max()</c> with a default.</summary>
    private static int ReadInt(IQueryCollection query, string key, int fallback, int min, int max, List<ValidationError> errors)
    {
        if (!query.TryGetValue(key, out var value))
        {
            return fallback;
        }
        if (!int.TryParse(value.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            errors.Add(new ValidationError("invalid_type", "Invalid input: expected int, received NaN", [key]));
            return fallback;
        }
        if (number < min)
        {
            errors.Add(new ValidationError("too_small", $"Too small: expected number to be >={min}", [key]));
        }
        else if (number > max)
        {
            errors.Add(new ValidationError("too_big", $"Too big: expected number to be <={max}", [key]));
        }
        return number;
    }
}
