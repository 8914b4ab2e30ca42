using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Common;
using Nango.Core.Functions.Actions;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Actions;

/// <summary>Actions (reference §1.9): <c>POST /action/trigger</c>, synchronous or with <c>X-Async</c>, and <c>GET /action/:id</c>.</summary>
public static class ActionEndpoints
{
    public static RouteGroupBuilder MapActionEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/action").WithTags("Actions");
        group.MapPost("/trigger", TriggerAsync).WithName("TriggerAction").WithSummary("Run a deployed action for a connection.");
        group.MapGet("/{id}", GetResultAsync).WithName("GetAsyncActionResult").WithSummary("The result of an async action.");
        return api;
    }

    private static async Task<IResult> TriggerAsync(JsonElement requestBody, HttpContext http, ActionService actions, CancellationToken ct)
    {
        var headers = http.Request.Headers;
        var errors = new List<ValidationError>();
        var connectionId = headers["Connection-Id"].ToString();
        var providerConfigKey = headers["Provider-Config-Key"].ToString();
        if (string.IsNullOrEmpty(connectionId))
        {
            errors.Add(ValidationError.At("Missing Connection-Id header", "connection-id"));
        }
        if (string.IsNullOrEmpty(providerConfigKey))
        {
            errors.Add(ValidationError.At("Missing Provider-Config-Key header", "provider-config-key"));
        }
        var isAsync = headers["X-Async"].ToString().Equals("true", StringComparison.OrdinalIgnoreCase);
        var maxRetries = 0;
        if (headers["X-Max-Retries"].ToString() is { Length: > 0 } retriesText
            && (!int.TryParse(retriesText, NumberStyles.None, CultureInfo.InvariantCulture, out maxRetries) || maxRetries > ActionService.MaxAsyncRetries))
        {
            errors.Add(ValidationError.At($"X-Max-Retries must be an integer from 0 to {ActionService.MaxAsyncRetries}", "x-max-retries"));
        }
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidHeaders(errors);
        }
        if (http.Request.QueryString.HasValue)
        {
            return ApiErrors.InvalidQuery([ValidationError.At("This endpoint takes no query parameters")]);
        }

        var reader = new JsonBodyReader();
        var body = reader.ReadBody(requestBody);
        string? actionName = null;
        if (body is not null)
        {
            reader.RejectUnknownKeys(body, ["action_name", "input"]);
            actionName = body["action_name"] is JsonValue name && name.TryGetValue<string>(out var text) ? text : null;
            if (!Identifiers.IsFunctionName(actionName))
            {
                reader.Errors.Add(ValidationError.At("action_name is required: letters, digits, _ and -", "action_name"));
            }
        }
        if (reader.HasErrors)
        {
            return ApiErrors.InvalidBody(reader.Errors);
        }

        var outcome = await actions.TriggerAsync(
            new ActionTrigger(http.GetNangoEnvironment(), providerConfigKey, connectionId, actionName!, body!["input"]?.DeepClone(), isAsync, maxRetries), ct);
        if (outcome.Status == StatusCodes.Status202Accepted)
        {
            var statusUrl = ActionPaths.Status(outcome.Id!.Value);
            http.Response.Headers.Location = statusUrl;
            return Results.Json(new { id = outcome.Id.Value.ToString(), statusUrl }, statusCode: StatusCodes.Status202Accepted);
        }
        return Answer(outcome);
    }

    private static async Task<IResult> GetResultAsync(string id, HttpContext http, ActionService actions, CancellationToken ct)
    {
        if (!Guid.TryParse(id, out var actionId))
        {
            return ApiErrors.InvalidUri([ValidationError.At("id must be a UUID", "id")]);
        }
        return Answer(await actions.GetResultAsync(http.GetNangoEnvironment(), actionId, ct));
    }

    /// <summary>The output as the raw JSON body, or Nango's envelope with the script's payload and the provider's answer.</summary>
    private static IResult Answer(ActionOutcome outcome)
    {
        if (!outcome.IsError)
        {
            return Results.Text((outcome.Output ?? JsonValue.Create((string?)null))?.ToJsonString() ?? "null", "application/json", statusCode: outcome.Status);
        }
        var error = new JsonObject { ["code"] = outcome.ErrorCode, ["message"] = outcome.Message };
        if (outcome.Errors is { Count: > 0 } issues)
        {
            error["errors"] = JsonSerializer.SerializeToNode(issues.Select(e => new { code = e.Code, message = e.Message, path = e.Path }));
        }
        if (outcome.Payload is not null)
        {
            error["payload"] = outcome.Payload.DeepClone();
        }
        if (outcome.Upstream is not null)
        {
            error["upstream"] = outcome.Upstream.DeepClone();
        }
        return Results.Text(new JsonObject { ["error"] = error }.ToJsonString(), "application/json", statusCode: outcome.Status);
    }
}
