using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Common;
using Nango.Core.Functions.Deploy;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Functions;

/// <summary>What <c>nango deploy</c> calls: the plan (<c>/sync/deploy/confirmation</c>) and the deploy itself (<c>/sync/deploy</c>).</summary>
public static class DeployEndpoints
{
    /// <summary>Nango's public body limit (<c>NANGO_SERVER_PUBLIC_BODY_LIMIT</c>, 75 MB): a deploy carries every bundle and source.</summary>
    public const long MaxBodyBytes = 75L * 1024 * 1024;

    public static RouteGroupBuilder MapDeployEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/sync/deploy").WithTags("Functions").AddEndpointFilter(new CliVersionGate(CliVersionGate.DeployMinimum));
        group.MapPost("/confirmation", PostConfirmation).WithName("PostDeployConfirmation").WithSummary("What a deploy would create, update and delete.");
        group.MapPost("/", PostDeploy).WithName("PostDeploy").WithSummary("Deploy syncs, actions and on-event scripts (nango deploy).");
        return api;
    }

    private static async Task<Results<Ok<JsonObject>, JsonHttpResult<ApiError>>> PostConfirmation(HttpContext http, FunctionDeployService deploys, CancellationToken ct)
    {
        var (request, error) = await ReadAsync(http, withYamlBody: false, ct);
        if (error is not null)
        {
            return error;
        }
        var plan = await deploys.PreviewAsync(http.GetNangoEnvironment(), request!, ct);
        return TypedResults.Ok(PlanJson(plan));
    }

    private static async Task<Results<Ok<JsonArray>, JsonHttpResult<ApiError>>> PostDeploy(HttpContext http, FunctionDeployService deploys, CancellationToken ct)
    {
        var (request, error) = await ReadAsync(http, withYamlBody: true, ct);
        if (error is not null)
        {
            return error;
        }
        var result = await deploys.DeployAsync(http.GetNangoEnvironment(), request!, ct);
        return result.Outcome switch
        {
            DeployOutcome.ConcurrentDeployment => ApiErrors.Create(StatusCodes.Status409Conflict, ErrorCodes.ConcurrentDeployment,
                "A deployment is already in progress. Please wait for the current deployment to finish."),
            DeployOutcome.UnknownIntegration => ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.UnknownProviderConfig,
                $"There is no Provider Configuration matching this key. Please make sure this value exists in the Nango dashboard {JsonSerializer.Serialize(new { providerConfigKey = result.UnknownIntegrationKey }, IndentedJson)}",
                payload: new JsonObject { ["providerConfigKey"] = result.UnknownIntegrationKey }),
            _ => TypedResults.Ok(new JsonArray(result.Deployed.Select(d => (JsonNode)new JsonObject
            {
                ["name"] = d.Name,
                ["models"] = new JsonArray(d.Models.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
                ["version"] = d.Version,
                ["providerConfigKey"] = d.ProviderConfigKey,
                ["type"] = d.Type,
            }).ToArray())),
        };
    }

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true, IndentSize = 2 };

    /// <summary>Both endpoints refuse any query string and take a JSON body of up to 75 MB.</summary>
    private static async Task<(DeployRequest? Request, JsonHttpResult<ApiError>? Error)> ReadAsync(HttpContext http, bool withYamlBody, CancellationToken ct)
    {
        if (http.Request.Query.Count > 0)
        {
            var keys = string.Join(", ", http.Request.Query.Keys.Select(k => $"\"{k}\""));
            return (null, ApiErrors.InvalidQuery([new ValidationError("unrecognized_keys", $"Unrecognized key{(http.Request.Query.Count == 1 ? "" : "s")}: {keys}", [])]));
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = MaxBodyBytes;
        }
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return (null, ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, "The request body is not valid JSON or does not match the expected shape."));
        }
        var errors = new List<ValidationError>();
        var request = DeployBodyParser.Parse(body, withYamlBody, CliVersionGate.CliVersionOf(http.Request), errors);
        return request is null ? (null, ApiErrors.InvalidBody(errors)) : (request, null);
    }

    private static JsonObject PlanJson(DeployPlan plan) => new()
    {
        ["newSyncs"] = Syncs(plan.NewSyncs),
        ["updatedSyncs"] = Syncs(plan.UpdatedSyncs),
        ["deletedSyncs"] = Syncs(plan.DeletedSyncs),
        ["newActions"] = Actions(plan.NewActions),
        ["updatedActions"] = Actions(plan.UpdatedActions),
        ["deletedActions"] = Actions(plan.DeletedActions),
        ["deletedModels"] = new JsonArray(plan.DeletedModels.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
        ["newOnEventScripts"] = OnEvents(plan.NewOnEventScripts),
        ["updatedOnEventScripts"] = OnEvents(plan.UpdatedOnEventScripts),
        ["deletedOnEventScripts"] = OnEvents(plan.DeletedOnEventScripts),
    };

    private static JsonArray Syncs(IEnumerable<PlannedSync> syncs) => new(syncs.Select(s => (JsonNode)new JsonObject
    {
        ["name"] = s.Name,
        ["providerConfigKey"] = s.ProviderConfigKey,
        ["connections"] = s.Connections,
        ["auto_start"] = s.AutoStart,
    }).ToArray());

    private static JsonArray Actions(IEnumerable<PlannedAction> actions) => new(actions.Select(a => (JsonNode)new JsonObject
    {
        ["name"] = a.Name,
        ["providerConfigKey"] = a.ProviderConfigKey,
    }).ToArray());

    private static JsonArray OnEvents(IEnumerable<PlannedOnEvent> scripts) => new(scripts.Select(s => (JsonNode)new JsonObject
    {
        ["providerConfigKey"] = s.ProviderConfigKey,
        ["name"] = s.Name,
        ["event"] = s.Event,
    }).ToArray());
}
