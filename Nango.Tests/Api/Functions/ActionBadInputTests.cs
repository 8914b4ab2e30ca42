using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Deploy;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// Issue 7's bad input through <c>POST /action/trigger</c>, against a real Nango.Web and its runner pool: each answer is
/// Nango's error envelope with its documented status and code, and a refused call leaves no task behind. Each test has
/// its own account (so its own runner).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ActionBadInputTests(NangoWebFactory web) : IClassFixture<NangoWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_action_that_is_not_deployed_is_404_not_found_and_queues_nothing()
    {
        var (client, env) = await web.NewAccountWithActionsAsync(new Dictionary<string, string> { ["echo"] = "async (nango, input) => input" });

        using var response = await client.TriggerAsync("no_such_action");

        var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Contains("no_such_action", (string?)error["message"], StringComparison.Ordinal);
        Assert.Empty(await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "no_such_action"));
    }

    [Fact]
    public async Task A_disabled_action_is_404_disabled_resource_queues_nothing_and_runs_again_once_enabled()
    {
        var (client, env) = await web.NewAccountWithActionsAsync(new Dictionary<string, string> { ["echo"] = "async (nango, input) => input" });
        var functions = web.Services.GetRequiredService<FunctionService>();
        var (_, echo) = await functions.GetAsync(env, "github", "echo", FunctionTypes.Action, Ct);
        await functions.SetEnabledAsync(env, echo!.Id, enabled: false, Ct);

        using var refused = await client.TriggerAsync("echo", new JsonObject { ["n"] = 1 });

        await refused.AssertErrorAsync(HttpStatusCode.NotFound, "disabled_resource");
        Assert.Empty(await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "echo"));
        await functions.SetEnabledAsync(env, echo.Id, enabled: true, Ct);
        Assert.Equal("""{"n":2}""", (await client.RunAsync("echo", new JsonObject { ["n"] = 2 }))!.ToJsonString());
    }

    [Fact]
    public async Task Input_that_breaks_the_input_model_is_400_invalid_action_input_with_the_path_and_queues_nothing()
    {
        var (client, env) = await web.NewAccountWithActionsAsync(new Dictionary<string, string>());
        await DeployStrictAsync(client, "create_issue", "async (nango, input) => ({ id: 'x' })");

        using var response = await client.TriggerAsync("create_issue", new JsonObject { ["title"] = 42 });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_action_input");
        Assert.Contains("title", error.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "create_issue"));
    }

    [Fact]
    public async Task Output_that_breaks_the_output_model_is_400_invalid_action_output()
    {
        var (client, _) = await web.NewAccountWithActionsAsync(new Dictionary<string, string>());
        await DeployStrictAsync(client, "create_issue", "async (nango, input) => ({ id: 123 })");

        using var response = await client.TriggerAsync("create_issue", new JsonObject { ["title"] = "hello" });

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_action_output");
    }

    [Fact]
    public async Task Output_over_the_2_MB_cap_is_400_script_output_too_large_and_the_runner_keeps_serving()
    {
        var (client, _) = await web.NewAccountWithActionsAsync(new Dictionary<string, string>
        {
            ["huge"] = "async () => ({ blob: 'x'.repeat(2200000) })",
            ["echo"] = "async (nango, input) => input",
        });

        using var response = await client.TriggerAsync("huge");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "script_output_too_large");
        Assert.StartsWith("Output size is too large: 2200011 bytes", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal("""{"n":3}""", (await client.RunAsync("echo", new JsonObject { ["n"] = 3 }))!.ToJsonString());
    }

    [Fact]
    public async Task A_deploy_with_a_bundle_that_does_not_parse_is_400_and_the_working_version_keeps_running()
    {
        var (client, _) = await web.NewAccountWithActionsAsync(new Dictionary<string, string> { ["echo"] = "async (nango, input) => ({ v: 1, input })" });
        var broken = DeployBodies.Action("echo", js: ActionHarness.Bundle("async (nango, input) => ({ v: 2, input }") + "\n}}}");

        using var deploy = await client.DeployAsync(DeployBodies.Body([broken]));

        var error = await deploy.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains("flowConfigs.0.fileBody.js", error.IssuePaths());
        Assert.Equal("""{"v":1,"input":{"n":4}}""", (await client.RunAsync("echo", new JsonObject { ["n"] = 4 }))!.ToJsonString());
    }

    /// <summary>An action with Nango's usual models: input <c>{ title: string }</c> required, output <c>{ id: string }</c>.</summary>
    private static async Task DeployStrictAsync(HttpClient client, string name, string exec)
    {
        var flow = DeployBodies.Action(name, js: ActionHarness.Bundle(exec));
        flow["models_json_schema"]!["definitions"]![$"Output_{name}"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["id"] = new JsonObject { ["type"] = "string" } },
            ["required"] = new JsonArray("id"),
        };
        using var response = await client.DeployAsync(DeployBodies.Body([flow]));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
