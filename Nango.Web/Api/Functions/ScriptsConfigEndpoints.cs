using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Common;
using Nango.Core.Functions.Deploy;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Functions;

/// <summary><c>GET /scripts/config</c>: the environment's deployed syncs and actions per integration, or as OpenAI tool definitions.</summary>
public static class ScriptsConfigEndpoints
{
    public static RouteGroupBuilder MapScriptsConfigEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/scripts/config", GetScriptsConfig).WithTags("Functions").WithName("GetScriptsConfig")
            .WithSummary("Deployed syncs and actions per integration (format=nango) or as OpenAI functions (format=openai).");
        return api;
    }

    private static async Task<Results<Ok<JsonNode>, JsonHttpResult<ApiError>>> GetScriptsConfig(HttpContext http, FunctionService functions, CancellationToken ct)
    {
        var format = http.Request.Query["format"].ToString();
        if (format.Length == 0)
        {
            format = "nango";
        }
        if (format is not ("nango" or "openai"))
        {
            return ApiErrors.InvalidQuery([new ValidationError("invalid_value", "Invalid option: expected one of \"nango\"|\"openai\"", ["format"])]);
        }
        var rows = (await functions.ListEnvironmentAsync(http.GetNangoEnvironment(), ct)).Where(f => f.Type != FunctionTypes.OnEvent).ToList();
        // Nango groups by provider, which merges two integrations of one provider; grouping by integration keeps each
        // entry's providerConfigKey true. On-event scripts are not part of this list in Nango either.
        var configs = rows.GroupBy(r => r.IntegrationKey, StringComparer.Ordinal).Select(g => new JsonObject
        {
            ["actions"] = new JsonArray(g.Where(f => f.Type == FunctionTypes.Action).Select(f => (JsonNode)Flow(f)).ToArray()),
            ["providerConfigKey"] = g.Key,
            ["provider"] = g.First().Provider,
            ["syncs"] = new JsonArray(g.Where(f => f.Type == FunctionTypes.Sync).Select(f => (JsonNode)Flow(f)).ToArray()),
            ["on-events"] = new JsonArray(),
        }).ToList();
        if (format == "openai")
        {
            return TypedResults.Ok<JsonNode>(new JsonObject { ["data"] = new JsonArray(rows.Select(f => (JsonNode)OpenAiFunction(f)).ToArray()) });
        }
        return TypedResults.Ok<JsonNode>(new JsonArray(configs.Select(c => (JsonNode)c).ToArray()));
    }

    /// <summary>Nango's <c>NangoSyncConfig</c>.</summary>
    private static JsonObject Flow(FunctionSummary f)
    {
        var v = f.Current;
        var flow = new JsonObject
        {
            ["id"] = f.Id,
            ["name"] = f.Name,
            ["type"] = f.Type,
            ["returns"] = Strings(v.Models),
            ["description"] = v.Description ?? "",
            ["attributes"] = v.Attributes.DeepClone(),
            ["scopes"] = Strings(v.Scopes),
            ["version"] = v.Version,
            ["source"] = f.Source,
            ["endpoints"] = FunctionDeployServiceJson.Endpoints(v.Endpoints),
        };
        if (v.Input is not null)
        {
            flow["input"] = v.Input;
        }
        flow["enabled"] = f.Enabled;
        flow["last_deployed"] = ApiJson.IsoString(f.LastDeployedAt);
        flow["webhookSubscriptions"] = Strings(v.WebhookSubscriptions);
        flow["json_schema"] = v.JsonSchema?.DeepClone();
        flow["sdk_version"] = v.SdkVersion;
        flow["models"] = new JsonArray((v.JsonSchema?["definitions"] as JsonObject ?? []).Select(d => (JsonNode)new JsonObject { ["name"] = d.Key, ["fields"] = new JsonArray() }).ToArray());
        flow["features"] = Strings(v.Features);
        if (f.Type == FunctionTypes.Sync)
        {
            flow["sync_type"] = v.SyncType ?? "full";
            flow["auto_start"] = v.AutoStart;
            flow["runs"] = v.Runs;
            flow["track_deletes"] = v.TrackDeletes;
        }
        return flow;
    }

    /// <summary>An OpenAI function definition: actions take their input model's properties; syncs take none.</summary>
    private static JsonObject OpenAiFunction(FunctionSummary f)
    {
        var v = f.Current;
        var properties = new JsonObject();
        JsonNode required = new JsonArray();
        if (f.Type == FunctionTypes.Action && v.Input is not null && v.JsonSchema?["definitions"]?[v.Input] is JsonObject input)
        {
            if (input["properties"] is JsonObject inputProperties)
            {
                properties = (JsonObject)inputProperties.DeepClone();
            }
            if (input["required"] is JsonArray inputRequired)
            {
                required = inputRequired.DeepClone();
            }
            // Parameter descriptions come from "- name: text" lines of the action's description, as Nango reads them.
            foreach (var line in (v.Description ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('-')))
            {
                var content = line[1..].Trim();
                var colon = content.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0 && properties[content[..colon].Trim()] is JsonObject property)
                {
                    property["description"] = content[(colon + 1)..].Trim();
                }
            }
        }
        return new JsonObject
        {
            ["name"] = f.Name,
            ["description"] = string.IsNullOrEmpty(v.Description) ? $"Execute the {f.Name} {f.Type} for {f.Provider}" : v.Description,
            ["parameters"] = new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required },
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
}

internal static class FunctionDeployServiceJson
{
    public static JsonArray Endpoints(IEnumerable<FunctionEndpoint> endpoints) => new(endpoints.Select(e => (JsonNode)new JsonObject
    {
        ["method"] = e.Method,
        ["path"] = e.Path,
        ["group"] = e.Group,
    }).ToArray());
}
