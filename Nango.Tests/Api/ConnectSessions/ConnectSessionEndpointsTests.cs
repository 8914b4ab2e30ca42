using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.ConnectSessions;
using Nango.Core.Secrets;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.ConnectSessions;

/// <summary>The app's backend creates sessions; the Connect UI reads, uses and ends them with the token.</summary>
[Trait("Category", "Integration")]
public sealed partial class ConnectSessionEndpointsTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    [GeneratedRegex("^nango_connect_session_[0-9a-f]{64}$")]
    private static partial Regex TokenFormat();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex JavaScriptIso();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ServerUrl => factory.Services.GetRequiredService<IOptions<NangoOptions>>().Value.ServerUrl.TrimEnd('/');

    private static async Task<string> NewIntegrationAsync(HttpClient client, string prefix)
    {
        var key = prefix + "-" + Guid.NewGuid().ToString("N")[..6];
        await client.CreateIntegrationAsync(key);
        return key;
    }

    [Fact]
    public async Task Create_answers_201_with_a_token_its_connect_link_and_an_expiry_30_minutes_out()
    {
        using var client = factory.CreateApiClient();
        var before = DateTimeOffset.UtcNow;

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connect/sessions", new { end_user = new { id = "user-1" } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await response.ReadJsonAsync()).AsObject();
        Assert.Equal(["data"], body.Select(p => p.Key));
        var data = body["data"]!.AsObject();
        Assert.Equal(["token", "connect_link", "expires_at"], data.Select(p => p.Key));
        var token = (string)data["token"]!;
        Assert.Matches(TokenFormat(), token);
        Assert.Equal($"{ServerUrl}/connect/?session_token={token}", (string?)data["connect_link"]);
        var expiresAt = (string)data["expires_at"]!;
        Assert.Matches(JavaScriptIso(), expiresAt);
        Assert.InRange(DateTimeOffset.Parse(expiresAt, CultureInfo.InvariantCulture), before.AddMinutes(30).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(30).AddSeconds(1));
    }

    [Fact]
    public async Task The_token_is_stored_as_a_hash_only()
    {
        using var client = factory.CreateApiClient();

        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "hashed-user" } });

        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var byHash = new NpgsqlCommand("SELECT count(*) FROM connect_sessions WHERE token_hash = @hash", connection);
        byHash.Parameters.AddWithValue("hash", SecretHasher.Hash(token));
        Assert.Equal(1L, await byHash.ExecuteScalarAsync(Ct));
        await using var anywhere = new NpgsqlCommand("SELECT count(*) FROM connect_sessions s WHERE s::text LIKE '%' || @secret || '%'", connection);
        anywhere.Parameters.AddWithValue("secret", token[ConnectSessionToken.Prefix.Length..]);
        Assert.Equal(0L, await anywhere.ExecuteScalarAsync(Ct));
    }

    [Fact]
    public async Task Get_session_returns_what_the_session_was_created_with()
    {
        using var client = factory.CreateApiClient();
        var key = await NewIntegrationAsync(client, "session-get");
        var token = await client.CreateConnectSessionTokenAsync(new
        {
            end_user = new { id = "user-42", email = "user42@example.com", display_name = "User 42", tags = new { Plan = "pro" } },
            organization = new { id = "org-7", display_name = "Org Seven" },
            allowed_integrations = new[] { key },
            integrations_config_defaults = new Dictionary<string, object>
            {
                [key] = new { user_scopes = "chat:write", authorization_params = new { prompt = "consent" }, connection_config = new { subdomain = "acme", oauth_scopes_override = "repo" } },
            },
            overrides = new Dictionary<string, object> { [key] = new { docs_connect = "https://docs.example.com/connect" } },
            webhook_url_override = "https://hooks.example.com/nango",
            tags = new { ProjectId = "p-1" },
        });
        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);

        var response = await session.GetAsync("/connect/session", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = JsonNode.Parse($$$$"""
            {"data":{
              "endUser":{"id":"user-42","display_name":"User 42","email":"user42@example.com","tags":{"Plan":"pro"},"organization":{"id":"org-7","display_name":"Org Seven"}},
              "connectUISettings":{"theme":{"light":{"primary":"#00B2E3"},"dark":{"primary":"#00B2E3"}},"defaultTheme":"system","showWatermark":false},
              "allowed_integrations":["{{{{key}}}}"],
              "integrations_config_defaults":{"{{{{key}}}}":{"connection_config":{"subdomain":"acme","oauth_scopes_override":"repo"},"authorization_params":{"prompt":"consent"}}},
              "overrides":{"{{{{key}}}}":{"docs_connect":"https://docs.example.com/connect"}},
              "webhook_url_override":"https://hooks.example.com/nango",
              "tags":{"end_user_id":"user-42","end_user_email":"user42@example.com","end_user_display_name":"User 42","organization_id":"org-7","organization_display_name":"Org Seven","plan":"pro","projectid":"p-1"},
              "websocketsPath":"/"
            }}
            """);
        var actual = await response.ReadJsonAsync();
        Assert.True(JsonNode.DeepEquals(expected, actual), actual.ToJsonString());
    }

    [Fact]
    public async Task A_session_created_with_tags_only_has_no_end_user_and_allows_every_integration()
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { tags = new { projectId = "123" } });
        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);

        var data = (await (await session.GetAsync("/connect/session", Ct)).ReadJsonAsync())["data"]!.AsObject();

        Assert.Null(data["endUser"]);
        Assert.True(data.ContainsKey("endUser"));
        Assert.False(data.ContainsKey("allowed_integrations"));
        Assert.False(data.ContainsKey("isReconnecting"));
        Assert.False(data.ContainsKey("integrations_config_defaults"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"projectid":"123"}"""), data["tags"]));
    }

    [Fact]
    public async Task An_empty_tags_object_is_enough_to_leave_the_end_user_out()
    {
        using var client = factory.CreateApiClient();

        var token = await client.CreateConnectSessionTokenAsync(new { tags = new { } });

        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);
        var data = (await (await session.GetAsync("/connect/session", Ct)).ReadJsonAsync())["data"]!;
        Assert.Null(data["endUser"]);
        Assert.True(JsonNode.DeepEquals(new JsonObject(), data["tags"]));
    }

    [Fact]
    public async Task The_token_is_also_accepted_as_the_connect_session_token_query_parameter()
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "query-user" } });
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.GetAsync("/connect/session?connect_session_token=" + token, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("query-user", (string?)(await response.ReadJsonAsync())["data"]!["endUser"]!["id"]);
    }

    [Fact]
    public async Task Delete_answers_204_and_the_token_stops_working()
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "leaving-user" } });
        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);

        var deleted = await session.DeleteAsync("/connect/session", Ct);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsByteArrayAsync(Ct));
        var afterwards = await session.GetAsync("/connect/session", Ct);
        await afterwards.AssertErrorAsync(HttpStatusCode.Unauthorized, "unknown_connect_session_token");
    }

    [Fact]
    public async Task An_expired_token_is_401_unknown_connect_session_token()
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "late-user" } });
        await ConnectSessionCalls.ExpireAsync(factory.ConnectionString, token);
        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);

        var response = await session.GetAsync("/connect/session", Ct);

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "unknown_connect_session_token");
        Assert.Equal("Authentication failed. The provided connect session token does not match any account.", (string?)error["message"]);
    }

    [Fact]
    public async Task Reconnect_session_is_bound_to_the_connection_its_integration_and_its_end_user()
    {
        using var client = factory.CreateApiClient();
        var key = await NewIntegrationAsync(client, "session-reconnect");
        var imported = await client.ImportConnectionAsync(key, "reconnect-me", endUser: new { id = "owner-1", email = "owner@example.com", organization = new { id = "org-1" } });

        var data = await client.CreateConnectSessionAsync(
            new { connection_id = "reconnect-me", integration_id = key, tags = new { source = "reconnect" } }, "/connect/sessions/reconnect");

        Assert.Equal(["token", "connect_link", "expires_at"], data.Select(p => p.Key));
        var token = (string)data["token"]!;
        Assert.Matches(TokenFormat(), token);
        using var session = ConnectSessionCalls.SessionClient(factory.ServerUrl, token);
        var view = (await (await session.GetAsync("/connect/session", Ct)).ReadJsonAsync())["data"]!.AsObject();
        Assert.True((bool)view["isReconnecting"]!);
        Assert.True(JsonNode.DeepEquals(new JsonArray(key), view["allowed_integrations"]));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"id":"owner-1","display_name":null,"email":"owner@example.com","tags":null,"organization":{"id":"org-1","display_name":null}}"""),
            view["endUser"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"source":"reconnect"}"""), view["tags"]));

        var resolved = await factory.Services.GetRequiredService<ConnectSessionService>().ResolveAsync(token, Ct);
        Assert.Equal(new ReconnectTarget((int)imported["id"]!, "reconnect-me", key), resolved.Session!.Reconnect);
    }

    public static TheoryData<string> TelemetryEvents => new(Nango.Web.Api.ConnectSessions.ConnectSessionBodies.TelemetryEvents);

    [Theory]
    [MemberData(nameof(TelemetryEvents))]
    public async Task Telemetry_accepts_each_documented_event_with_the_token_in_the_body(string name)
    {
        using var client = factory.CreateApiClient();
        var key = await NewIntegrationAsync(client, "telemetry");
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "ui-user" } });
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.SendJsonAsync(HttpMethod.Post, "/connect/telemetry",
            new { token, @event = name, timestamp = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), dimensions = new { integration = key } });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Telemetry_accepts_an_epoch_timestamp_and_no_dimensions()
    {
        using var client = factory.CreateApiClient();
        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "ui-user" } });
        using var anonymous = new HttpClient { BaseAddress = factory.ServerUrl };

        var response = await anonymous.SendJsonAsync(HttpMethod.Post, "/connect/telemetry",
            new { token, @event = "open", timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task The_resolved_session_gives_auth_flows_what_a_new_connection_takes_on()
    {
        using var client = factory.CreateApiClient();
        var key = await NewIntegrationAsync(client, "apply");
        var other = await NewIntegrationAsync(client, "apply-other");
        var token = await client.CreateConnectSessionTokenAsync(new
        {
            end_user = new { id = "apply-user", email = "apply@example.com" },
            organization = new { id = "apply-org", display_name = "Apply Org" },
            allowed_integrations = new[] { key },
            integrations_config_defaults = new Dictionary<string, object>
            {
                [key] = new { user_scopes = "chat:write", authorization_params = new { prompt = "consent" }, connection_config = new { subdomain = "acme" } },
            },
            webhook_url_override = "https://hooks.example.com/apply",
            tags = new { Team = "core" },
        });

        var lookup = await factory.Services.GetRequiredService<ConnectSessionService>().ResolveAsync(token, Ct);

        Assert.Equal(ConnectSessionTokenStatus.Valid, lookup.Status);
        var session = lookup.Session!;
        Assert.Equal((await factory.GetEnvironmentAsync(factory.SecretKey)).EnvironmentId, session.Environment.EnvironmentId);
        Assert.True(session.AllowsIntegration(key));
        Assert.False(session.AllowsIntegration(other));
        Assert.False(session.IsReconnecting);
        var applied = session.ApplyToNewConnection(key);
        Assert.Equal(new Nango.Core.Connections.EndUser("apply-user", "apply@example.com", null, "apply-org", "Apply Org"), applied.EndUser);
        Assert.Equal("https://hooks.example.com/apply", applied.WebhookUrlOverride);
        Assert.Equal("chat:write", applied.UserScopes);
        Assert.Equal(new Dictionary<string, string> { ["prompt"] = "consent" }, applied.AuthorizationParams);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"subdomain":"acme"}"""), applied.ConnectionConfig));
        Assert.Equal("core", applied.Tags["team"]);
        Assert.Equal("apply-org", applied.Tags["organization_id"]);
        Assert.Empty(session.ApplyToNewConnection(other).ConnectionConfig);
    }

    [Fact]
    public async Task Resolving_a_malformed_token_says_so_without_a_lookup_and_an_unknown_one_is_unknown()
    {
        var sessions = factory.Services.GetRequiredService<ConnectSessionService>();

        Assert.Equal(ConnectSessionTokenStatus.InvalidFormat, (await sessions.ResolveAsync(factory.SecretKey, Ct)).Status);
        Assert.Equal(ConnectSessionTokenStatus.InvalidFormat, (await sessions.ResolveAsync(null, Ct)).Status);
        Assert.Equal(ConnectSessionTokenStatus.Unknown, (await sessions.ResolveAsync(ConnectSessionToken.New(), Ct)).Status);
    }

    [Fact]
    public async Task Deleting_expired_sessions_keeps_live_ones()
    {
        using var client = factory.CreateApiClient();
        var expired = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "expired-user" } });
        var live = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "live-user" } });
        await ConnectSessionCalls.ExpireAsync(factory.ConnectionString, expired);
        var sessions = factory.Services.GetRequiredService<ConnectSessionService>();

        var removed = await sessions.DeleteExpiredAsync(DateTimeOffset.UtcNow, Ct);

        Assert.True(removed >= 1);
        Assert.Equal(ConnectSessionTokenStatus.Valid, (await sessions.ResolveAsync(live, Ct)).Status);
        await using var connection = new NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM connect_sessions WHERE token_hash = @hash", connection);
        command.Parameters.AddWithValue("hash", SecretHasher.Hash(expired));
        Assert.Equal(0L, await command.ExecuteScalarAsync(Ct));
    }
}
