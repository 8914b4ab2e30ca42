using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Tests.Api.Auth.Support;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.Auth;

/// <summary>
/// The OAuth 2 popup flow end to end against a real provider: Nango's redirect, the provider's sign-in form, the
/// callback, the code exchange with PKCE, and everything the saved connection then shows to the app.
/// </summary>
[Collection(AuthWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class OAuthFlowTests(AuthWorld world) : IAsyncLifetime
{
    private const string Key = AuthWorld.OAuthKey;

    private readonly AuthPopup _popup = new();
    private readonly HttpClient _api = world.Web.CreateApiClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        world.OAuth.Counters.Reset();
        world.OAuth.AccessTokenLifetime = TimeSpan.FromHours(1);
        world.OAuth.IssueRefreshTokens = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _popup.Dispose();
        _api.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_connect_session_from_the_node_client_authorises_through_the_provider_and_the_node_client_reads_the_token()
    {
        var started = DateTimeOffset.UtcNow;
        var overrideUrl = world.Webhooks.Url + "/node-override";
        var created = await AuthCalls.NodeAsync(world.Web, "createConnectSession", new
        {
            body = new
            {
                end_user = new { id = "oauth-node-user", email = "node-user@example.com", display_name = "Node User" },
                organization = new { id = "node-org", display_name = "Node Org" },
                allowed_integrations = new[] { Key },
                tags = new Dictionary<string, string> { ["Team"] = "Core" },
                webhook_url_override = overrideUrl,
            },
        });
        var token = (string)created["data"]!["token"]!;
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);

        var authorize = await _popup.OpenAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, Key, "connect_session_token=" + token, socket.ClientId));

        // Nango sends the browser to the provider with what the provider checks: client, redirect URI, state, PKCE, scopes.
        Assert.Equal(world.OAuth.AuthorizationUrl.ToString(), authorize.GetLeftPart(UriPartial.Path));
        var request = AuthPopup.Query(authorize);
        Assert.Equal(world.Client.ClientId, request["client_id"]);
        Assert.Equal(AuthWorld.CallbackUrl(world.Web).ToString(), request["redirect_uri"]);
        Assert.Equal("code", request["response_type"]);
        Assert.Equal("read write", request["scope"]);
        Assert.True(Guid.TryParse(request["state"], out _), request["state"]);
        Assert.Equal("S256", request["code_challenge_method"]);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", request["code_challenge"]);

        var callback = await _popup.SignInAsync(authorize);

        Assert.Equal(AuthWorld.CallbackUrl(world.Web).ToString(), callback.GetLeftPart(UriPartial.Path));
        Assert.Equal(request["state"], AuthPopup.Query(callback)["state"]);
        Assert.False(string.IsNullOrEmpty(AuthPopup.Query(callback)["code"]));

        var page = await _popup.CallbackAsync(callback);

        Assert.True(page.Succeeded, $"{page.Status} {page.ErrorType}: {page.ErrorMessage}");
        var message = await socket.ReceiveAsync();
        var connectionId = (string)message["connection_id"]!;
        Assert.True(Guid.TryParse(connectionId, out _), "With a connect session Nango picks the connection id: " + connectionId);
        Assert.True(JsonNode.DeepEquals(
            new JsonObject { ["message_type"] = "success", ["provider_config_key"] = Key, ["connection_id"] = connectionId, ["is_pending"] = false },
            message), message.ToJsonString());
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("authorization_code"));
        Assert.Equal(1, world.OAuth.Counters.TokensIssued("authorization_code"));

        // The official client reads the connection and its token.
        var read = await AuthCalls.NodeAsync(world.Web, "getConnection", new { key = Key, connectionId });
        var connection = read["connection"]!;
        var credentials = connection["credentials"]!.AsObject();
        Assert.Equal(["access_token", "expires_at", "raw", "refresh_token", "type"], credentials.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("OAUTH2", (string?)credentials["type"]);
        var accessToken = (string)credentials["access_token"]!;
        Assert.Equal(accessToken, (string?)read["token"]);
        Assert.Equal(accessToken, (string?)credentials["raw"]!["access_token"]);
        Assert.False(string.IsNullOrEmpty((string?)credentials["refresh_token"]));
        Assert.Equal((string?)credentials["refresh_token"], (string?)credentials["raw"]!["refresh_token"]);
        Assert.Equal("Bearer", (string?)credentials["raw"]!["token_type"]);
        var expiresAt = DateTimeOffset.Parse((string)credentials["expires_at"]!, CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, started.AddMinutes(59), DateTimeOffset.UtcNow.AddHours(1).AddSeconds(5));

        // What the connect session brought is on the connection.
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"id":"oauth-node-user","display_name":"Node User","email":"node-user@example.com","tags":null,"organization":{"id":"node-org","display_name":"Node Org"}}"""),
            connection["end_user"]), connection["end_user"]?.ToJsonString());
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"end_user_id":"oauth-node-user","end_user_email":"node-user@example.com","end_user_display_name":"Node User","organization_id":"node-org","organization_display_name":"Node Org","team":"Core"}"""),
            connection["tags"]), connection["tags"]?.ToJsonString());
        Assert.Equal(overrideUrl, (string?)connection["webhook_url_override"]);

        // The token is the provider's: its API accepts it as the test user's.
        using var providerApi = new HttpClient();
        providerApi.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var me = await providerApi.GetAsync(world.OAuth.ApiBaseUrl + "/me", Ct);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var identity = await me.ReadJsonAsync();
        Assert.Equal("test-user", (string?)identity["sub"]);
        Assert.Equal(world.Client.ClientId, (string?)identity["client_id"]);

        // The app hears of it at the session's webhook URL override.
        var (hook, body) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["type"] == "auth" && (string?)b["connectionId"] == connectionId);
        Assert.Equal("/hooks/node-override", hook.Path);
        Assert.Equal("nango", (string?)body["from"]);
        Assert.Equal("creation", (string?)body["operation"]);
        Assert.True((bool)body["success"]!);
        Assert.Equal("OAUTH2", (string?)body["authMode"]);
        Assert.Equal(Key, (string?)body["providerConfigKey"]);
        Assert.Equal("test-oauth2", (string?)body["provider"]);
        Assert.Equal("dev", (string?)body["environment"]);
        Assert.Equal("oauth-node-user", (string?)body["endUser"]!["endUserId"]);
        Assert.Equal("Core", (string?)body["tags"]!["team"]);

        // And the flow is an auth operation in Logs, with the token exchange in it.
        var (_, messages) = await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", Key, connectionId, OperationStates.Success,
            m => m.Any(x => x.Message.Contains("Token exchange", StringComparison.Ordinal)));
        Assert.Contains(messages, m => m.Response?.Code == 200);
        // Logs never hold the tokens.
        Assert.DoesNotContain(messages, m => (m.Response?.Body ?? "").Contains(accessToken, StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => (m.Response?.Body ?? "").Contains((string)credentials["refresh_token"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reconnect_session_from_the_node_client_replaces_the_credentials_and_sends_an_override_webhook()
    {
        const string endUser = "oauth-reconnect-user";
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = endUser }, allowed_integrations = new[] { Key } });
        var (first, _) = await _popup.RunAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, Key, "connect_session_token=" + token));
        Assert.True(first.Succeeded, first.ErrorMessage);
        var connectionId = Assert.Single(await _api.ConnectionIdsOfAsync(endUser));
        var before = await _api.GetConnectionAsync(Key, connectionId);
        var (creationHook, _) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId && (string?)b["operation"] == "creation");
        Assert.Equal("/hooks", creationHook.Path);

        var reconnect = await AuthCalls.NodeAsync(world.Web, "createReconnectSession", new
        {
            body = new { connection_id = connectionId, integration_id = Key, webhook_url_override = world.Webhooks.Url + "/reconnected" },
        });
        var (page, _) = await _popup.RunAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, Key, "connect_session_token=" + (string)reconnect["data"]!["token"]!));

        Assert.True(page.Succeeded, page.ErrorMessage);
        Assert.Equal([connectionId], await _api.ConnectionIdsOfAsync(endUser));
        var after = await _api.GetConnectionAsync(Key, connectionId);
        Assert.NotEqual((string?)before["credentials"]!["access_token"], (string?)after["credentials"]!["access_token"]);
        Assert.NotEqual((string?)before["credentials"]!["refresh_token"], (string?)after["credentials"]!["refresh_token"]);
        Assert.Equal((string?)before["created_at"], (string?)after["created_at"]);
        Assert.Equal(endUser, (string?)after["end_user"]!["id"]);
        var (overrideHook, body) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId && (string?)b["operation"] == "override");
        Assert.Equal("/hooks/reconnected", overrideHook.Path);
        Assert.True((bool)body["success"]!);
        Assert.Equal(["creation", "override"], world.Webhooks.AuthWebhooksFor(connectionId).Select(b => (string?)b["operation"]));
        Assert.Equal(2, world.OAuth.Counters.TokensIssued("authorization_code"));
    }

    [Fact]
    public async Task The_legacy_public_key_flow_saves_the_connection_under_the_id_and_config_the_frontend_sent()
    {
        const string connectionId = "legacy-public-key-conn";
        var settings = await world.Web.Services.GetRequiredService<EnvironmentService>().GetSettingsAsync(world.Environment, Ct);
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);

        var (page, _) = await _popup.RunAsync(AuthPopup.ConnectUrl(
            world.Web.ServerUrl, Key, $"public_key={settings.PublicKey}&connection_id={connectionId}&params[subdomain]=acme", socket.ClientId));

        Assert.True(page.Succeeded, page.ErrorMessage);
        var message = await socket.ReceiveAsync();
        Assert.Equal("success", (string?)message["message_type"]);
        Assert.Equal(connectionId, (string?)message["connection_id"]);
        var connection = await _api.GetConnectionAsync(Key, connectionId);
        Assert.Equal("OAUTH2", (string?)connection["credentials"]!["type"]);
        Assert.Equal("acme", (string?)connection["connection_config"]!["subdomain"]);
        Assert.Null(connection["end_user"]);
        var (hook, body) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId);
        Assert.Equal("/hooks", hook.Path);
        Assert.Equal("creation", (string?)body["operation"]);
        await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", Key, connectionId, OperationStates.Success);
    }

    [Fact]
    public async Task A_socket_that_reattaches_after_the_callback_is_told_the_stored_result()
    {
        string wsClientId;
        await using (var early = await AuthSocket.ConnectAsync(world.Web.ServerUrl))
        {
            wsClientId = early.ClientId;
        }
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "oauth-late-socket-user" }, allowed_integrations = new[] { Key } });
        var (page, _) = await _popup.RunAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, Key, "connect_session_token=" + token, wsClientId));
        Assert.True(page.Succeeded, page.ErrorMessage);

        await using var late = await AuthSocket.ConnectAsync(world.Web.ServerUrl, wsClientId);
        var message = await late.ReceiveAsync();

        Assert.Equal(wsClientId, late.ClientId);
        Assert.Equal("success", (string?)message["message_type"]);
        Assert.Equal(Assert.Single(await _api.ConnectionIdsOfAsync("oauth-late-socket-user")), (string?)message["connection_id"]);
    }
}
