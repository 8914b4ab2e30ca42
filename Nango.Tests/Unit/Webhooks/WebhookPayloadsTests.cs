using System.Text.Json.Nodes;
using Nango.Core.Webhooks;

namespace Nango.Tests.Unit.Webhooks;

/// <summary>
/// Each body carries exactly the fields of <c>@nangohq/types</c> 0.71.10 <c>dist/webhooks/api.d.ts</c> (and the
/// types it names: <c>ErrorPayload</c>, <c>SyncErrorPayload</c>, <c>SyncResult</c>, <c>AsyncActionResponse</c>,
/// <c>CheckpointRange</c>), so a receiver typed against them reads every field and meets no stranger.
/// </summary>
public sealed class WebhookPayloadsTests
{
    private static readonly DateTimeOffset Started = new(2026, 11, 27, 8, 30, 0, 123, TimeSpan.Zero);
    private static readonly DateTimeOffset Failed = Started.AddSeconds(42);

    // NangoAuthWebhookBodyBase + NangoWebhookBase.
    private static readonly string[] AuthFields = ["from", "type", "connectionId", "authMode", "providerConfigKey", "provider", "environment", "operation", "success"];

    // NangoSyncWebhookBodyBase + NangoWebhookBase.
    private static readonly string[] SyncBaseFields = ["from", "type", "connectionId", "providerConfigKey", "syncName", "syncVariant", "model", "syncType", "success"];

    private static readonly WebhookEndUser EndUser = new("user-1", "org-1", "user@example.com", new Dictionary<string, string> { ["plan"] = "pro" });

    [Theory]
    [InlineData(AuthOperations.Creation)]
    [InlineData(AuthOperations.Override)]
    public void A_successful_auth_event_with_an_end_user_has_the_fields_of_NangoAuthWebhookBodySuccess(string operation)
    {
        var body = WebhookPayloads.Auth(new AuthWebhookEvent("conn-1", "OAUTH2", "github-dev", "github", "dev", operation, true,
            Tags: new Dictionary<string, string> { ["team"] = "core" }, EndUser: EndUser));

        AssertFields(body, [.. AuthFields, "tags", "endUser"]);
        AssertFields(body["endUser"]!, ["endUserId", "organizationId", "endUserEmail", "tags"]);
        Assert.Equal("nango", (string?)body["from"]);
        Assert.Equal("auth", (string?)body["type"]);
        Assert.Equal(operation, (string?)body["operation"]);
        Assert.True((bool)body["success"]!);
        Assert.Equal("core", (string?)body["tags"]!["team"]);
        Assert.Equal("pro", (string?)body["endUser"]!["tags"]!["plan"]);
    }

    [Fact]
    public void An_auth_event_without_tags_or_end_user_leaves_the_optional_fields_out()
    {
        var body = WebhookPayloads.Auth(new AuthWebhookEvent("conn-1", "API_KEY", "stripe", "stripe", "prod", AuthOperations.Creation, true));

        AssertFields(body, AuthFields);
    }

    [Fact]
    public void A_refresh_failure_has_the_fields_of_NangoAuthWebhookBodyError()
    {
        var body = WebhookPayloads.Auth(new AuthWebhookEvent("conn-1", "OAUTH2", "github-dev", "github", "dev", AuthOperations.Refresh, false,
            EndUser: EndUser with { OrganizationId = null }, Error: new WebhookError("refresh_token_external_error", "invalid_grant")));

        AssertFields(body, [.. AuthFields, "endUser", "error"]);
        // organizationId is optional in the type and left out when unknown.
        AssertFields(body["endUser"]!, ["endUserId", "endUserEmail", "tags"]);
        AssertFields(body["error"]!, ["type", "description"]);
        Assert.False((bool)body["success"]!);
        Assert.Equal("refresh", (string?)body["operation"]);
    }

    [Fact]
    public void A_sync_success_has_the_fields_of_NangoSyncWebhookBodySuccess()
    {
        var e = new SyncWebhookEvent("conn-1", "github-dev", "issues", "base", "Issue", "INCREMENTAL");

        var body = WebhookPayloads.SyncSuccess(e, new SyncResultCounts(3, 2, 1), Started);

        AssertFields(body, [.. SyncBaseFields, "modifiedAfter", "responseResults", "queryTimeStamp"]);
        AssertFields(body["responseResults"]!, ["added", "updated", "deleted"]);
        Assert.Equal(3, (int)body["responseResults"]!["added"]!);
        Assert.Equal("2026-11-27T08:30:00.123Z", (string?)body["modifiedAfter"]);
        Assert.True((bool)body["success"]!);
    }

    [Fact]
    public void Checkpoints_appear_only_when_asked_for_and_carry_from_and_to()
    {
        var e = new SyncWebhookEvent("conn-1", "github-dev", "issues", "base", "Issue", "INCREMENTAL",
            CheckpointFrom: null, CheckpointTo: new JsonObject { ["cursor"] = "abc" }, IncludeCheckpoints: true);

        var body = WebhookPayloads.SyncSuccess(e, new SyncResultCounts(0, 0, 0), Started);

        AssertFields(body, [.. SyncBaseFields, "checkpoints", "modifiedAfter", "responseResults", "queryTimeStamp"]);
        AssertFields(body["checkpoints"]!, ["from", "to"]);
        Assert.Null(body["checkpoints"]!["from"]);
        Assert.Equal("abc", (string?)body["checkpoints"]!["to"]!["cursor"]);
    }

