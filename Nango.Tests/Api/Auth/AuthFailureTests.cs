using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Tests.Api.Auth.Support;
using Nango.Tests.Api.Support;
using Npgsql;

namespace Nango.Tests.Api.Auth;

/// <summary>
/// Auth flows that must stop: bad or stale callers, integrations a session does not allow, callbacks that do not
/// match a flow in progress or replay one, a provider that refuses, a token endpoint that is down, unknown
/// integrations and the wrong auth mode. Each ends on an error (page, socket message or JSON), saves nothing,
/// and, once the environment is known, shows as a failed auth operation in Logs.
/// </summary>
[Collection(AuthWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class AuthFailureTests(AuthWorld world) : IAsyncLifetime
{
    private readonly AuthPopup _popup = new();
    private readonly HttpClient _api = world.Web.CreateApiClient();
    private readonly HttpClient _browser = new() { BaseAddress = world.Web.ServerUrl };

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
        _browser.Dispose();
        return ValueTask.CompletedTask;
    }

    [Theory]
    [InlineData("unknown", "unknown_connect_session_token")]
    [InlineData("expired", "unknown_connect_session_token")]
    [InlineData("malformed", "invalid_connect_session_token_format")]
    public async Task A_session_token_that_is_unknown_expired_or_malformed_is_refused_with_401(string kind, string code)
    {
        var token = kind switch
        {
            "unknown" => "nango_connect_session_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            "expired" => await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "expired-token-user" } }),
            _ => "nango_connect_session_not-hex",
        };
        if (kind == "expired")
        {
            await ConnectSessionCalls.ExpireAsync(world.Web.ConnectionString, token);
        }
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);
        var checks = world.Checks.Requests;

        var response = await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.ApiKeyKey}?connect_session_token={token}", new { apiKey = CredentialCheckApi.GoodApiKey }, Ct);
        var bearer = new HttpRequestMessage(HttpMethod.Post, $"/api-auth/api-key/{AuthWorld.ApiKeyKey}") { Content = JsonContent.Create(new { apiKey = CredentialCheckApi.GoodApiKey }) };
        bearer.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var withBearer = await _browser.SendAsync(bearer, Ct);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, code);
        await withBearer.AssertErrorAsync(HttpStatusCode.Unauthorized, code);
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Equal(checks, world.Checks.Requests);
    }

    [Fact]
    public async Task A_popup_with_an_unknown_session_token_ends_on_an_error_page_and_tells_the_socket()
    {
        var token = "nango_connect_session_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var page = await _popup.OpenRefusedAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.OAuthKey, "connect_session_token=" + token, socket.ClientId));

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Equal("unknown_connect_session_token", page.ErrorType);
        var message = await socket.ReceiveAsync();
        Assert.Equal("error", (string?)message["message_type"]);
        Assert.Equal("unknown_connect_session_token", (string?)message["error_type"]);
        Assert.Equal(page.ErrorMessage, (string?)message["error_desc"]);
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Equal(0, world.OAuth.Counters.AuthorizationsGranted);
    }

    [Fact]
    public async Task An_integration_the_session_does_not_allow_is_refused_in_the_popup_and_in_credential_flows()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "not-allowed-user" }, allowed_integrations = new[] { AuthWorld.NoneKey } });
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var page = await _popup.OpenRefusedAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.OAuthKey, "connect_session_token=" + token, socket.ClientId));
        var apiKey = await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.ApiKeyKey}?connect_session_token={token}", new { apiKey = CredentialCheckApi.GoodApiKey }, Ct);

        Assert.Equal((HttpStatusCode.BadRequest, "integration_not_allowed"), (page.Status, page.ErrorType));
        var message = await socket.ReceiveAsync();
        Assert.Equal(("error", "integration_not_allowed"), ((string?)message["message_type"], (string?)message["error_type"]));
        await apiKey.AssertErrorAsync(HttpStatusCode.BadRequest, "integration_not_allowed");
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Empty(await _api.ConnectionIdsOfAsync("not-allowed-user"));
        var (operation, _) = await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", AuthWorld.OAuthKey,
            (string)message["connection_id"]!, OperationStates.Failed);
        Assert.Equal("integration_not_allowed", operation.Error?.Name);
    }

    [Fact]
    public async Task A_connect_session_cannot_name_the_connection_it_writes()
    {
        var publicKey = (await world.Web.Services.GetRequiredService<EnvironmentService>().GetSettingsAsync(world.Environment, Ct)).PublicKey;
        var victim = await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.ApiKeyKey}?public_key={publicKey}&connection_id=victim-conn", new { apiKey = CredentialCheckApi.GoodApiKey }, Ct);
        Assert.Equal(HttpStatusCode.OK, victim.StatusCode);
        var token = await _api.CreateConnectSessionTokenAsync(new
        {
            end_user = new { id = "attacker" },
            allowed_integrations = new[] { AuthWorld.ApiKeyKey, AuthWorld.OAuthKey },
            webhook_url_override = world.Webhooks.Url + "/attacker",
        });
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var apiKey = await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.ApiKeyKey}?connect_session_token={token}&connection_id=victim-conn", new { apiKey = CredentialCheckApi.GoodApiKey }, Ct);
        var popup = await _popup.OpenRefusedAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.OAuthKey, $"connect_session_token={token}&connection_id=victim-conn"));

        var error = await apiKey.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"code":"custom","message":"connection_id is forbidden when using session token","path":["connection_id"]}]"""),
            error["errors"]), error.ToJsonString());
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_query_params"), (popup.Status, popup.ErrorType));
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Null((await _api.GetConnectionAsync(AuthWorld.ApiKeyKey, "victim-conn"))["end_user"]);
        Assert.Equal(0, world.OAuth.Counters.AuthorizationsGranted);
    }

    [Fact]
    public async Task A_callback_with_an_unknown_or_missing_state_ends_on_an_error_page_and_changes_nothing()
    {
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var unknown = await _popup.CallbackAsync(new Uri(world.Web.ServerUrl, $"/oauth/callback?code=some-code&state={Guid.NewGuid()}"));
        var missing = await _popup.CallbackAsync(new Uri(world.Web.ServerUrl, "/oauth/callback?code=some-code"));
        var garbage = await _popup.CallbackAsync(new Uri(world.Web.ServerUrl, "/oauth/callback?code=some-code&state=%3Cscript%3E"));

        foreach (var page in new[] { unknown, missing, garbage })
        {
            Assert.Equal((HttpStatusCode.BadRequest, "invalid_state"), (page.Status, page.ErrorType));
        }
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Equal(0, world.OAuth.Counters.TokenRequests("authorization_code"));
    }

    [Fact]
    public async Task A_replayed_callback_ends_on_an_error_page_and_changes_nothing()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "replay-user" }, allowed_integrations = new[] { AuthWorld.OAuthKey } });
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);
        var (first, callback) = await _popup.RunAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.OAuthKey, "connect_session_token=" + token, socket.ClientId));
        Assert.True(first.Succeeded, first.ErrorMessage);
        var success = await socket.ReceiveAsync();
        Assert.Equal("success", (string?)success["message_type"]);
        var connectionId = (string)success["connection_id"]!;
        await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId);
        var stored = await _api.GetConnectionAsync(AuthWorld.OAuthKey, connectionId);
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var replay = await _popup.CallbackAsync(callback);

        Assert.Equal((HttpStatusCode.BadRequest, "invalid_state"), (replay.Status, replay.ErrorType));
        Assert.Contains("already completed", replay.ErrorMessage, StringComparison.Ordinal);
        // Nothing changed: not the connection, not the session (whose stored result a re-attaching socket reads), no webhook.
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("authorization_code"));
        await using var reattached = await AuthSocket.ConnectAsync(world.Web.ServerUrl, socket.ClientId);
        Assert.Equal("success", (string?)(await reattached.ReceiveAsync())["message_type"]);
        var after = await _api.GetConnectionAsync(AuthWorld.OAuthKey, connectionId);
        Assert.Equal((string?)stored["credentials"]!["access_token"], (string?)after["credentials"]!["access_token"]);
        Assert.Single(world.Webhooks.AuthWebhooksFor(connectionId));
    }

    [Fact]
    public async Task An_expired_authorisation_ends_on_an_error_page_without_exchanging_the_code()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "slow-user" }, allowed_integrations = new[] { AuthWorld.OAuthKey } });
        var authorize = await _popup.OpenAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.OAuthKey, "connect_session_token=" + token));
        var callback = await _popup.SignInAsync(authorize);
        await using (var connection = new NpgsqlConnection(world.Web.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var expire = new NpgsqlCommand("UPDATE oauth_sessions SET expires_at = now() - interval '1 second' WHERE id = @state", connection);
            expire.Parameters.AddWithValue("state", Guid.Parse(AuthPopup.Query(callback)["state"]));
            Assert.Equal(1, await expire.ExecuteNonQueryAsync(Ct));
        }

        var page = await _popup.CallbackAsync(callback);

        Assert.Equal((HttpStatusCode.BadRequest, "invalid_state"), (page.Status, page.ErrorType));
        Assert.Contains("expired", page.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, world.OAuth.Counters.TokenRequests("authorization_code"));
        Assert.Empty(await _api.ConnectionIdsOfAsync("slow-user"));
    }

    [Fact]
    public async Task A_provider_refusal_is_shown_on_the_page_and_sent_to_the_socket()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "denying-user" }, allowed_integrations = new[] { AuthWorld.OAuthKey } });
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);
        var authorize = await _popup.OpenAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.OAuthKey, "connect_session_token=" + token, socket.ClientId));

        var callback = await _popup.SignInAsync(authorize, decision: "deny");
        var page = await _popup.CallbackAsync(callback);

        var query = AuthPopup.Query(callback);
        Assert.Equal("access_denied", query["error"]);
        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.NotNull(page.ErrorType);
        Assert.Contains("access_denied", page.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(query["error_description"], page.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(query["error_description"]), page.Html, StringComparison.Ordinal);
        var message = await socket.ReceiveAsync();
        Assert.Equal("error", (string?)message["message_type"]);
        Assert.Equal(page.ErrorType, (string?)message["error_type"]);
        Assert.Equal(page.ErrorMessage, (string?)message["error_desc"]);
        Assert.Equal(AuthWorld.OAuthKey, (string?)message["provider_config_key"]);
        Assert.Empty(await _api.ConnectionIdsOfAsync("denying-user"));
        Assert.Equal(0, world.OAuth.Counters.TokenRequests("authorization_code"));
        await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", AuthWorld.OAuthKey,
            (string)message["connection_id"]!, OperationStates.Failed, m => m.Any(x => x.Message.Contains("access_denied", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_provider_error_description_cannot_put_markup_into_the_callback_page()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "markup-user" }, allowed_integrations = new[] { AuthWorld.OAuthKey } });
        var authorize = await _popup.OpenAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.OAuthKey, "connect_session_token=" + token));
        const string injected = "</script><script>window.pwned=1</script><img src=x onerror=alert(1)>";

        var page = await _popup.CallbackAsync(new Uri(world.Web.ServerUrl,
            $"/oauth/callback?state={AuthPopup.Query(authorize)["state"]}&error=access_denied&error_description={Uri.EscapeDataString(injected)}"));

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Contains(injected, page.ErrorMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>window.pwned", page.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", page.Html, StringComparison.Ordinal);
        // Only the page's own script element: one opening tag, one closing tag.
        Assert.Equal(1, page.Html.Split("<script", StringSplitOptions.None).Length - 1);
        Assert.Equal(1, page.Html.Split("</script>", StringSplitOptions.None).Length - 1);
    }

    [Fact]
    public async Task An_unreachable_token_endpoint_fails_the_flow_with_token_exchange_failed()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "token-down-user" }, allowed_integrations = new[] { AuthWorld.TokenDownKey } });
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);

        var (page, _) = await _popup.RunAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.TokenDownKey, "connect_session_token=" + token, socket.ClientId));

        Assert.Equal((HttpStatusCode.BadRequest, "token_exchange_failed"), (page.Status, page.ErrorType));
        var message = await socket.ReceiveAsync();
        Assert.Equal(("error", "token_exchange_failed"), ((string?)message["message_type"], (string?)message["error_type"]));
        Assert.Empty(await _api.ConnectionIdsOfAsync("token-down-user"));
        var (operation, messages) = await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", AuthWorld.TokenDownKey,
            (string)message["connection_id"]!, OperationStates.Failed, m => m.Any(x => x.Message.Contains("Token exchange", StringComparison.Ordinal)));
        Assert.Equal("token_exchange_failed", operation.Error?.Name);
        Assert.Contains(messages, m => m.Request?.Url.Contains("/oauth/token", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task An_unknown_integration_is_refused_in_the_popup_and_in_credential_flows()
    {
        var publicKey = (await world.Web.Services.GetRequiredService<EnvironmentService>().GetSettingsAsync(world.Environment, Ct)).PublicKey;
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var page = await _popup.OpenRefusedAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, "no-such-integration", $"public_key={publicKey}&connection_id=unknown-integration-conn"));
        var apiKey = await _browser.PostAsJsonAsync($"/api-auth/api-key/no-such-integration?public_key={publicKey}&connection_id=unknown-integration-conn", new { apiKey = "k" }, Ct);
        var none = await _browser.PostAsync($"/auth/unauthenticated/no-such-integration?public_key={publicKey}", null, Ct);

        Assert.Equal((HttpStatusCode.BadRequest, "unknown_provider_config"), (page.Status, page.ErrorType));
        await apiKey.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_provider_config");
        await none.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_provider_config");
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", "no-such-integration", "unknown-integration-conn", OperationStates.Failed);
    }

    [Fact]
    public async Task A_flow_for_another_auth_mode_is_refused_with_invalid_auth_mode()
    {
        var publicKey = (await world.Web.Services.GetRequiredService<EnvironmentService>().GetSettingsAsync(world.Environment, Ct)).PublicKey;
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var popup = await _popup.OpenRefusedAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, AuthWorld.ApiKeyKey, $"public_key={publicKey}"));
        var apiKeyOnOAuth = await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.OAuthKey}?public_key={publicKey}", new { apiKey = CredentialCheckApi.GoodApiKey }, Ct);
        var basicOnApiKey = await _browser.PostAsJsonAsync($"/api-auth/basic/{AuthWorld.ApiKeyKey}?public_key={publicKey}", new { username = "u", password = "p" }, Ct);
        var clientCredentialsOnOAuth = await _browser.PostAsJsonAsync($"/oauth2/auth/{AuthWorld.OAuthKey}?public_key={publicKey}", new { client_id = world.Client.ClientId, client_secret = world.Client.ClientSecret }, Ct);
        var noneOnBasic = await _browser.PostAsync($"/auth/unauthenticated/{AuthWorld.BasicKey}?public_key={publicKey}", null, Ct);

        Assert.Equal((HttpStatusCode.BadRequest, "invalid_auth_mode"), (popup.Status, popup.ErrorType));
        foreach (var response in new[] { apiKeyOnOAuth, basicOnApiKey, clientCredentialsOnOAuth, noneOnBasic })
        {
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_auth_mode");
        }
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Equal(0, world.OAuth.Counters.TokenRequests("client_credentials"));
    }

    [Fact]
    public async Task A_popup_without_any_credential_is_refused()
    {
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);

        var page = await _popup.OpenRefusedAsync(new Uri(world.Web.ServerUrl, $"/oauth/connect/{AuthWorld.OAuthKey}?ws_client_id={socket.ClientId}"));
        var response = await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.ApiKeyKey}", new { apiKey = "k" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Equal("missing_auth_token", page.ErrorType);
        Assert.Equal("missing_auth_token", (string?)(await socket.ReceiveAsync())["error_type"]);
        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "missing_auth_token");
    }
}
