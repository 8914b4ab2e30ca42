using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Nango.Core.ConnectSessions;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.ConnectSessions;

/// <summary>Rejected session requests answer Nango's envelope with the offending path and create no session.</summary>
[Trait("Category", "Integration")]
public sealed class ConnectSessionBadInputTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>, IAsyncLifetime
{
    private const string Key = "bad-input-github";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<string> SnapshotAsync() => DatabaseSnapshot.TakeAsync(factory.ConnectionString, Ct);

    public async ValueTask InitializeAsync()
    {
        using var client = factory.CreateApiClient();
        var existing = await client.GetAsync("/integrations/" + Key, Ct);
        if (existing.StatusCode == HttpStatusCode.NotFound)
        {
            await client.CreateIntegrationAsync(Key);
            await client.ImportConnectionAsync(Key, "existing-connection");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("""{"end_user":{"id":"u"},"unexpected":true}""", "")]
    [InlineData("""{"end_user":{"id":"u","role":"admin"}}""", "end_user")]
    [InlineData("""{"end_user":{"id":"u"},"organization":{"id":"o","size":3}}""", "organization")]
    [InlineData("""{"end_user":{"id":"u"},"integrations_config_defaults":{"bad-input-github":{"scopes":"x"}}}""", "integrations_config_defaults.bad-input-github")]
    public async Task An_unknown_field_is_400_invalid_body_unrecognized_keys(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions", body);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        var issue = Assert.Single(error["errors"]!.AsArray())!;
        Assert.Equal("unrecognized_keys", (string?)issue["code"]);
        Assert.Equal(path, Assert.Single(error.IssuePaths()));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("{}", "end_user", "Invalid input: expected object, received undefined")]
    [InlineData("""{"end_user":{}}""", "end_user.id", "Invalid input: expected string, received undefined")]
    [InlineData("""{"end_user":{"id":""}}""", "end_user.id", "Too small: expected string to have >=1 characters")]
    [InlineData("""{"end_user":{"id":42}}""", "end_user.id", "Invalid input: expected string, received number")]
    [InlineData("""{"end_user":{"id":null}}""", "end_user.id", "Invalid input: expected string, received null")]
    [InlineData("""{"end_user":"u-1"}""", "end_user", "Invalid input: expected object, received string")]
    [InlineData("""{"end_user":{"id":"u","email":"not-an-email"}}""", "end_user.email", "Invalid email address")]
    [InlineData("""{"end_user":{"id":"u","display_name":7}}""", "end_user.display_name", "Invalid input: expected string, received number")]
    [InlineData("""{"end_user":{"id":"u"},"organization":{}}""", "organization.id", "Invalid input: expected string, received undefined")]
    [InlineData("""{"end_user":{"id":"u"},"allowed_integrations":"bad-input-github"}""", "allowed_integrations", "Invalid input: expected array, received string")]
    [InlineData("""{"end_user":{"id":"u"},"webhook_url_override":"not a url"}""", "webhook_url_override", "Invalid URL: must be an absolute http(s) URL")]
    [InlineData("""{"end_user":{"id":"u"},"integrations_config_defaults":{"bad-input-github":{"authorization_params":{"prompt":1}}}}""", "integrations_config_defaults.bad-input-github.authorization_params.prompt", "Invalid input: expected string, received number")]
    public async Task A_field_failing_validation_is_400_invalid_body_with_its_path(string body, string path, string message)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions", body);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        var issue = Assert.Single(error["errors"]!.AsArray())!;
        Assert.Equal(path, Assert.Single(error.IssuePaths()));
        Assert.Equal(message, (string?)issue["message"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task An_end_user_id_longer_than_255_characters_is_refused()
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connect/sessions", new { end_user = new { id = new string('u', 256) } });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(["end_user.id"], error.IssuePaths());
        Assert.Equal("too_big", (string?)error["errors"]![0]!["code"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("""{"tags":{"123invalid":"v"}}""", "tags.123invalid")]
    [InlineData("""{"tags":{"key":""}}""", "tags.key")]
    [InlineData("""{"end_user":{"id":"u","tags":{"end_user_email":"nope"}}}""", "end_user.tags.end_user_email")]
    [InlineData("""{"tags":{"Team":"a","team":"b"}}""", "tags")]
    [InlineData("""{"tags":{"k0":"v","k1":"v","k2":"v","k3":"v","k4":"v","k5":"v","k6":"v","k7":"v","k8":"v","k9":"v","k10":"v"}}""", "tags")]
    public async Task Tags_breaking_nangos_rules_are_400_invalid_body(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions", body);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains(path, error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_tag_value_longer_than_255_characters_is_refused()
    {
        using var client = factory.CreateApiClient();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connect/sessions", new { tags = new { key = new string('v', 256) } });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(["tags.key"], error.IssuePaths());
    }

    [Theory]
    [InlineData("""{"end_user":{"id":"u"},"allowed_integrations":["no-such-integration"]}""", "allowed_integrations.0")]
    [InlineData("""{"end_user":{"id":"u"},"allowed_integrations":["bad-input-github","no-such-integration"]}""", "allowed_integrations.1")]
    [InlineData("""{"end_user":{"id":"u"},"integrations_config_defaults":{"no-such-integration":{"connection_config":{}}}}""", "integrations_config_defaults.no-such-integration")]
    [InlineData("""{"end_user":{"id":"u"},"overrides":{"no-such-integration":{"docs_connect":"https://docs.example.com"}}}""", "overrides.no-such-integration")]
    public async Task An_integration_that_does_not_exist_is_400_invalid_body_at_its_path(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions", body);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        var issue = Assert.Single(error["errors"]!.AsArray())!;
        Assert.Equal("custom", (string?)issue["code"]);
        Assert.Equal("Integration does not exist", (string?)issue["message"]);
        Assert.Equal(path, Assert.Single(error.IssuePaths()));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task The_index_of_an_unknown_allowed_integration_is_a_number_in_the_path()
    {
        using var client = factory.CreateApiClient();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions", """{"end_user":{"id":"u"},"allowed_integrations":["random"]}""");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"code":"custom","message":"Integration does not exist","path":["allowed_integrations",0]}]"""),
            error["errors"]));
    }

    [Theory]
    [InlineData("/connect/sessions", """{"end_user":{"id":"u"}""")]
    [InlineData("/connect/sessions", "[]")]
    [InlineData("/connect/sessions/reconnect", "not json")]
    public async Task Malformed_json_is_400_invalid_body(string path, string body)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, path, body);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_query_string_on_create_is_400_invalid_query_params()
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions?env=dev", """{"end_user":{"id":"u"}}""");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.Equal("unrecognized_keys", (string?)error["errors"]![0]!["code"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_non_json_content_type_is_415_invalid_content_type()
    {
        using var client = factory.CreateApiClient();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions", "end_user=u", "application/x-www-form-urlencoded");

        await response.AssertErrorAsync(HttpStatusCode.UnsupportedMediaType, "invalid_content_type");
    }

    [Fact]
    public async Task Reconnect_without_its_ids_lists_both_missing_fields()
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions/reconnect", "{}");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""
                [{"code":"invalid_type","message":"Invalid input: expected string, received undefined","path":["connection_id"]},
                 {"code":"invalid_type","message":"Invalid input: expected string, received undefined","path":["integration_id"]}]
                """),
            error["errors"]));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("""{"connection_id":"existing-connection","integration_id":"bad-input-github","allowed_integrations":["bad-input-github"]}""", "")]
    [InlineData("""{"connection_id":"existing-connection","integration_id":"bad input!"}""", "integration_id")]
    [InlineData("""{"connection_id":"existing-connection","integration_id":"bad-input-github","overrides":{"nope":{}}}""", "overrides.nope")]
    public async Task Reconnect_body_failing_validation_is_400_invalid_body(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connect/sessions/reconnect", body);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(path, Assert.Single(error.IssuePaths()));
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("no-such-connection", Key)]
    [InlineData("existing-connection", "no-such-integration")]
    public async Task Reconnect_to_a_connection_that_does_not_exist_is_400_invalid_body_as_nango_answers(string connectionId, string integrationId)
    {
        using var client = factory.CreateApiClient();
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connect/sessions/reconnect", new { connection_id = connectionId, integration_id = integrationId });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal("ConnectionID or IntegrationId does not exists", (string?)error["message"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Reconnect_to_a_deleted_connection_is_refused()
    {
        using var client = factory.CreateApiClient();
        await client.ImportConnectionAsync(Key, "deleted-connection");
        Assert.True((await client.DeleteAsync($"/connections/deleted-connection?provider_config_key={Key}", Ct)).IsSuccessStatusCode);

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connect/sessions/reconnect", new { connection_id = "deleted-connection", integration_id = Key });

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Session_endpoints_without_a_token_are_401_missing_auth_header(string method)
    {
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.SendAsync(new HttpMethod(method), "/connect/session");

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "missing_auth_header");
        Assert.Equal("Authentication failed. The request is missing the Authorization header.", (string?)error["message"]);
    }

    [Fact]
    public async Task A_non_bearer_authorization_is_401_malformed_auth_header()
    {
        using var client = new HttpClient { BaseAddress = factory.ServerUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        var response = await client.GetAsync("/connect/session", Ct);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "malformed_auth_header");
    }

    [Theory]
    [InlineData("secret-key")]
    [InlineData("nango_connect_session_tooshort")]
    [InlineData("nango_connect_session_0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    public async Task A_token_of_the_wrong_format_is_401_invalid_connect_session_token_format(string token)
    {
        using var client = ConnectSessionCalls.SessionClient(factory.ServerUrl, token == "secret-key" ? factory.SecretKey : token);
        var before = await SnapshotAsync();

        var response = await client.DeleteAsync("/connect/session", Ct);

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_connect_session_token_format");
        Assert.Equal("Authentication failed. The provided connect session token is not following correct format: nango_connect_session_RANDOM)", (string?)error["message"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_well_formed_token_no_session_has_is_401_unknown_connect_session_token()
    {
        using var client = ConnectSessionCalls.SessionClient(factory.ServerUrl, ConnectSessionToken.New());

        var response = await client.GetAsync("/connect/session", Ct);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "unknown_connect_session_token");
    }

    [Fact]
    public async Task A_session_token_is_not_a_secret_key()
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "u" } });
        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);
        var before = await SnapshotAsync();

        var create = await session.SendAsync(HttpMethod.Post, "/connect/sessions", """{"end_user":{"id":"u"}}""");
        var list = await session.GetAsync("/connections", Ct);

        await create.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_secret_key_format");
        await list.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_secret_key_format");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Get_session_with_an_unexpected_query_parameter_is_400_invalid_query_params()
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "u" } });
        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);

        var response = await session.GetAsync("/connect/session?debug=1", Ct);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
    }

    [Fact]
    public async Task Telemetry_without_a_token_in_the_body_is_401_missing_auth_header()
    {
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.SendAsync(HttpMethod.Post, "/connect/telemetry", """{"event":"open","timestamp":"2026-01-01T00:00:00Z"}""");

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "missing_auth_header");
    }

    [Theory]
    [InlineData("nango_connect_session_bad", "invalid_connect_session_token_format")]
    [InlineData("nango_connect_session_0000000000000000000000000000000000000000000000000000000000000000", "unknown_connect_session_token")]
    public async Task Telemetry_with_a_bad_token_is_401(string token, string code)
    {
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.SendJsonAsync(HttpMethod.Post, "/connect/telemetry", new { token, @event = "open", timestamp = "2026-01-01T00:00:00Z" });

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, code);
    }

    [Theory]
    [InlineData("""{"event":"view:everything","timestamp":"2026-01-01T00:00:00Z"}""", "event")]
    [InlineData("""{"event":"open","timestamp":"yesterday"}""", "timestamp")]
    [InlineData("""{"event":"open"}""", "timestamp")]
    [InlineData("""{"event":"open","timestamp":"2026-01-01T00:00:00Z","extra":1}""", "")]
    [InlineData("""{"event":"open","timestamp":"2026-01-01T00:00:00Z","dimensions":{"integration":"bad key!"}}""", "dimensions.integration")]
    public async Task Telemetry_body_failing_validation_is_400_invalid_body(string fields, string path)
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "u" } });
        var body = JsonNode.Parse(fields)!.AsObject();
        body["token"] = token;
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.SendAsync(HttpMethod.Post, "/connect/telemetry", body.ToJsonString());

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(path, Assert.Single(error.IssuePaths()));
    }
}
