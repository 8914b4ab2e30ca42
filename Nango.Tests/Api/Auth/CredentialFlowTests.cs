using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Tests.Api.Auth.Support;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.Auth;

/// <summary>
/// The flows that take credentials in one POST, as the frontend SDK sends them: OAuth 2 client credentials
/// (exchanged at the real provider), API key and basic (checked against a provider API that accepts exactly one
/// key and one password, through the catalog's <c>proxy.verification</c>), and none.
/// </summary>
[Collection(AuthWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class CredentialFlowTests(AuthWorld world) : IAsyncLifetime
{
    private readonly HttpClient _api = world.Web.CreateApiClient();
    private readonly HttpClient _browser = new() { BaseAddress = world.Web.ServerUrl };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        world.OAuth.Counters.Reset();
        world.OAuth.AccessTokenLifetime = TimeSpan.FromHours(1);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _api.Dispose();
        _browser.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<string> SessionTokenAsync(string endUser, string key) =>
        await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = endUser }, allowed_integrations = new[] { key } });

    private async Task<Guid> PublicKeyAsync() =>
        (await world.Web.Services.GetRequiredService<EnvironmentService>().GetSettingsAsync(world.Environment, Ct)).PublicKey;

    /// <summary>Asserts the frontend SDK's success answer, exactly <c>{providerConfigKey, connectionId}</c>, and returns the connection id.</summary>
    private static async Task<string> AssertConnectedAsync(HttpResponseMessage response, string key)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(["connectionId", "providerConfigKey"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(key, (string?)body["providerConfigKey"]);
        return (string)body["connectionId"]!;
    }

    [Fact]
    public async Task Client_credentials_save_an_OAUTH2_CC_connection_whose_token_the_provider_accepts()
    {
        var token = await SessionTokenAsync("cc-user", AuthWorld.ClientCredentialsKey);

        var response = await _browser.PostAsJsonAsync($"/oauth2/auth/{AuthWorld.ClientCredentialsKey}?connect_session_token={token}",
            new { client_id = world.Client.ClientId, client_secret = world.Client.ClientSecret }, Ct);

        var connectionId = await AssertConnectedAsync(response, AuthWorld.ClientCredentialsKey);
        Assert.Equal([connectionId], await _api.ConnectionIdsOfAsync("cc-user"));
        var credentials = (await _api.GetConnectionAsync(AuthWorld.ClientCredentialsKey, connectionId))["credentials"]!.AsObject();
        Assert.Equal(["client_id", "client_secret", "expires_at", "raw", "token", "type"], credentials.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("OAUTH2_CC", (string?)credentials["type"]);
        Assert.Equal(world.Client.ClientId, (string?)credentials["client_id"]);
        Assert.Equal(world.Client.ClientSecret, (string?)credentials["client_secret"]);
        Assert.Equal((string?)credentials["token"], (string?)credentials["raw"]!["access_token"]);
        using var providerApi = new HttpClient();
        providerApi.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (string)credentials["token"]!);
        var identity = await (await providerApi.GetAsync(world.OAuth.ApiBaseUrl + "/me", Ct)).ReadJsonAsync();
        Assert.Equal(world.Client.ClientId, (string?)identity["sub"]);
        Assert.Equal(1, world.OAuth.Counters.TokensIssued("client_credentials"));
        var (_, hook) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId);
        Assert.Equal(("creation", "OAUTH2_CC"), ((string?)hook["operation"], (string?)hook["authMode"]));
        await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", AuthWorld.ClientCredentialsKey, connectionId, OperationStates.Success);
    }

    [Fact]
    public async Task Client_credentials_the_provider_refuses_answer_client_credentials_fetch_error_and_save_nothing()
    {
        var token = await SessionTokenAsync("cc-wrong-user", AuthWorld.ClientCredentialsKey);
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var response = await _browser.PostAsJsonAsync($"/oauth2/auth/{AuthWorld.ClientCredentialsKey}?connect_session_token={token}",
            new { client_id = world.Client.ClientId, client_secret = "not-the-secret" }, Ct);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "client_credentials_fetch_error");
        Assert.Contains("invalid_client", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("client_credentials"));
        Assert.Equal(0, world.OAuth.Counters.TokensIssued("client_credentials"));
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
    }

    public static TheoryData<string, string, object, string> GoodCredentials => new()
    {
        { AuthWorld.ApiKeyKey, "/api-auth/api-key/", new { apiKey = CredentialCheckApi.GoodApiKey }, $$"""{"type":"API_KEY","apiKey":"{{CredentialCheckApi.GoodApiKey}}"}""" },
        { AuthWorld.BasicKey, "/api-auth/basic/", new { username = CredentialCheckApi.GoodUsername, password = CredentialCheckApi.GoodPassword },
            $$"""{"type":"BASIC","username":"{{CredentialCheckApi.GoodUsername}}","password":"{{CredentialCheckApi.GoodPassword}}"}""" },
    };

    [Theory]
    [MemberData(nameof(GoodCredentials))]
    public async Task Credentials_the_provider_accepts_are_verified_and_saved(string key, string path, object body, string expectedCredentials)
    {
        var connectionId = "good-" + key;
        var checks = world.Checks.Requests;

        var response = await _browser.PostAsJsonAsync($"{path}{key}?public_key={await PublicKeyAsync()}&connection_id={connectionId}", body, Ct);

        Assert.Equal(connectionId, await AssertConnectedAsync(response, key));
        Assert.Equal(checks + 1, world.Checks.Requests);
        var connection = await _api.GetConnectionAsync(key, connectionId);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedCredentials), connection["credentials"]), connection["credentials"]!.ToJsonString());
        var (_, hook) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId);
        Assert.Equal("creation", (string?)hook["operation"]);
        var (_, messages) = await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", key, connectionId, OperationStates.Success,
            m => m.Any(x => x.Message.StartsWith("Credentials verified", StringComparison.Ordinal)));
        Assert.DoesNotContain(messages, m => m.Message.Contains(CredentialCheckApi.GoodApiKey, StringComparison.Ordinal) || m.Message.Contains(CredentialCheckApi.GoodPassword, StringComparison.Ordinal));
    }

    public static TheoryData<string, string, object> WrongCredentials => new()
    {
        { AuthWorld.ApiKeyKey, "/api-auth/api-key/", new { apiKey = "wrong-api-key" } },
        { AuthWorld.BasicKey, "/api-auth/basic/", new { username = CredentialCheckApi.GoodUsername, password = "wrong-password" } },
    };

    [Theory]
    [MemberData(nameof(WrongCredentials))]
    public async Task Credentials_the_provider_refuses_answer_connection_test_failed_and_save_nothing(string key, string path, object body)
    {
        var token = await SessionTokenAsync("wrong-" + key, key);
        var checks = world.Checks.Requests;
        var before = await AuthTables.FingerprintAsync(world.Web.ConnectionString);

        var response = await _browser.PostAsJsonAsync($"{path}{key}?connect_session_token={token}", body, Ct);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "connection_test_failed");
        Assert.Contains("401", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(checks + 1, world.Checks.Requests);
        Assert.Equal(before, await AuthTables.FingerprintAsync(world.Web.ConnectionString));
        Assert.Empty(await _api.ConnectionIdsOfAsync("wrong-" + key));
    }

    [Fact]
    public async Task An_unauthenticated_connection_is_saved_with_empty_credentials_and_the_sessions_end_user()
    {
        var token = await SessionTokenAsync("none-user", AuthWorld.NoneKey);

        var response = await _browser.PostAsync($"/auth/unauthenticated/{AuthWorld.NoneKey}?connect_session_token={token}", null, Ct);

        var connectionId = await AssertConnectedAsync(response, AuthWorld.NoneKey);
        var connection = await _api.GetConnectionAsync(AuthWorld.NoneKey, connectionId);
        Assert.True(JsonNode.DeepEquals(new JsonObject(), connection["credentials"]), connection["credentials"]!.ToJsonString());
        Assert.Equal("none-user", (string?)connection["end_user"]!["id"]);
        var (_, hook) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId);
        Assert.Equal(("creation", "NONE"), ((string?)hook["operation"], (string?)hook["authMode"]));
        await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:create_connection", AuthWorld.NoneKey, connectionId, OperationStates.Success);
    }

    [Fact]
    public async Task A_reconnect_session_replaces_an_api_key_under_the_same_connection()
    {
        var connectionId = await AssertConnectedAsync(
            await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.ApiKeyKey}?connect_session_token={await SessionTokenAsync("api-key-reconnect-user", AuthWorld.ApiKeyKey)}",
                new { apiKey = CredentialCheckApi.GoodApiKey }, Ct),
            AuthWorld.ApiKeyKey);
        var reconnect = await _api.CreateConnectSessionTokenAsync(new { connection_id = connectionId, integration_id = AuthWorld.ApiKeyKey }, "/connect/sessions/reconnect");

        var response = await _browser.PostAsJsonAsync($"/api-auth/api-key/{AuthWorld.ApiKeyKey}?connect_session_token={reconnect}",
            new { apiKey = CredentialCheckApi.GoodApiKey }, Ct);

        Assert.Equal(connectionId, await AssertConnectedAsync(response, AuthWorld.ApiKeyKey));
        Assert.Equal([connectionId], await _api.ConnectionIdsOfAsync("api-key-reconnect-user"));
        await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId && (string?)b["operation"] == "override");
    }
}
