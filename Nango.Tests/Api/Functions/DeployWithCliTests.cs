using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Store;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// <c>nango deploy</c> of the official CLI against this server: each test works in its own account (the CLI reconciles
/// a whole environment) on its own copy of the example project.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DeployWithCliTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Deploy_creates_the_example_functions_with_versions_bundles_and_sources_and_a_second_deploy_adds_no_version()
    {
        var (key, client) = await NewAccountWithGithubAsync();
        var project = await NangoCli.NewProjectAsync();

        var run = await NangoCli.DeployAsync(project, factory.ServerUrl, key);

        run.AssertSucceeded();
        Assert.Contains("Successfully deployed", run.Output, StringComparison.Ordinal);
        var list = await (await client.GetAsync("/integrations/github/functions", Ct)).ReadJsonAsync();
        Assert.Equal(["action:createIssue", "on-event:pre-connection-deletion", "sync:fetchIssues"],
            list["data"]!.AsArray().Select(f => $"{f!["type"]}:{f["name"]}"));
        Assert.Equal(3, (int)list["pagination"]!["total"]!);
        var sync = list["data"]![2]!;
        Assert.Equal("every hour", (string?)sync["runs"]);
        Assert.Equal(["GithubIssue"], sync["returns"]!.AsArray().Select(m => (string?)m));
        Assert.NotNull(sync["json_schema"]!["definitions"]!["GithubIssue"]);
        Assert.True((bool)sync["enabled"]!);
        Assert.Equal("pre-connection-deletion", (string?)list["data"]![1]!["event"]);

        var config = await (await client.GetAsync("/scripts/config", Ct)).ReadJsonAsync();
        var github = Assert.Single(config.AsArray())!;
        Assert.Equal("github", (string?)github["providerConfigKey"]);
        Assert.Equal("1.0.0", (string?)github["syncs"]![0]!["version"]);
        Assert.Equal("1.0.0", (string?)github["actions"]![0]!["version"]);
        Assert.Equal("Create an issue in GitHub", (string?)github["actions"]![0]!["description"]);

        var env = await factory.GetEnvironmentAsync(key);
        var bundles = factory.Services.GetRequiredService<IFunctionBundleReader>();
        var action = await bundles.ReadCurrentAsync(env.EnvironmentId, "github", "action", "createIssue", Ct);
        Assert.NotNull(action);
        Assert.Equal(project.Read("build/github_actions_createIssue.cjs"), action.Js);
        Assert.Equal("1.0.0", action.Version);
        var code = await (await client.GetAsync("/integrations/github/functions/createIssue/code", Ct)).ReadJsonAsync();
        Assert.Equal("action", (string?)code["type"]);
        Assert.Equal(project.Read("github/actions/createIssue.ts"), (string?)code["code"]);

        const string countVersions = "SELECT count(*) FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE f.environment_id = @env";
        Assert.Equal(3, await FunctionTables.CountAsync(factory.ConnectionString, countVersions, env.EnvironmentId));
        (await NangoCli.DeployAsync(project, factory.ServerUrl, key)).AssertSucceeded();
        Assert.Equal(3, await FunctionTables.CountAsync(factory.ConnectionString, countVersions, env.EnvironmentId));
        Assert.Equal(2, await FunctionTables.CountAsync(factory.ConnectionString,
            "SELECT count(*) FROM function_deployments WHERE environment_id = @env AND state = 'succeeded'", env.EnvironmentId));
        var again = await (await client.GetAsync("/integrations/github/functions/createIssue", Ct)).ReadJsonAsync();
        Assert.Equal((int)list["data"]![0]!["id"]!, (int)again["data"]!["id"]!);
    }

    [Fact]
    public async Task Changing_a_function_adds_a_version_and_removing_one_deletes_it()
    {
        var (key, client) = await NewAccountWithGithubAsync();
        var env = await factory.GetEnvironmentAsync(key);
        var project = await NangoCli.NewProjectAsync();
        (await NangoCli.DeployAsync(project, factory.ServerUrl, key)).AssertSucceeded();
        var firstBundle = project.Read("build/github_actions_createIssue.cjs");

        project.Replace("github/actions/createIssue.ts", "version: '1.0.0'", "version: '1.0.1'");
        project.Replace("github/actions/createIssue.ts", "[demo] ", "[changed] ");
        project.Replace("index.ts", "import './github/syncs/fetchIssues.js';\n", "");
        var run = await NangoCli.DeployAsync(project, factory.ServerUrl, key);

        run.AssertSucceeded();
        var list = await (await client.GetAsync("/integrations/github/functions", Ct)).ReadJsonAsync();
        Assert.Equal(["action:createIssue", "on-event:pre-connection-deletion"], list["data"]!.AsArray().Select(f => $"{f!["type"]}:{f["name"]}"));
        var missing = await client.GetAsync("/integrations/github/functions/fetchIssues", Ct);
        await missing.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        var config = await (await client.GetAsync("/scripts/config", Ct)).ReadJsonAsync();
        Assert.Empty(config[0]!["syncs"]!.AsArray());
        Assert.Equal("1.0.1", (string?)config[0]!["actions"]![0]!["version"]);
        Assert.Equal([(1, "1.0.0"), (2, "1.0.1")], await FunctionTables.VersionsAsync(factory.ConnectionString, env.EnvironmentId, "createIssue"));

        var bundles = factory.Services.GetRequiredService<IFunctionBundleReader>();
        var current = await bundles.ReadCurrentAsync(env.EnvironmentId, "github", "action", "createIssue", Ct);
        Assert.Contains("[changed] ", current!.Js, StringComparison.Ordinal);
        var previous = await bundles.ReadAsync(env.EnvironmentId, "github", "createIssue", "1.0.0", Ct);
        Assert.Equal(firstBundle, previous!.Js);
        Assert.Null(await bundles.ReadCurrentAsync(env.EnvironmentId, "github", "sync", "fetchIssues", Ct));
    }

    private async Task<(string Key, HttpClient Client)> NewAccountWithGithubAsync()
    {
        var key = await factory.CreateOtherAccountAsync();
        var client = factory.CreateApiClient(key);
        await client.CreateIntegrationAsync("github");
        return (key, client);
    }
}