    [Fact]
    public void A_sync_failure_has_the_fields_of_NangoSyncWebhookBodyError()
    {
        var e = new SyncWebhookEvent("conn-1", "github-dev", "issues", "base", "Issue", "INITIAL");
        var error = new WebhookError("script_error", "boom", Payload: new JsonObject { ["line"] = 3 }, AdditionalProperties: new JsonObject { ["code"] = "E1" });

        var body = WebhookPayloads.SyncFailure(e, error, Started, Failed);

        AssertFields(body, [.. SyncBaseFields, "error", "startedAt", "failedAt"]);
        AssertFields(body["error"]!, ["type", "description", "payload", "additional_properties"]);
        Assert.False((bool)body["success"]!);
        Assert.Equal("2026-11-27T08:30:42.123Z", (string?)body["failedAt"]);

        var plain = WebhookPayloads.SyncFailure(e, new WebhookError("script_error", "boom"), Started, Failed);
        AssertFields(plain["error"]!, ["type", "description"]);
    }

    [Fact]
    public void An_async_action_completion_has_the_fields_of_NangoAsyncActionWebhookBody()
    {
        var body = WebhookPayloads.AsyncAction("conn-1", "github-dev", "act-1", "/action/act-1");

        AssertFields(body, ["from", "type", "connectionId", "providerConfigKey", "payload"]);
        AssertFields(body["payload"]!, ["id", "statusUrl"]);
        Assert.Equal("async_action", (string?)body["type"]);
        Assert.Equal("/action/act-1", (string?)body["payload"]!["statusUrl"]);
    }

    [Fact]
    public void A_forward_has_the_fields_of_NangoForwardWebhookBody_with_the_provider_as_sender()
    {
        var providerBody = new JsonObject { ["action"] = "opened", ["issue"] = new JsonObject { ["number"] = 7 } };

        var body = WebhookPayloads.Forward("github", "github-dev", "conn-1", providerBody);
        var unmatched = WebhookPayloads.Forward("github", "github-dev", null, providerBody);

        AssertFields(body, ["from", "type", "providerConfigKey", "connectionId", "payload"]);
        AssertFields(unmatched, ["from", "type", "providerConfigKey", "payload"]);
        Assert.Equal("github", (string?)body["from"]);
        Assert.Equal("forward", (string?)body["type"]);
        Assert.Equal(providerBody.ToJsonString(), body["payload"]!.ToJsonString());
    }

    // Expected spellings are what node 20 prints for JSON.stringify(JSON.parse(input)).
    [Theory]
    [InlineData("""{"a":"ship 🚀"}""", """{"a":"ship 🚀"}""")]
    [InlineData("""{"a":"\u2028\u2029 é <b>&amp;</b> 'q'"}""", "{\"a\":\"\u2028\u2029 é <b>&amp;</b> 'q'\"}")]
    [InlineData("""{"a":"\u0001\u001f\u007f\b\f\n\r\t\"\\\/"}""", "{\"a\":\"\\u0001\\u001f\u007f\\b\\f\\n\\r\\t\\\"\\\\/\"}")]
    [InlineData("""[10.50,1e3,1E-7,1e21,1e20,-0.0,0.000001,0.0000001,123.456,2.0,-7]""", """[10.5,1000,1e-7,1e+21,100000000000000000000,0,0.000001,1e-7,123.456,2,-7]""")]
    [InlineData("""[12345678901234567890,123456789012345678901234,5e-324,1.7976931348623157e308,1e400]""", """[12345678901234567000,1.2345678901234569e+23,5e-324,1.7976931348623157e+308,null]""")]
    [InlineData("""{"b":1,"10":2,"2":3,"01":4,"-1":5,"4294967295":6,"0":7}""", """{"0":7,"2":3,"10":2,"b":1,"01":4,"-1":5,"4294967295":6}""")]
    [InlineData("""{"t":true,"f":false,"n":null,"o":{},"l":[]}""", """{"t":true,"f":false,"n":null,"o":{},"l":[]}""")]
    public void A_body_is_spelled_as_JavaScript_JSON_stringify_spells_it(string input, string expected)
    {
        Assert.Equal(expected, WebhookPayloads.Serialize(JsonNode.Parse(input)!));
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_and_a_pair_is_kept()
    {
        var body = new JsonObject { ["lone"] = "a\ud800b", ["pair"] = "\ud83d\ude80" };

        Assert.Equal("{\"lone\":\"a\\ud800b\",\"pair\":\"🚀\"}", WebhookPayloads.Serialize(body));
    }

    private static void AssertFields(JsonNode node, IEnumerable<string> expected) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal), node.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
}
