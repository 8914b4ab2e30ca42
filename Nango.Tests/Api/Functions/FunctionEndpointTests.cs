using System.Net;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary><c>/integrations/:key/functions…</c> and <c>/scripts/config</c> over functions deployed through the API.</summary>
[Trait("Category", "Integration")]
public sealed class FunctionEndpointTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_list_filters_by_type_searches_by_name_and_pages()
    {
        var client = await DeployedAccountAsync();

        var all = await GetJsonAsync(client, "/integrations/github/functions");
        var actions = await GetJsonAsync(client, "/integrations/github/functions?type=action");
        var search = await GetJsonAsync(client, "/integrations/github/functions?search=SHARED");
        var page = await GetJsonAsync(client, "/integrations/github/functions?limit=2&page=1");

        Assert.Equal(["action:create_issue", "action:shared", "on-event:welcome", "sync:shared"], Names(all));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"total":4,"page":0,"limit":20}"""), all["pagination"]));
        Assert.Equal(["action:create_issue", "action:shared"], Names(actions));
        Assert.Equal(["action:shared", "sync:shared"], Names(search));
        Assert.Equal(["on-event:welcome", "sync:shared"], Names(page));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"total":4,"page":1,"limit":2}"""), page["pagination"]));
    }

    [Fact]
    public async Task Each_type_has_nangos_fields()
    {
        var client = await DeployedAccountAsync();

        var list = (await GetJsonAsync(client, "/integrations/github/functions"))["data"]!.AsArray();

        var action = list[0]!.AsObject();
        Assert.Equal(["name", "description", "scopes", "type", "input", "returns", "json_schema", "id", "enabled", "last_deployed", "source"], action.Select(p => p.Key));
        Assert.Equal("Input_create_issue", (string?)action["input"]);
        Assert.Equal("repo", (string?)action["source"]);
        var onEvent = list[2]!.AsObject();
        Assert.Equal(["name", "type", "event", "id", "enabled", "last_deployed", "source"], onEvent.Select(p => p.Key));
        var sync = list[3]!.AsObject();
        Assert.Equal(["name", "description", "scopes", "type", "returns", "json_schema", "runs", "auto_start", "track_deletes", "id", "enabled", "last_deployed", "source"], sync.Select(p => p.Key));
        Assert.Equal(["repo"], sync["scopes"]!.AsArray().Select(s => (string?)s));
    }

    [Fact]
    public async Task Get_finds_one_function_and_a_type_picks_between_namesakes()
    {
        var client = await DeployedAccountAsync();

        var first = await GetJsonAsync(client, "/integrations/github/functions/shared");
        var sync = await GetJsonAsync(client, "/integrations/github/functions/shared?type=sync");
        var missing = await client.GetAsync("/integrations/github/functions/nothing", Ct);
        var noIntegration = await client.GetAsync("/integrations/gitlab/functions/shared", Ct);
        var badType = await client.GetAsync("/integrations/github/functions/shared?type=job", Ct);
        var badName = await client.GetAsync("/integrations/github/functions/bad.name", Ct);

        Assert.Equal("action", (string?)first["data"]!["type"]);
        Assert.Equal("sync", (string?)sync["data"]!["type"]);
        Assert.Equal("Function does not exist", (string?)(await missing.AssertErrorAsync(HttpStatusCode.NotFound, "not_found"))["message"]);
        Assert.Equal("Integration does not exist", (string?)(await noIntegration.AssertErrorAsync(HttpStatusCode.NotFound, "not_found"))["message"]);
        await badType.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        await badName.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_uri_params");
    }

    [Fact]
    public async Task Code_returns_the_source_and_an_ambiguous_name_asks_for_a_type()
    {
        var client = await DeployedAccountAsync();

        var code = await GetJsonAsync(client, "/integrations/github/functions/create_issue/code");
        var ambiguous = await client.GetAsync("/integrations/github/functions/shared/code", Ct);
        var chosen = await GetJsonAsync(client, "/integrations/github/functions/shared/code?type=sync");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"action","code":"// create_issue.ts\nmodule.exports = { default: { type: 'action' } };"}"""), code));
        var error = await ambiguous.AssertErrorAsync(HttpStatusCode.Conflict, "ambiguous_function");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"matches":[{"type":"action","name":"shared"},{"type":"sync","name":"shared"}]}"""), error["payload"]));
        Assert.Equal("sync", (string?)chosen["type"]);
    }

    [Fact]
    public async Task Delete_needs_a_type_and_refuses_functions_that_nango_deploy_manages()
    {
        var client = await DeployedAccountAsync();

        var noType = await client.DeleteAsync("/integrations/github/functions/shared", Ct);
        var managed = await client.DeleteAsync("/integrations/github/functions/shared?type=sync", Ct);
        var missing = await client.DeleteAsync("/integrations/github/functions/nothing?type=action", Ct);

        await noType.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        await managed.AssertErrorAsync(HttpStatusCode.BadRequest, "function_managed_by_deploy");
        await missing.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(4, (int)(await GetJsonAsync(client, "/integrations/github/functions"))["pagination"]!["total"]!);
    }

    [Theory]
    [InlineData("?limit=0")]
    [InlineData("?limit=101")]
    [InlineData("?page=-1")]
    [InlineData("?page=first")]
    [InlineData("?type=job")]
    [InlineData("?search=")]
    [InlineData("?sort=name")]
    public async Task A_bad_list_query_is_400_invalid_query_params(string query)
    {
        var client = await DeployedAccountAsync();

        var response = await client.GetAsync("/integrations/github/functions" + query, Ct);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
    }

    [Fact]
    public async Task Another_environments_key_sees_none_of_these_functions()
    {
        await DeployedAccountAsync();
        var otherKey = await factory.CreateOtherAccountAsync();
        using var other = factory.CreateApiClient(otherKey);
        await other.CreateIntegrationAsync("github");

        var list = await GetJsonAsync(other, "/integrations/github/functions");
        var config = await GetJsonAsync(other, "/scripts/config");

        Assert.Empty(list["data"]!.AsArray());
        Assert.Empty(config.AsArray());
    }

    [Fact]
    public async Task Scripts_config_lists_syncs_and_actions_per_integration_in_nango_and_openai_formats()
    {
        var client = await DeployedAccountAsync();

        var nango = await GetJsonAsync(client, "/scripts/config");
        var openai = await GetJsonAsync(client, "/scripts/config?format=openai");
        var bad = await client.GetAsync("/scripts/config?format=yaml", Ct);

        var github = Assert.Single(nango.AsArray())!;
        Assert.Equal("github", (string?)github["provider"]);
        Assert.Equal(["create_issue", "shared"], github["actions"]!.AsArray().Select(a => (string?)a!["name"]));
        var sync = Assert.Single(github["syncs"]!.AsArray())!;
        Assert.Equal("every hour", (string?)sync["runs"]);
        Assert.Equal("full", (string?)sync["sync_type"]);
        Assert.Equal("1.0.0", (string?)sync["version"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""[{"method":"GET","path":"/shared","group":null}]"""), sync["endpoints"]));
        Assert.Empty(github["on-events"]!.AsArray());
        var createIssue = openai["data"]!.AsArray().Single(f => (string?)f!["name"] == "create_issue")!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}"""), createIssue["parameters"]));
        await bad.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
    }

    /// <summary>A new account whose github integration has an action, an action and a sync sharing a name, and an on-event script.</summary>
    private async Task<HttpClient> DeployedAccountAsync()
    {
        var key = await factory.CreateOtherAccountAsync();
        var client = factory.CreateApiClient(key);
        await client.CreateIntegrationAsync("github");
        var response = await client.DeployAsync(DeployBodies.Body(
            [DeployBodies.Action("create_issue"), DeployBodies.Action("shared"), DeployBodies.Sync("shared")],
            [DeployBodies.OnEvent("welcome")]));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return client;
    }

    private static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return await response.ReadJsonAsync();
    }

    private static List<string> Names(JsonNode list) => list["data"]!.AsArray().Select(f => $"{f!["type"]}:{f["name"]}").ToList();
}
