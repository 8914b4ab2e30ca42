using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.SyncRuns;

/// <summary>
/// A sync's <c>onWebhook</c> handler, end to end: the <c>nango init</c> example sync, given webhook subscriptions and a
/// handler that saves the issue a GitHub <c>issues</c> event carries, deployed with the real CLI; the provider's webhook
/// posted to <c>/webhook/{environment}/{integration}</c> is routed to the connection of its installation, runs the
/// handler in a real runner as a webhook task, the issue is served by <c>GET /records</c> (read with
/// <c>@nangohq/node</c>), and the app hears of it as Nango tells it: a <c>forward</c> and a <c>sync</c> webhook of type
/// <c>WEBHOOK</c> with the handler's counts. An event the sync does not subscribe to runs nothing.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SyncWebhookTests : IAsyncLifetime
{
    private const string Model = "GithubIssue";
    private GithubStandIn _github = null!;
    private SyncFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _github = await GithubStandIn.StartAsync(Ct);
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-sync-webhooks-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_catalog, _github.CatalogYaml(routeWebhooks: true), Ct);
        _web = new SyncFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _github.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task A_subscribed_provider_webhook_runs_the_sync_handler_for_its_connection_and_its_records_are_served()
    {
        foreach (var id in new[] { 1, 2, 3 })
        {
            _github.Put(id, $"Issue {id}");
        }
        await using var receiver = await WebhookReceiver.StartAsync();
        var env = await Integration.Webhooks.WebhookHarness.PointAtAsync(_web, receiver.Url.ToString());
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await ImportAsync(client, "conn-1", installationId: "4242");
        await ImportAsync(client, "conn-2", installationId: "99");
        var project = await NangoCli.NewProjectAsync();
        project.Replace("github/syncs/fetchIssues.ts", "    syncType: 'full',\n", "    syncType: 'full',\n    webhookSubscriptions: ['issues'],\n");
        project.Replace("github/syncs/fetchIssues.ts", "        await nango.log('This is a webhook script', payload);\n", OnWebhookHandler);
        (await NangoCli.DeployAsync(project, _web.ServerUrl, _web.SecretKey)).AssertSucceeded();
        foreach (var connection in new[] { "conn-1", "conn-2" })
        {
            var first = await PagedSync.WaitForRunAsync(client, "github", "fetchIssues", connection, after: null, TimeSpan.FromSeconds(90));
            Assert.Equal("SUCCESS", (string?)first["status"]);
        }

        // GitHub announces a push and then a new issue on installation 4242; the sync subscribes to issues only.
        var push = await PostProviderWebhookAsync(env.EnvironmentUuid, "push", """{"ref":"refs/heads/main","installation":{"id":4242}}""");
        Assert.Equal(HttpStatusCode.OK, push.StatusCode);
        Assert.Equal(0, await WebhookTaskCountAsync());
        var issue = await PostProviderWebhookAsync(env.EnvironmentUuid, "issues", $$$"""
            {"action":"opened","installation":{"id":4242},
             "repository":{"name":"{{{GithubStandIn.Repo}}}","owner":{"login":"{{{GithubStandIn.Owner}}}"}},
             "issue":{"id":9001,"number":42,"title":"Filed while the sync sleeps","state":"open","user":{"login":"octo","id":7},
                      "body":"Seen through a webhook","created_at":"2026-02-01T10:00:00Z","updated_at":"2026-02-01T10:00:00Z"}}
            """);
        Assert.Equal(HttpStatusCode.OK, issue.StatusCode);
        Assert.Equal(1, await WebhookTaskCountAsync());

        await WaitForRecordAsync(client, "conn-1", "9001");
        var conn1 = await ListAllAsync("conn-1");
        Assert.Equal(["1", "2", "3", "9001"], conn1.Select(r => r["id"]!.AsValue().ToString()).Order(StringComparer.Ordinal));
        var saved = conn1.Single(r => r["id"]!.AsValue().ToString() == "9001");
        Assert.Equal(("Filed while the sync sleeps", 42, "octo", "ADDED"), ((string?)saved["title"], (int)saved["issue_number"]!, (string?)saved["author"], (string?)saved["_nango_metadata"]!["last_action"]));
        // Routed by installation: the other connection's records are untouched.
        Assert.Equal(["1", "2", "3"], (await ListAllAsync("conn-2")).Select(r => r["id"]!.AsValue().ToString()).Order(StringComparer.Ordinal));

        // The app gets each provider webhook forwarded, and the handler's result as a sync webhook of type WEBHOOK.
        var forwards = new List<JsonNode>();
        JsonNode? handled = null;
        while (handled is null || forwards.Count < 2)
        {
            var webhook = JsonNode.Parse((await receiver.NextAsync(TimeSpan.FromSeconds(60))).BodyText)!;
            if ((string?)webhook["type"] == "forward")
            {
                forwards.Add(webhook);
            }
            else if ((string?)webhook["type"] == "sync" && (string?)webhook["syncType"] == "WEBHOOK")
            {
                handled = webhook;
            }
        }
        Assert.All(forwards, f => Assert.Equal(("github", "conn-1"), ((string?)f["providerConfigKey"], (string?)f["connectionId"])));
        Assert.Equal(("fetchIssues", "base", Model, "conn-1", true), ((string?)handled["syncName"], (string?)handled["syncVariant"], (string?)handled["model"], (string?)handled["connectionId"], (bool)handled["success"]!));
        Assert.Equal((1, 0, 0), ((int)handled["responseResults"]!["added"]!, (int)handled["responseResults"]!["updated"]!, (int)handled["responseResults"]!["deleted"]!));
    }

    /// <summary>What a user writes to keep issues fresh between runs: the issue of an <c>issues</c> event, mapped as <c>exec</c> maps them.</summary>
    private const string OnWebhookHandler = """
                const issue = payload.issue;
                await nango.batchSave([{
                    id: String(issue.id),
                    owner: payload.repository.owner.login,
                    repo: payload.repository.name,
                    issue_number: issue.number,
                    title: issue.title,
                    state: issue.state,
                    author: issue.user.login,
                    author_id: issue.user.id,
                    body: issue.body,
                    date_created: issue.created_at,
                    date_last_modified: issue.updated_at
                }], 'GithubIssue');

        """;

    private static async Task ImportAsync(HttpClient client, string connectionId, string installationId)
    {
        var response = await client.PostAsJsonAsync("/connections", new
        {
            provider_config_key = "github",
            connection_id = connectionId,
            credentials = new { type = "OAUTH2", access_token = "access-" + connectionId },
            connection_config = new { installation_id = installationId },
        }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>GitHub's call: no API key, the event in <c>X-GitHub-Event</c> (the integration has no webhook secret, so no signature).</summary>
    private async Task<HttpResponseMessage> PostProviderWebhookAsync(Guid environmentUuid, string gitHubEvent, string body)
    {
        using var provider = new HttpClient { BaseAddress = _web.ServerUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhook/{environmentUuid}/github") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", gitHubEvent);
        return await provider.SendAsync(request, Ct);
    }

    /// <summary>Webhook tasks are queued before the provider gets its 200, so this count is exact at once.</summary>
    private async Task<long> WebhookTaskCountAsync()
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM function_tasks WHERE kind = 'webhook'", db);
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }

    private static async Task WaitForRecordAsync(HttpClient client, string connectionId, string recordId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            using var read = new HttpRequestMessage(HttpMethod.Get, $"/records?model={Model}&ids={recordId}");
            read.Headers.Add("Connection-Id", connectionId);
            read.Headers.Add("Provider-Config-Key", "github");
            var page = await (await client.SendAsync(read, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
            if (page?["records"]?.AsArray().Count > 0)
            {
                return;
            }
            await Task.Delay(200, Ct);
        }
        throw new TimeoutException($"Record {recordId} of {connectionId} never appeared.");
    }

    /// <summary>Every record of <paramref name="connectionId"/> through <c>@nangohq/node</c> <c>listRecords</c>, following <c>next_cursor</c>.</summary>
    private async Task<List<JsonNode>> ListAllAsync(string connectionId)
    {
        var records = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var config = new JsonObject { ["providerConfigKey"] = "github", ["connectionId"] = connectionId, ["model"] = Model, ["limit"] = 100 };
            if (cursor is not null)
            {
                config["cursor"] = cursor;
            }
            var calls = new JsonArray(new JsonObject { ["method"] = "listRecords", ["args"] = new JsonArray(config) });
            var result = (await Infrastructure.NodeClient.RunAsync("client-call.mjs", _web.ServerUrl, _web.SecretKey, new Dictionary<string, string> { ["CALLS"] = calls.ToJsonString() }, Ct))[0]!;
            Assert.True(result["value"] is not null, result.ToJsonString());
            records.AddRange(result["value"]!["records"]!.AsArray().Select(r => r!.DeepClone()));
            cursor = (string?)result["value"]!["next_cursor"];
        }
        while (cursor is not null);
        return records;
    }

    private sealed class SyncFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog)];
    }
}
