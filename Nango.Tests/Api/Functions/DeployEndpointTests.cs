using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Store;
using Nango.Core.Logs;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary><c>/sync/deploy</c> and its confirmation at the HTTP level: the plan, reconcile scopes, versions, refusals.</summary>
[Trait("Category", "Integration")]
public sealed class DeployEndpointTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Confirmation_reports_new_updated_and_deleted_functions_and_changes_nothing()
    {
        var (client, env) = await NewAccountAsync("github");
        await client.ImportConnectionAsync("github", "user-1");
        var deployed = await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("keep"), DeployBodies.Sync("issues", model: "Issue")], [DeployBodies.OnEvent("welcome")]));
        Assert.Equal(HttpStatusCode.OK, deployed.StatusCode);
        var before = await FunctionTables.SnapshotAsync(factory.ConnectionString);

        var response = await client.ConfirmAsync(DeployBodies.Body(
            [DeployBodies.Action("keep"), DeployBodies.Action("added"), DeployBodies.Sync("tickets", model: "Ticket")],
            [DeployBodies.OnEvent("goodbye", onEvent: "pre-connection-deletion")],
            forConfirmation: true));

        var plan = await response.ReadJsonAsync();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
              "newSyncs": [{"name":"tickets","providerConfigKey":"github","connections":1,"auto_start":true}],
              "updatedSyncs": [],
              "deletedSyncs": [{"name":"issues","providerConfigKey":"github","connections":1,"auto_start":false}],
              "newActions": [{"name":"added","providerConfigKey":"github"}],
              "updatedActions": [{"name":"keep","providerConfigKey":"github"}],
              "deletedActions": [],
              "deletedModels": [],
              "newOnEventScripts": [{"providerConfigKey":"github","name":"goodbye","event":"pre-connection-deletion"}],
              "updatedOnEventScripts": [],
              "deletedOnEventScripts": [{"providerConfigKey":"github","name":"welcome","event":"post-connection-creation"}]
            }
            """), plan), plan.ToJsonString());
        Assert.Equal(before, await FunctionTables.SnapshotAsync(factory.ConnectionString));
        Assert.NotNull(env);
    }

    [Fact]
    public async Task Confirmation_lists_the_models_a_sync_stops_returning_when_it_has_connections()
    {
        var (client, _) = await NewAccountAsync("github");
        await client.ImportConnectionAsync("github", "user-1");
        await client.DeployAsync(DeployBodies.Body([DeployBodies.Sync("issues", model: "Issue")]));

        var plan = await (await client.ConfirmAsync(DeployBodies.Body([DeployBodies.Sync("issues", model: "GithubIssue")], forConfirmation: true))).ReadJsonAsync();

        Assert.Equal(["Issue"], plan["deletedModels"]!.AsArray().Select(m => (string?)m));
        Assert.Equal("issues", (string?)plan["updatedSyncs"]![0]!["name"]);
    }

    [Fact]
    public async Task Deploy_answers_each_function_with_its_version_and_reconciles_the_whole_environment()
    {
        var (client, env) = await NewAccountAsync("github", "slack");
        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1"), DeployBodies.Sync("s1"), DeployBodies.Action("b1", "slack")]));

        var response = await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1", version: "2.0.0"), DeployBodies.Action("a2")], [DeployBodies.OnEvent("hello")]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            [
              {"name":"a1","models":["Output_a1"],"version":"2.0.0","providerConfigKey":"github","type":"action"},
              {"name":"a2","models":["Output_a2"],"version":"1.0.0","providerConfigKey":"github","type":"action"},
              {"name":"hello","models":[],"version":"0.0.1","providerConfigKey":"github","type":"on-event"}
            ]
            """), await response.ReadJsonAsync()));
        Assert.Equal(["action:a1", "action:a2", "on-event:hello"], await ListAsync(client, "github"));
        Assert.Empty(await ListAsync(client, "slack"));
        Assert.Equal([(1, "1.0.0"), (2, "2.0.0")], await FunctionTables.VersionsAsync(factory.ConnectionString, env.EnvironmentId, "a1"));
    }

    [Fact]
    public async Task Integration_mode_removes_only_that_integrations_functions_and_single_mode_removes_none()
    {
        var (client, _) = await NewAccountAsync("github", "slack");
        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1"), DeployBodies.Action("a2"), DeployBodies.Action("b1", "slack")]));

        var integration = await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1")], deployMode: "integration"));
        var single = await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("b2", "slack")], deployMode: "single"));

        Assert.Equal(HttpStatusCode.OK, integration.StatusCode);
        Assert.Equal(HttpStatusCode.OK, single.StatusCode);
        Assert.Equal(["action:a1"], await ListAsync(client, "github"));
        Assert.Equal(["action:b1", "action:b2"], await ListAsync(client, "slack"));
    }

    [Fact]
    public async Task Without_a_version_label_the_first_deploy_is_1_and_each_change_bumps_it()
    {
        var (client, env) = await NewAccountAsync("github");

        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1", version: null)]));
        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1", version: null)]));
        var changed = await (await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1", version: null, js: "module.exports = 2;")]))).ReadJsonAsync();

        Assert.Equal("2", (string?)changed[0]!["version"]);
        Assert.Equal([(1, "1"), (2, "2")], await FunctionTables.VersionsAsync(factory.ConnectionString, env.EnvironmentId, "a1"));
    }

    [Fact]
    public async Task A_disabled_function_stays_disabled_across_deploys()
    {
        var (client, env) = await NewAccountAsync("github");
        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1")]));
        var functions = factory.Services.GetRequiredService<Nango.Core.Functions.Deploy.FunctionService>();
        var (_, function) = await functions.GetAsync(env, "github", "a1", "action", Ct);
        await functions.SetEnabledAsync(env, function!.Id, false, Ct);

        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1", version: "1.0.1", js: "module.exports = 3;")]));

        var after = await (await client.GetAsync("/integrations/github/functions/a1", Ct)).ReadJsonAsync();
        Assert.False((bool)after["data"]!["enabled"]!);
        var bundle = await factory.Services.GetRequiredService<IFunctionBundleReader>().ReadCurrentAsync(env.EnvironmentId, "github", "action", "a1", Ct);
        Assert.False(bundle!.Enabled);
        Assert.Equal("module.exports = 3;", bundle.Js);
    }

    [Fact]
    public async Task A_deploy_is_one_operation_in_logs_and_a_refused_one_a_failed_operation()
    {
        var (client, env) = await NewAccountAsync("github");

        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1"), DeployBodies.Action("a2")]));
        await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("x1", "no-such-integration")]));

        var succeeded = await WaitForDeployOperationAsync(env, OperationStates.Success);
        var messages = await factory.Services.GetRequiredService<LogQueryService>().SearchMessagesAsync(env, new LogMessageSearch { OperationId = succeeded.Id }, Ct);
        Assert.Contains(messages.Items, m => m.Message.StartsWith("Successfully deployed 2 scripts: 2 created", StringComparison.Ordinal));
        Assert.Contains(messages.Items, m => m.Message == "Created action github/a1 at version 1.0.0");
        await WaitForDeployOperationAsync(env, OperationStates.Failed);
    }

    private async Task<LogOperationRow> WaitForDeployOperationAsync(Nango.Core.Environments.EnvironmentContext env, string state)
    {
        var query = factory.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var page = await query.SearchOperationsAsync(env, new LogOperationSearch { Types = ["deploy:custom"], States = [state] }, Ct);
            if (page.Items.Count > 0)
            {
                return page.Items[0];
            }
            // Log writes are batched about every 200 ms; poll until this one is flushed.
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"No {state} deploy operation was logged.");
    }

    [Theory]
    [InlineData("/sync/deploy")]
    [InlineData("/sync/deploy/confirmation")]
    public async Task A_cli_older_than_0_39_25_is_refused_with_invalid_cli_version(string path)
    {
        var (client, _) = await NewAccountAsync("github");
        var before = await FunctionTables.SnapshotAsync(factory.ConnectionString);

        var response = await client.PostAsync(path, DeployBodies.Body([DeployBodies.Action("a1")], forConfirmation: path.EndsWith("confirmation", StringComparison.Ordinal)),
            userAgent: "nango-cli/0.39.24 (linux/6.1.0; node.js/20.20.2)");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_cli_version");
        Assert.Equal("This endpoint requires a CLI version >= 0.39.25 (current: nango-cli/0.39.24)", (string?)error["message"]);
        Assert.Equal(before, await FunctionTables.SnapshotAsync(factory.ConnectionString));
    }

    [Theory]
    [InlineData("nango-cli/0.39.25 (linux/6.1.0; node.js/20.20.2)")]
    [InlineData("curl/8.5.0")]
    [InlineData(null)]
    public async Task The_minimum_cli_version_and_other_clients_are_let_through(string? userAgent)
    {
        var (client, _) = await NewAccountAsync("github");

        var response = await client.PostAsync("/sync/deploy", DeployBodies.Body([DeployBodies.Action("a1")]), userAgent);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Deploying_to_an_integration_that_does_not_exist_is_400_unknown_provider_config_and_writes_nothing()
    {
        var (client, env) = await NewAccountAsync("github");
        var before = await FunctionTables.SnapshotAsync(factory.ConnectionString);

        var response = await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1"), DeployBodies.Action("x1", "no-such-integration")]));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_provider_config");
        Assert.Equal("no-such-integration", (string?)error["payload"]!["providerConfigKey"]);
        Assert.Equal(before, await FunctionTables.SnapshotAsync(factory.ConnectionString));
        Assert.Empty(await StoredKeysAsync(env.EnvironmentUuid));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{\"flowConfigs\": [", "" },
        { "[]", "" },
        { """{"reconcile":true,"debug":false,"nangoYamlBody":""}""", "flowConfigs" },
        { """{"flowConfigs":[],"reconcile":"yes","debug":false,"nangoYamlBody":""}""", "reconcile" },
        { """{"flowConfigs":[],"reconcile":true,"debug":false}""", "nangoYamlBody" },
        { """{"flowConfigs":[],"reconcile":true,"debug":false,"nangoYamlBody":"","surprise":1}""", "" },
        { """{"flowConfigs":[],"reconcile":true,"debug":false,"nangoYamlBody":"","deployMode":"some"}""", "deployMode" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_malformed_body_is_400_invalid_body_with_the_path_and_writes_nothing(string body, string path)
    {
        var (client, env) = await NewAccountAsync("github");
        var before = await FunctionTables.SnapshotAsync(factory.ConnectionString);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/sync/deploy") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("User-Agent", DeployBodies.CliUserAgent);
        var response = await client.SendAsync(request, Ct);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        if (error["errors"] is not null)
        {
            Assert.Contains(path, error.IssuePaths());
        }
        Assert.Equal(before, await FunctionTables.SnapshotAsync(factory.ConnectionString));
        Assert.Empty(await StoredKeysAsync(env.EnvironmentUuid));
    }

    [Theory]
    [InlineData("syncName", "\"bad name!\"", "flowConfigs.1.syncName")]
    [InlineData("type", "\"script\"", "flowConfigs.1.type")]
    [InlineData("runs", "\"sometimes\"", "flowConfigs.1.runs")]
    [InlineData("fileBody", "{\"js\":\"x\"}", "flowConfigs.1.fileBody.ts")]
    [InlineData("fileBody", "{\"js\":\"module.exports = { default: {\",\"ts\":\"x\"}", "flowConfigs.1.fileBody.js")]
    [InlineData("providerConfigKey", "\"bad/key\"", "flowConfigs.1.providerConfigKey")]
    [InlineData("models", "[\"\"]", "flowConfigs.1.models.0")]
    [InlineData("models_json_schema", "{\"definitions\":{}}", "flowConfigs.1.models_json_schema")]
    [InlineData("features", "[\"teleport\"]", "flowConfigs.1.features.0")]
    [InlineData("endpoints", "[{\"method\":\"FETCH\",\"path\":\"/x\"}]", "flowConfigs.1.endpoints.0.method")]
    [InlineData("metadata", "{\"description\":\"x\",\"owner\":\"me\"}", "flowConfigs.1.metadata")]
    [InlineData("surprise", "true", "flowConfigs.1")]
    public async Task A_bad_flow_field_is_400_invalid_body_at_its_path_and_writes_nothing(string field, string json, string path)
    {
        var (client, env) = await NewAccountAsync("github");
        var before = await FunctionTables.SnapshotAsync(factory.ConnectionString);
        var bad = DeployBodies.Sync("s1");
        bad[field] = JsonNode.Parse(json);

        var response = await client.DeployAsync(DeployBodies.Body([DeployBodies.Action("fine"), bad]));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains(path, error.IssuePaths());
        Assert.Equal(before, await FunctionTables.SnapshotAsync(factory.ConnectionString));
        Assert.Empty(await StoredKeysAsync(env.EnvironmentUuid));
    }

    [Fact]
    public async Task Cross_field_rules_and_duplicates_are_400_invalid_body()
    {
        var (client, _) = await NewAccountAsync("github");
        var incremental = DeployBodies.Sync("s1");
        incremental["sync_type"] = "incremental";
        incremental["track_deletes"] = true;
        var badEvent = DeployBodies.OnEvent("e1", onEvent: "on-full-moon");

        var response = await client.DeployAsync(DeployBodies.Body([incremental, DeployBodies.Action("a1"), DeployBodies.Action("a1")], [badEvent]));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(["flowConfigs.0.track_deletes", "onEventScriptsByProvider.0.scripts.0.event", "flowConfigs.2.syncName"], error.IssuePaths());
    }

    [Fact]
    public async Task A_query_string_is_400_invalid_query_params()
    {
        var (client, _) = await NewAccountAsync("github");

        var response = await client.PostAsync("/sync/deploy?dry=1", DeployBodies.Body([DeployBodies.Action("a1")]));

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
    }

    [Fact]
    public async Task Without_a_secret_key_the_deploy_is_401()
    {
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.PostAsync("/sync/deploy", DeployBodies.Body([DeployBodies.Action("a1")]));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Cli_telemetry_is_acknowledged_without_a_key()
    {
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var ok = await anonymous.PostAsync("/cli/telemetry", JsonNode.Parse($$"""{"deviceId":"{{Guid.NewGuid()}}","event":"cli:deploy","ephemeral":false}""")!);
        var bad = await anonymous.PostAsync("/cli/telemetry", JsonNode.Parse("""{"deviceId":"nope","event":"cli:deploy"}""")!);

        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        await bad.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
    }

    private async Task<(HttpClient Client, Nango.Core.Environments.EnvironmentContext Env)> NewAccountAsync(params string[] integrations)
    {
        var key = await factory.CreateOtherAccountAsync();
        var client = factory.CreateApiClient(key);
        foreach (var integration in integrations)
        {
            await client.CreateIntegrationAsync(integration, integration);
        }
        return (client, await factory.GetEnvironmentAsync(key));
    }

    private static async Task<List<string>> ListAsync(HttpClient client, string integration)
    {
        var list = await (await client.GetAsync($"/integrations/{integration}/functions", Ct)).ReadJsonAsync();
        return list["data"]!.AsArray().Select(f => $"{f!["type"]}:{f["name"]}").ToList();
    }

    private async Task<List<string>> StoredKeysAsync(Guid environmentUuid) =>
        await factory.Services.GetRequiredService<IFunctionStore>().ListAsync(FunctionStoreKeys.Environment(environmentUuid), Ct).ToListAsync(Ct);
}
