using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>
/// What a customer's receiver checks on every delivery: the official <c>@nangohq/node</c> 0.71.10 verifiers
/// (current and legacy) and a Standard Webhooks verifier written from the specification.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WebhookSignatureTests : IAsyncLifetime
{
    private readonly NangoWebFactory _web = new();
    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task Every_kind_of_event_verifies_with_the_official_node_client_and_with_Standard_Webhooks()
    {
        var env = await PointAtAsync(_web, _receiver.Url.ToString());
        var signingKey = await _web.Services.GetRequiredService<EnvironmentService>().RevealWebhookSigningKeyAsync(env, Ct);
        var connection = (await CreateConnectionsAsync(_web, "github", "sig-conn"))[0];
        var endUser = new WebhookEndUser("user-7", "org-7", "zoë@example.com", new Dictionary<string, string> { ["team"] = "Ünïcødé 🚀" });
        var sync = new SyncWebhookEvent("sig-conn", "github", "issues", "base", "Issue", "INCREMENTAL");
        // A provider body as providers send them: emoji, HTML characters, line separators, control characters,
        // escaped slashes and numbers written in forms JavaScript re-prints differently.
        var providerBody = JsonNode.Parse("""
            {"text":"ship it 🚢 <b>&amp;</b> 'quoted' \"double\" back\\slash \/ tab\t new\nline \u2028 \u0001 é",
             "amount":10.50,"ratio":1e3,"tiny":1E-7,"big":12345678901234567890,"negative":-0.0,"ok":true,"none":null,
             "list":[1,2.0,"x",{"nested":[]}],"byId":{"b":1,"10":2,"2":3}}
            """);

        var published = await PublishAsync(_web,
            new WebhookMessage(env.EnvironmentId, WebhookTopic.AuthCreation, WebhookPayloads.Auth(new AuthWebhookEvent(
                "sig-conn", "OAUTH2", "github", "github", "dev", AuthOperations.Creation, true, new Dictionary<string, string> { ["k"] = "v" }, endUser)), connection),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.AuthCreation, WebhookPayloads.Auth(new AuthWebhookEvent(
                "sig-conn", "OAUTH2", "github", "github", "dev", AuthOperations.Override, true)), connection),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.AuthRefreshError, WebhookPayloads.Auth(new AuthWebhookEvent(
                "sig-conn", "OAUTH2", "github", "github", "dev", AuthOperations.Refresh, false, EndUser: endUser,
                Error: new WebhookError("refresh_token_external_error", "invalid_grant: token revoked"))), connection),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.SyncSuccess, WebhookPayloads.SyncSuccess(sync, new SyncResultCounts(5, 1, 0), DateTimeOffset.UtcNow), connection),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.SyncError, WebhookPayloads.SyncFailure(sync,
                new WebhookError("script_error", "Cannot read properties of undefined", new JsonObject { ["line"] = 12 }), DateTimeOffset.UtcNow.AddSeconds(-3), DateTimeOffset.UtcNow), connection),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.AsyncAction, WebhookPayloads.AsyncAction("sig-conn", "github", "act-1", "/action/act-1"), connection),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.Forward, WebhookPayloads.Forward("github", "github", "sig-conn", providerBody), connection),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.Test, WebhookPayloads.Test("dev", DateTimeOffset.UtcNow)));
        Assert.Equal(8, published.Count);

        var received = new List<ReceivedWebhook>();
        for (var i = 0; i < published.Count; i++)
        {
            received.Add(await _receiver.NextAsync());
        }

        // Every published event arrived once, with its event id as webhook-id and its exact body.
        Assert.Equal(published.Select(p => p.EventId.ToString()).Order(), received.Select(r => r.Header("webhook-id")!).Order());
        foreach (var r in received)
        {
            var delivery = published.Single(p => p.EventId.ToString() == r.Header("webhook-id"));
            Assert.Equal(delivery.Body, r.BodyText);
            Assert.Equal("application/json", r.Header("content-type"));
            Assert.Equal("Nango", r.Header("user-agent"));
            Assert.Equal(StandardWebhooksResult.Valid,
                StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(signingKey), r.Headers, r.Body, DateTimeOffset.UtcNow));
            Assert.Single(StandardWebhooksVerifier.Signatures(r.Header("webhook-signature")!));
        }

        var cases = received.Select(r => Case(JsonNode.Parse(r.Body)!["type"] + ":" + r.Header("webhook-id"), signingKey, r.BodyText, r.Headers)).ToList();
        // Controls: the same requests must fail with another key or a changed body, or the checks prove nothing.
        cases.Add(Case("control:wrong-key", Guid.NewGuid().ToString(), received[0].BodyText, received[0].Headers));
        cases.Add(Case("control:changed-body", signingKey, received[0].BodyText.Replace("\"from\":\"nango\"", "\"from\":\"other\"", StringComparison.Ordinal), received[0].Headers));
        var results = await VerifyWithNodeAsync(cases);

        var real = results.Where(r => !r.Name.StartsWith("control:", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, real.Count);
        Assert.Empty(real.Where(r => !r.Incoming).Select(r => r.Name));
        Assert.Empty(real.Where(r => !r.StringifyRoundTrip).Select(r => r.Name));
        Assert.Empty(real.Where(r => !r.Legacy).Select(r => r.Name));
        Assert.All(results.Where(r => r.Name.StartsWith("control:", StringComparison.Ordinal)), r => Assert.False(r.Incoming || r.Legacy, r.Name));
    }

    [Fact]
    public async Task After_a_key_rotation_both_keys_verify_until_the_grace_period_ends()
    {
        var env = await PointAtAsync(_web, _receiver.Url.ToString());
        var environments = _web.Services.GetRequiredService<EnvironmentService>();
        var oldKey = await environments.RevealWebhookSigningKeyAsync(env, Ct);
        var newKey = await environments.RotateWebhookSigningKeyAsync(env, Ct);
        Assert.NotEqual(oldKey, newKey);

        await PublishAsync(_web, Unordered(env, "during-grace"));
        var during = await _receiver.NextAsync();

        Assert.Equal(2, StandardWebhooksVerifier.Signatures(during.Header("webhook-signature")!).Count);
        Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(newKey), during.Headers, during.Body, DateTimeOffset.UtcNow));
        Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(oldKey), during.Headers, during.Body, DateTimeOffset.UtcNow));
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature,
            StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(Guid.NewGuid().ToString()), during.Headers, during.Body, DateTimeOffset.UtcNow));
        // Nango's own header moves to the new key at once; the previous key's HMAC rides beside it.
        Assert.Equal(WebhookSigner.NangoHmac(oldKey, during.Body), during.Header(WebhookSigner.NangoPreviousHmacHeader));
        var results = await VerifyWithNodeAsync([Case("new-key", newKey, during.BodyText, during.Headers), Case("old-key", oldKey, during.BodyText, during.Headers)]);
        Assert.True(results.Single(r => r.Name == "new-key").Incoming);
        Assert.True(results.Single(r => r.Name == "new-key").Legacy);
        Assert.False(results.Single(r => r.Name == "old-key").Incoming);

        // The grace period over (moved into the past rather than waited for), only the new key signs.
        await using (var db = await CreateDbAsync(_web))
        {
            await db.Environments.Where(e => e.Id == env.EnvironmentId)
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.PreviousWebhookSigningKeyExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)), Ct);
        }
        await PublishAsync(_web, Unordered(env, "after-grace"));
        var after = await _receiver.NextAsync();

        Assert.Single(StandardWebhooksVerifier.Signatures(after.Header("webhook-signature")!));
        Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(newKey), after.Headers, after.Body, DateTimeOffset.UtcNow));
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(oldKey), after.Headers, after.Body, DateTimeOffset.UtcNow));
        Assert.Null(after.Header(WebhookSigner.NangoPreviousHmacHeader));
    }

    private sealed record NodeResult(string Name, bool Incoming, bool Legacy, bool StringifyRoundTrip);

    private static JsonObject Case(string name, string signingKey, string body, IReadOnlyDictionary<string, string> headers) => new()
    {
        ["name"] = name,
        ["signingKey"] = signingKey,
        ["body"] = body,
        ["headers"] = new JsonObject(headers.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))),
    };

    private async Task<IReadOnlyList<NodeResult>> VerifyWithNodeAsync(List<JsonObject> cases)
    {
        var file = Path.Combine(Path.GetTempPath(), $"nango-webhooks-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, new JsonObject { ["cases"] = new JsonArray([.. cases]) }.ToJsonString(), Ct);
        try
        {
            var output = await NodeClient.RunAsync("verify-webhooks.mjs", _web.ServerUrl, _web.SecretKey,
                new Dictionary<string, string> { ["WEBHOOKS_FILE"] = file }, Ct);
            var results = output["results"]!.AsArray()
                .Select(r => new NodeResult((string)r!["name"]!, (bool)r["incoming"]!, (bool)r["legacy"]!, (bool)r["stringifyRoundTrip"]!))
                .ToList();
            Assert.Equal(cases.Count, results.Count);
            return results;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
