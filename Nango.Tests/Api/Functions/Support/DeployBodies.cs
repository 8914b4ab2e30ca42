using System.Text;
using System.Text.Json.Nodes;

namespace Nango.Tests.Api.Functions.Support;

/// <summary>Deploy bodies in the CLI's shape, built in code for the tests that need no compiled project.</summary>
public static class DeployBodies
{
    public const string CliUserAgent = "nango-cli/0.71.10 (linux/6.1.0; node.js/20.20.2)";

    public static JsonObject Action(string name, string integration = "github", string? version = "1.0.0", string js = "module.exports = { default: { type: 'action' } };")
    {
        var flow = new JsonObject
        {
            ["syncName"] = name,
            ["providerConfigKey"] = integration,
            ["models"] = new JsonArray($"Output_{name}"),
            ["runs"] = null,
            ["metadata"] = new JsonObject { ["description"] = $"The {name} action", ["scopes"] = new JsonArray() },
            ["input"] = $"Input_{name}",
            ["type"] = "action",
            ["fileBody"] = new JsonObject { ["js"] = js, ["ts"] = $"// {name}.ts\n" + js },
            ["endpoints"] = new JsonArray(new JsonObject { ["method"] = "POST", ["path"] = $"/{name}", ["group"] = "Tests" }),
            ["track_deletes"] = false,
            ["models_json_schema"] = new JsonObject
            {
                ["definitions"] = new JsonObject
                {
                    [$"Input_{name}"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["title"] = new JsonObject { ["type"] = "string" } }, ["required"] = new JsonArray("title") },
                    [$"Output_{name}"] = new JsonObject { ["type"] = "null" },
                },
            },
            ["features"] = new JsonArray(),
        };
        if (version is not null)
        {
            flow["version"] = version;
        }
        return flow;
    }

    public static JsonObject Sync(string name, string integration = "github", string? version = "1.0.0", string model = "Item", string js = "module.exports = { default: { type: 'sync' } };")
    {
        var flow = new JsonObject
        {
            ["syncName"] = name,
            ["providerConfigKey"] = integration,
            ["models"] = new JsonArray(model),
            ["runs"] = "every hour",
            ["track_deletes"] = false,
            ["auto_start"] = true,
            ["attributes"] = new JsonObject(),
            ["metadata"] = new JsonObject { ["description"] = $"The {name} sync", ["scopes"] = new JsonArray("repo") },
            ["sync_type"] = "full",
            ["type"] = "sync",
            ["fileBody"] = new JsonObject { ["js"] = js, ["ts"] = $"// {name}.ts\n" + js },
            ["endpoints"] = new JsonArray(new JsonObject { ["method"] = "GET", ["path"] = $"/{name}" }),
            ["webhookSubscriptions"] = new JsonArray(),
            ["models_json_schema"] = new JsonObject { ["definitions"] = new JsonObject { [model] = new JsonObject { ["type"] = "object" } } },
            ["features"] = new JsonArray(),
        };
        if (version is not null)
        {
            flow["version"] = version;
        }
        return flow;
    }

    public static JsonObject OnEvent(string name, string integration = "github", string onEvent = "post-connection-creation", string js = "module.exports = { default: {} };") => new()
    {
        ["providerConfigKey"] = integration,
        ["scripts"] = new JsonArray(new JsonObject
        {
            ["name"] = name,
            ["fileBody"] = new JsonObject { ["js"] = js, ["ts"] = "// " + name },
            ["event"] = onEvent,
        }),
    };

    /// <summary>The body of <c>/sync/deploy</c> (<paramref name="forConfirmation"/>: of the confirmation, without nangoYamlBody).</summary>
    public static JsonObject Body(IEnumerable<JsonObject> flows, IEnumerable<JsonObject>? onEvents = null, string deployMode = "all", bool forConfirmation = false)
    {
        var body = new JsonObject
        {
            ["flowConfigs"] = new JsonArray(flows.Select(f => (JsonNode)f).ToArray()),
            ["onEventScriptsByProvider"] = new JsonArray((onEvents ?? []).Select(o => (JsonNode)o).ToArray()),
            ["deployMode"] = deployMode,
            ["reconcile"] = !forConfirmation,
            ["debug"] = false,
            ["sdkVersion"] = "0.71.10-zero",
        };
        if (!forConfirmation)
        {
            body["nangoYamlBody"] = "";
            body["source"] = "repo";
        }
        return body;
    }

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, JsonNode body, string? userAgent = CliUserAgent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static Task<HttpResponseMessage> DeployAsync(this HttpClient client, JsonObject body) => client.PostAsync("/sync/deploy", body);

    public static Task<HttpResponseMessage> ConfirmAsync(this HttpClient client, JsonObject body) => client.PostAsync("/sync/deploy/confirmation", body);
}
