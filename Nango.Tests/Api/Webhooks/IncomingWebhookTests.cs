using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Webhooks;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Webhooks;

/// <summary>
/// Providers' calls to <c>POST /webhook/{environmentUuid}/{providerConfigKey}</c> over real HTTP, the forwards
/// arriving at a real receiver through the outbox. Each test uses its own integration keys and its own receiver;
/// the class's tests share one server and run one after another.
/// </summary>
[Trait("Category", "Integration")]
public sealed class IncomingWebhookTests(IncomingWebhookFactory factory) : IClassFixture<IncomingWebhookFactory>
{
    private const string Secret = "whsec-test-secret";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_signed_GitHub_App_webhook_is_forwarded_once_to_each_connection_of_its_installation()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "gh-app-route", "github-app", GitHubAppCredentials(Secret));
        await ImportAsync(tenant, "gh-app-route", "install-a", connectionConfig: new { installation_id = "4242" });
        await ImportAsync(tenant, "gh-app-route", "install-b", connectionConfig: new { installation_id = "4242" });
        await ImportAsync(tenant, "gh-app-route", "install-other", connectionConfig: new { installation_id = "7" });
        const string body = """{"action":"opened","installation":{"id":4242},"issue":{"number":1}}""";

        var response = await PostAsync(tenant, "gh-app-route", body, headers: GitHubHeaders(Secret, body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(2, await DeliveryCountAsync(tenant));
        var signingKey = await factory.Services.GetRequiredService<EnvironmentService>().RevealWebhookSigningKeyAsync(tenant.Env, Ct);
        var arrived = new[] { await receiver.NextAsync(), await receiver.NextAsync() };
        var forwards = arrived.Select(r => JsonNode.Parse(r.BodyText)!.AsObject()).OrderBy(f => (string?)f["connectionId"], StringComparer.Ordinal).ToList();
        Assert.Equal(["install-a", "install-b"], forwards.Select(f => (string?)f["connectionId"]));
        Assert.All(forwards, forward =>
        {
            Assert.Equal("github-app", (string?)forward["from"]);
            Assert.Equal("forward", (string?)forward["type"]);
            Assert.Equal("gh-app-route", (string?)forward["providerConfigKey"]);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), forward["payload"]));
        });
        Assert.All(arrived, r =>
        {
            Assert.Equal(WebhookSigner.NangoHmac(signingKey, r.Body), r.Header("x-nango-hmac-sha256"));
            Assert.Equal("issues", r.Header("x-github-event"));
        });
    }

    [Fact]
    public async Task A_GitHub_webhook_without_or_with_a_wrong_signature_is_refused_and_nothing_is_queued()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "gh-signed", "github", new { type = "OAUTH2", client_id = "id", client_secret = "secret", webhook_secret = Secret });
        const string body = """{"zen":"Keep it logically awesome."}""";

        var missing = await PostAsync(tenant, "gh-signed", body, headers: new() { ["X-GitHub-Event"] = "ping" });
        var wrongKey = await PostAsync(tenant, "gh-signed", body, headers: GitHubHeaders("another-secret", body));
        var tampered = await PostAsync(tenant, "gh-signed", body.Replace("awesome", "AWESOME", StringComparison.Ordinal), headers: GitHubHeaders(Secret, body));
        var notHex = await PostAsync(tenant, "gh-signed", body, headers: new() { ["X-Hub-Signature-256"] = "sha256=zz" });

        await missing.AssertErrorAsync(HttpStatusCode.Unauthorized, "webhook_missing_signature");
        await wrongKey.AssertErrorAsync(HttpStatusCode.Unauthorized, "webhook_invalid_signature");
        await tampered.AssertErrorAsync(HttpStatusCode.Unauthorized, "webhook_invalid_signature");
        await notHex.AssertErrorAsync(HttpStatusCode.Unauthorized, "webhook_invalid_signature");
        Assert.Equal(0, await DeliveryCountAsync(tenant));

        var valid = await PostAsync(tenant, "gh-signed", body, headers: GitHubHeaders(Secret, body));
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(1, await DeliveryCountAsync(tenant));
    }

    [Fact]
    public async Task A_Slack_form_post_is_verified_with_its_timestamp_and_routed_by_the_team_in_its_payload()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "slack-hooks", "slack", new { type = "OAUTH2", client_id = "id", client_secret = "secret", webhook_secret = Secret });
        var teamConfig = new JsonObject { ["team.id"] = "T0001", ["bot_user_id"] = "U1" };
        await ImportAsync(tenant, "slack-hooks", "slack-team-1", connectionConfig: teamConfig);
        const string interaction = """{"type":"block_actions","team":{"id":"T0001","domain":"acme"},"actions":[]}""";
        var body = "payload=" + Uri.EscapeDataString(interaction);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var response = await PostAsync(tenant, "slack-hooks", body, "application/x-www-form-urlencoded", SlackHeaders(Secret, body, now));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forward = JsonNode.Parse((await receiver.NextAsync()).BodyText)!;
        Assert.Equal("slack-team-1", (string?)forward["connectionId"]);
        Assert.Equal("slack", (string?)forward["from"]);
        Assert.Equal(interaction, (string?)forward["payload"]!["payload"]);

        var stale = await PostAsync(tenant, "slack-hooks", body, "application/x-www-form-urlencoded", SlackHeaders(Secret, body, now - 600));
        var error = await stale.AssertErrorAsync(HttpStatusCode.Unauthorized, "webhook_invalid_signature");
        Assert.Contains("X-Slack-Request-Timestamp", (string?)error["message"], StringComparison.Ordinal);
        var noTimestamp = SlackHeaders(Secret, body, now);
        noTimestamp.Remove("X-Slack-Request-Timestamp");
        await (await PostAsync(tenant, "slack-hooks", body, "application/x-www-form-urlencoded", noTimestamp))
            .AssertErrorAsync(HttpStatusCode.Unauthorized, "webhook_missing_signature");
        Assert.Equal(1, await DeliveryCountAsync(tenant));
    }

    [Fact]
    public async Task A_HubSpot_batch_reaches_the_connection_of_each_portal_in_it()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "hubspot-hooks", "hubspot", new { type = "OAUTH2", client_id = "id", client_secret = "secret" });
        await ImportAsync(tenant, "hubspot-hooks", "portal-1", connectionConfig: new { portalId = "101" });
        await ImportAsync(tenant, "hubspot-hooks", "portal-2", connectionConfig: new { portalId = "202" });
        await ImportAsync(tenant, "hubspot-hooks", "portal-3", connectionConfig: new { portalId = "303" });
        const string body = """[{"portalId":101,"subscriptionType":"contact.creation","objectId":1},{"portalId":202,"subscriptionType":"deal.creation","objectId":2},{"portalId":101,"subscriptionType":"contact.deletion","objectId":3}]""";

        var response = await PostAsync(tenant, "hubspot-hooks", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, await DeliveryCountAsync(tenant));
        var forwards = new[] { await receiver.NextAsync(), await receiver.NextAsync() }.Select(r => JsonNode.Parse(r.BodyText)!).ToList();
        Assert.Equal(["portal-1", "portal-2"], forwards.Select(f => (string?)f["connectionId"]).Order(StringComparer.Ordinal));
        Assert.All(forwards, f => Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), f["payload"])));
    }

    [Fact]
    public async Task A_provider_declared_in_an_extra_catalog_file_is_verified_and_routed_by_its_own_rules()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "acme", "acme-hooks", new { type = "OAUTH2", client_id = "id", client_secret = "secret", webhook_secret = Secret });
        await ImportAsync(tenant, "acme", "acme-by-metadata", metadata: new { account_id = "acct-7" });
        await ImportAsync(tenant, "acme", "acme-by-id");
        const string byQuery = """{"event":"invoice.paid","data":{"amount":12}}""";
        const string byBody = """{"event":"invoice.paid","data":{"account":{"id":"acme-by-id"}}}""";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var first = await PostAsync(tenant, "acme", byQuery, headers: AcmeHeaders(Secret, byQuery, now), query: "?account=acct-7");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("acme-by-metadata", (string?)JsonNode.Parse((await receiver.NextAsync()).BodyText)!["connectionId"]);

        var second = await PostAsync(tenant, "acme", byBody, headers: AcmeHeaders(Secret, byBody, now));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("acme-by-id", (string?)JsonNode.Parse((await receiver.NextAsync()).BodyText)!["connectionId"]);

        var forged = await PostAsync(tenant, "acme", byBody, headers: AcmeHeaders("not-the-secret", byBody, now));
        await forged.AssertErrorAsync(HttpStatusCode.Unauthorized, "webhook_invalid_signature");
        Assert.Equal(2, await DeliveryCountAsync(tenant));
    }

    [Fact]
    public async Task An_unmatched_webhook_goes_out_unwrapped_with_the_provider_headers_but_not_its_credentials()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "gh-app-raw", "github-app", GitHubAppCredentials(secret: null));
        await ImportAsync(tenant, "gh-app-raw", "install-known", connectionConfig: new { installation_id = "1" });
        const string body = """{"action":"created","installation":{"id":999},"sender":{"login":"octocat"}}""";
        var delivery = Guid.NewGuid().ToString();

        var response = await PostAsync(tenant, "gh-app-raw", body, headers: new()
        {
            ["X-GitHub-Event"] = "installation",
            ["X-GitHub-Delivery"] = delivery,
            ["Authorization"] = "Bearer provider-token",
            ["Cookie"] = "session=provider-cookie",
            ["User-Agent"] = "GitHub-Hookshot/044aadd",
            ["X-Forwarded-For"] = "203.0.113.9",
            ["X-Nango-Hmac-Sha256-Previous"] = "forged",
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = await receiver.NextAsync();
        Assert.Equal(body, received.BodyText);
        Assert.Equal("installation", received.Header("x-github-event"));
        Assert.Equal(delivery, received.Header("x-github-delivery"));
        Assert.Null(received.Header("authorization"));
        Assert.Null(received.Header("cookie"));
        Assert.Null(received.Header("x-forwarded-for"));
        Assert.Null(received.Header("x-nango-hmac-sha256-previous"));
        Assert.Equal(WebhookDeliveryWorker.UserAgent, received.Header("user-agent"));
        Assert.Equal("application/json", received.Header("content-type"));
    }

    [Fact]
    public async Task Nothing_is_forwarded_when_the_integration_turns_forwarding_off()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "gh-app-quiet", "github-app", GitHubAppCredentials(secret: null));
        using var api = factory.CreateApiClient(tenant.Key);
        Assert.True((await api.PatchAsJsonAsync("/integrations/gh-app-quiet", new { forward_webhooks = false }, Ct)).IsSuccessStatusCode);

        var response = await PostAsync(tenant, "gh-app-quiet", """{"installation":{"id":1}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await DeliveryCountAsync(tenant));
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413_and_nothing_is_queued()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "gh-app-big", "github-app", GitHubAppCredentials(secret: null));
        var big = "{\"installation\":{\"id\":1},\"blob\":\"" + new string('x', IncomingWebhookFactory.MaxBodyBytes) + "\"}";

        var declared = await PostAsync(tenant, "gh-app-big", big);
        using var chunked = new HttpClient { BaseAddress = factory.ServerUrl };
        var streamed = await chunked.PostAsync(
            $"/webhook/{tenant.Env.EnvironmentUuid}/gh-app-big",
            new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            Ct);

        await declared.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        await streamed.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "request_too_large");
        Assert.Equal(0, await DeliveryCountAsync(tenant));
    }

    [Fact]
    public async Task An_unknown_environment_or_integration_is_404_and_nothing_is_queued()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        using var client = new HttpClient { BaseAddress = factory.ServerUrl };

        var unknownEnvironment = await client.PostAsync($"/webhook/{Guid.NewGuid()}/github", new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
        var unknownIntegration = await client.PostAsync($"/webhook/{tenant.Env.EnvironmentUuid}/never-created", new StringContent("{}", Encoding.UTF8, "application/json"), Ct);
        var notAUuid = await client.PostAsync("/webhook/not-a-uuid/github", new StringContent("{}", Encoding.UTF8, "application/json"), Ct);

        await unknownEnvironment.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_environment");
        await unknownIntegration.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_provider_config");
        await notAUuid.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_uri_params");
        Assert.Equal(0, await DeliveryCountAsync(tenant));
    }

    [Fact]
    public async Task Another_environment_with_the_same_key_and_installation_never_sees_this_environment_connections()
    {
        await using var mine = await WebhookReceiver.StartAsync();
        await using var theirs = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(mine);
        var other = await NewTenantAsync(theirs);
        await CreateIntegrationAsync(tenant, "gh-app-shared", "github-app", GitHubAppCredentials(secret: null));
        await CreateIntegrationAsync(other, "gh-app-shared", "github-app", GitHubAppCredentials(secret: null));
        await ImportAsync(tenant, "gh-app-shared", "mine", connectionConfig: new { installation_id = "55" });
        await ImportAsync(other, "gh-app-shared", "theirs", connectionConfig: new { installation_id = "55" });
        const string body = """{"installation":{"id":55}}""";

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(tenant, "gh-app-shared", body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(other, "gh-app-shared", body)).StatusCode);

        Assert.Equal("mine", (string?)JsonNode.Parse((await mine.NextAsync()).BodyText)!["connectionId"]);
        Assert.Equal("theirs", (string?)JsonNode.Parse((await theirs.NextAsync()).BodyText)!["connectionId"]);
        Assert.Equal(1, await DeliveryCountAsync(tenant));
        Assert.Equal(1, await DeliveryCountAsync(other));
    }

    [Fact]
    public async Task Each_incoming_webhook_is_one_operation_in_logs_with_every_step_or_the_reason_it_failed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var tenant = await NewTenantAsync(receiver);
        await CreateIntegrationAsync(tenant, "gh-app-logged", "github-app", GitHubAppCredentials(Secret));
        await ImportAsync(tenant, "gh-app-logged", "install-logged", connectionConfig: new { installation_id = "77" });
        const string body = """{"installation":{"id":77}}""";

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(tenant, "gh-app-logged", body, headers: GitHubHeaders(Secret, body))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(tenant, "gh-app-logged", body, headers: GitHubHeaders("wrong", body))).StatusCode);

        var succeeded = await WaitForOperationAsync(tenant.Env, "gh-app-logged", OperationStates.Success);
        Assert.Equal(("webhook", "incoming", "github-app"), (succeeded.Type, succeeded.Action, succeeded.Provider));
        var steps = await MessagesAsync(tenant.Env, succeeded.Id, 4);
        Assert.Contains(steps, m => m.StartsWith($"Received {body.Length} bytes (application/json", StringComparison.Ordinal));
        Assert.Contains(steps, m => m.StartsWith("Signature verified", StringComparison.Ordinal));
        Assert.Contains(steps, m => m.Contains("connection_config.installation_id = 77: install-logged", StringComparison.Ordinal));
        Assert.Contains(steps, m => m.StartsWith("Queued 1 forward event", StringComparison.Ordinal));

        var failed = await WaitForOperationAsync(tenant.Env, "gh-app-logged", OperationStates.Failed);
        Assert.Equal("webhook_invalid_signature", failed.Error?.Name);
        Assert.Contains(await MessagesAsync(tenant.Env, failed.Id, 2), m => m.Contains("does not match", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_served_catalog_states_Nango_facts_only_without_our_webhook_keys()
    {
        using var api = factory.CreateApiClient();

        var slack = (await (await api.GetAsync("/providers/slack", Ct)).ReadJsonAsync())["data"]!.AsObject();

        Assert.Equal("slackWebhookRouting", (string?)slack["webhook_routing_script"]);
        Assert.False(slack.ContainsKey("webhook_signature"));
        Assert.False(slack.ContainsKey("webhook_routing"));
        Assert.False(slack.ContainsKey("webhook_event_type"));
    }

    /// <summary>An account of its own per test (so outbox counts and webhook URLs never mix), its dev environment.</summary>
    private sealed record Tenant(EnvironmentContext Env, string Key);

    private async Task<Tenant> NewTenantAsync(WebhookReceiver receiver)
    {
        var key = await factory.CreateOtherAccountAsync();
        var env = await factory.GetEnvironmentAsync(key);
        await factory.Services.GetRequiredService<EnvironmentService>()
            .UpdateWebhookSettingsAsync(env, new WebhookSettingsUpdate(receiver.Url.ToString(), null, true, true, true, false, true), Ct);
        return new Tenant(env, key);
    }

    private async Task CreateIntegrationAsync(Tenant tenant, string key, string provider, object credentials)
    {
        using var api = factory.CreateApiClient(tenant.Key);
        var response = await api.PostAsJsonAsync("/integrations", new { provider, unique_key = key, credentials }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task ImportAsync(Tenant tenant, string key, string connectionId, object? connectionConfig = null, object? metadata = null)
    {
        using var api = factory.CreateApiClient(tenant.Key);
        var response = await api.PostAsJsonAsync("/connections", new
        {
            provider_config_key = key,
            connection_id = connectionId,
            credentials = new { type = "OAUTH2", access_token = "token-" + connectionId },
            connection_config = connectionConfig,
            metadata,
        }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    private static object GitHubAppCredentials(string? secret) => new
    {
        type = "APP",
        app_id = "12345",
        app_link = "https://github.com/apps/nango-test",
        private_key = "-----BEGIN RSA PRIVATE KEY-----\nnot-a-real-key\n-----END RSA PRIVATE KEY-----",
        webhook_secret = secret,
    };

    /// <summary>The provider's call: the exact bytes of <paramref name="body"/>, no API key, any headers.</summary>
    private async Task<HttpResponseMessage> PostAsync(
        Tenant tenant, string key, string body, string contentType = "application/json", Dictionary<string, string>? headers = null, string query = "")
    {
        // Cookies off so the Cookie header the test sets goes out as given.
        using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = factory.ServerUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhook/{tenant.Env.EnvironmentUuid}/{key}{query}")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        var response = await client.SendAsync(request, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        return response;
    }

    private static Dictionary<string, string> GitHubHeaders(string secret, string body) => new()
    {
        ["X-GitHub-Event"] = "issues",
        ["X-Hub-Signature-256"] = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))),
    };

    private static Dictionary<string, string> SlackHeaders(string secret, string body, long timestamp)
    {
        var ts = timestamp.ToString(CultureInfo.InvariantCulture);
        var digest = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"v0:{ts}:{body}"));
        return new() { ["X-Slack-Request-Timestamp"] = ts, ["X-Slack-Signature"] = "v0=" + Convert.ToHexStringLower(digest) };
    }

#pragma warning disable CA5350 // The test provider signs with HMAC-SHA1 on purpose: the catalog lets providers pick it.
    private static Dictionary<string, string> AcmeHeaders(string secret, string body, long timestamp)
    {
        var ts = timestamp.ToString(CultureInfo.InvariantCulture);
        var digest = HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{ts}.{body}"));
        return new() { ["X-Acme-Timestamp"] = ts, ["X-Acme-Signature"] = Convert.ToBase64String(digest) };
    }
#pragma warning restore CA5350

    /// <summary>Outbox rows of the environment: written before the provider gets its answer, so exact at once.</summary>
    private async Task<int> DeliveryCountAsync(Tenant tenant)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContextAsync(Ct);
        return await db.WebhookDeliveries.CountAsync(d => d.EnvironmentId == tenant.Env.EnvironmentId, Ct);
    }

    private async Task<LogOperationRow> WaitForOperationAsync(EnvironmentContext env, string integration, string state)
    {
        var query = factory.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var page = await query.SearchOperationsAsync(env, new LogOperationSearch
            {
                Types = ["webhook:incoming"],
                Integrations = [integration],
                States = [state],
            }, Ct);
            if (page.Items.Count > 0)
            {
                return page.Items[0];
            }
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"No {state} webhook:incoming operation was logged for {integration}.");
    }

    /// <summary>The operation's messages once at least <paramref name="count"/> are written (writes are batched).</summary>
    private async Task<IReadOnlyList<string>> MessagesAsync(EnvironmentContext env, Guid operationId, int count)
    {
        var query = factory.Services.GetRequiredService<LogQueryService>();
        List<string> messages = [];
        for (var attempt = 0; attempt < 100 && messages.Count < count; attempt++)
        {
            messages = (await query.SearchMessagesAsync(env, new LogMessageSearch { OperationId = operationId }, Ct)).Items.Select(m => m.Message).ToList();
            if (messages.Count < count)
            {
                await Task.Delay(50, Ct);
            }
        }
        return messages;
    }
}
