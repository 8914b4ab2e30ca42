using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// Issue 7's acceptance, end to end with official tools: <c>nango init</c> and <c>nango deploy</c> of the real CLI, then
/// the example's <c>createIssue</c> action triggered through <c>@nangohq/node</c> — synchronously and with
/// <c>triggerActionAsync</c> + <c>getAsyncActionResult</c> — running in a real runner process and calling a loopback
/// upstream that stands in for GitHub (an extra catalog file points the provider there).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ActionTriggerTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Method, string Path, string? Authorization, string Body)> _received = new();
    private WebApplication _upstream = null!;
    private ActionFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly JsonObject Input = new()
    {
        ["id"] = "1", ["owner"] = "NangoHQ", ["repo"] = "interactive-demo", ["issue_number"] = 7, ["title"] = "Hello from a test",
        ["state"] = "open", ["author"] = "me", ["author_id"] = 1, ["body"] = "b", ["date_created"] = "2026-01-01", ["date_last_modified"] = "2026-01-01",
    };

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _upstream = builder.Build();
        _upstream.Map("/{**path}", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            _received.Enqueue((http.Request.Method, http.Request.Path.Value ?? "", http.Request.Headers.Authorization.ToString(), await reader.ReadToEndAsync()));
            return Results.Json(new { id = 123 }, statusCode: 201);
        });
        await _upstream.StartAsync(Ct);
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-actions-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_catalog, $"""
            github:
                display_name: GitHub (test upstream)
                categories: [dev-tools]
                auth_mode: OAUTH2
                authorization_url: https://github.com/login/oauth/authorize
                token_url: https://github.com/login/oauth/access_token
                docs: https://docs.github.com
                proxy:
                    base_url: {_upstream.Urls.First()}
            """, Ct);
        _web = new ActionFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _upstream.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task The_deployed_example_action_runs_through_the_official_client_sync_and_async()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        var project = await NangoCli.NewProjectAsync();
        (await NangoCli.DeployAsync(project, _web.ServerUrl, _web.SecretKey)).AssertSucceeded();

        var run = await Infrastructure.NodeClient.RunAsync("actions.mjs", _web.ServerUrl, _web.SecretKey,
            new Dictionary<string, string> { ["ACTION_INPUT"] = Input.ToJsonString() }, Ct);

        Assert.True(run["sync"]!.AsObject().ContainsKey("output"), run.ToJsonString());
        Assert.Equal(JsonValueKind.Null, run["sync"]!["output"]?.GetValueKind() ?? JsonValueKind.Null);
        Assert.True(Guid.TryParse((string?)run["accepted"]!["id"], out var asyncId), run.ToJsonString());
        Assert.Equal($"/action/{asyncId}", (string?)run["accepted"]!["statusUrl"]);
        Assert.True(run["result"]!.AsObject().ContainsKey("output"), run.ToJsonString());
        Assert.Equal(400, (int)run["badInput"]!["status"]!);
        Assert.Equal("invalid_action_input", (string?)run["badInput"]!["data"]!["error"]!["code"]);
        Assert.Equal(404, (int)run["unknownAction"]!["status"]!);

        var calls = _received.ToArray();
        Assert.Equal(2, calls.Length);
        Assert.All(calls, c =>
        {
            // The example calls nango.proxy without a method, and Nango's default is GET (the body still travels).
            Assert.Equal("GET", c.Method);
            Assert.Equal("/repos/NangoHQ/interactive-demo/issues", c.Path);
            Assert.Equal("Bearer access-conn-1", c.Authorization);
        });
        var titles = calls.Select(c => (string?)JsonNode.Parse(c.Body)!["title"]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["[demo] Hello from a test", "[demo] async one"], titles);
    }

    private sealed class ActionFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog)];
    }
}
