using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Auth;
using Nango.Core.Logs;
using Nango.Tests.Api.Auth.Support;
using Nango.Tests.Api.Support;
using Npgsql;

namespace Nango.Tests.Api.Auth;

/// <summary>
/// Token refresh against a provider that rotates refresh tokens and spends each once: before <c>GET /connections/:id</c>
/// returns credentials that expire within the buffer, when forced, in the periodic sweep, and what a refusal does
/// (424, an auth error on the connection, the refresh-failure webhook, the 30 s backoff, exhaustion on invalid_grant).
/// </summary>
[Collection(AuthWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class RefreshTests(AuthWorld world) : IAsyncLifetime
{
    private const string Key = AuthWorld.OAuthKey;

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
        world.OAuth.AccessTokenLifetime = TimeSpan.FromHours(1);
        _api.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AssertProviderAcceptsAsync(string accessToken)
    {
        using var providerApi = new HttpClient();
        providerApi.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        Assert.Equal(HttpStatusCode.OK, (await providerApi.GetAsync(world.OAuth.ApiBaseUrl + "/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task Credentials_expiring_within_the_buffer_are_refreshed_before_get_connection_returns_them()
    {
        // Five minutes is inside Nango's 15-minute buffer: the token counts as expiring from the start.
        world.OAuth.AccessTokenLifetime = TimeSpan.FromMinutes(5);
        await AuthConnections.ConnectAsync(world, world.Web, Key, "refresh-expiring");
        var stored = await AuthConnections.StoredCredentialsAsync(world, Key, "refresh-expiring");
        world.OAuth.Counters.Reset();
        var asked = DateTimeOffset.UtcNow;

        var connection = await _api.GetConnectionAsync(Key, "refresh-expiring");

        var credentials = connection["credentials"]!;
        Assert.NotEqual((string?)stored["access_token"], (string?)credentials["access_token"]);
        Assert.NotEqual((string?)stored["refresh_token"], (string?)credentials["refresh_token"]);
        // The new token's lifetime (whole seconds at the provider) counts from the refresh.
        Assert.InRange(DateTimeOffset.Parse((string)credentials["expires_at"]!, CultureInfo.InvariantCulture), asked.AddMinutes(5).AddSeconds(-2), DateTimeOffset.UtcNow.AddMinutes(5).AddSeconds(1));
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("refresh_token"));
        Assert.Equal(1, world.OAuth.Counters.RefreshTokensUsed);
        await AssertProviderAcceptsAsync((string)credentials["access_token"]!);
        Assert.Equal((string?)credentials["access_token"], (string?)(await AuthConnections.StoredCredentialsAsync(world, Key, "refresh-expiring"))["access_token"]);
        await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:refresh_token", Key, "refresh-expiring", OperationStates.Success);
    }

    [Fact]
    public async Task Expiring_client_credentials_are_renewed_with_a_new_client_credentials_grant()
    {
        world.OAuth.AccessTokenLifetime = TimeSpan.FromMinutes(5);
        using var browser = new HttpClient { BaseAddress = world.Web.ServerUrl };
        var publicKey = (await world.Web.Services.GetRequiredService<Nango.Core.Environments.EnvironmentService>().GetSettingsAsync(world.Environment, Ct)).PublicKey;
        var created = await browser.PostAsJsonAsync($"/oauth2/auth/{AuthWorld.ClientCredentialsKey}?public_key={publicKey}&connection_id=refresh-cc",
            new { client_id = world.Client.ClientId, client_secret = world.Client.ClientSecret }, Ct);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var stored = await AuthConnections.StoredCredentialsAsync(world, AuthWorld.ClientCredentialsKey, "refresh-cc");
        world.OAuth.Counters.Reset();

        var credentials = (await _api.GetConnectionAsync(AuthWorld.ClientCredentialsKey, "refresh-cc"))["credentials"]!;

        Assert.Equal("OAUTH2_CC", (string?)credentials["type"]);
        Assert.NotEqual((string?)stored["token"], (string?)credentials["token"]);
        Assert.Equal((world.Client.ClientId, world.Client.ClientSecret), ((string?)credentials["client_id"], (string?)credentials["client_secret"]));
        Assert.Equal(1, world.OAuth.Counters.TokensIssued("client_credentials"));
        await AssertProviderAcceptsAsync((string)credentials["token"]!);
    }

    [Fact]
    public async Task An_expiring_token_without_a_refresh_token_is_returned_as_it_is()
    {
        world.OAuth.AccessTokenLifetime = TimeSpan.FromMinutes(5);
        world.OAuth.IssueRefreshTokens = false;
        await AuthConnections.ConnectAsync(world, world.Web, Key, "refresh-impossible");
        var stored = await AuthConnections.StoredCredentialsAsync(world, Key, "refresh-impossible");
        Assert.Null(stored["refresh_token"]);
        world.OAuth.Counters.Reset();

        var plain = await _api.GetConnectionAsync(Key, "refresh-impossible");
        var forced = await _api.GetConnectionAsync(Key, "refresh-impossible", forceRefresh: true);

        Assert.Equal((string?)stored["access_token"], (string?)plain["credentials"]!["access_token"]);
        Assert.Equal((string?)stored["access_token"], (string?)forced["credentials"]!["access_token"]);
        Assert.Equal(0, world.OAuth.Counters.TokenRequests("refresh_token"));
    }

    [Fact]
    public async Task Force_refresh_replaces_a_valid_token_and_a_plain_get_leaves_it()
    {
        await AuthConnections.ConnectAsync(world, world.Web, Key, "refresh-forced");
        var stored = await AuthConnections.StoredCredentialsAsync(world, Key, "refresh-forced");
        world.OAuth.Counters.Reset();

        var plain = await _api.GetConnectionAsync(Key, "refresh-forced");
        var forced = await _api.GetConnectionAsync(Key, "refresh-forced", forceRefresh: true);

        Assert.Equal((string?)stored["access_token"], (string?)plain["credentials"]!["access_token"]);
        Assert.NotEqual((string?)stored["access_token"], (string?)forced["credentials"]!["access_token"]);
        Assert.NotEqual((string?)stored["refresh_token"], (string?)forced["credentials"]!["refresh_token"]);
        Assert.Equal(1, world.OAuth.Counters.RefreshTokensUsed);
        await AssertProviderAcceptsAsync((string)forced["credentials"]!["access_token"]!);
    }

    [Fact]
    public async Task A_refused_refresh_answers_424_marks_the_connection_sends_the_refresh_webhook_and_then_backs_off()
    {
        const string connectionId = "refresh-refused";
        await AuthConnections.ConnectAsync(world, world.Web, AuthWorld.OtherOAuthKey, connectionId);
        // The app's client secret changed at the provider but not in Nango: the provider now refuses the client.
        await SetClientSecretAsync(AuthWorld.OtherOAuthKey, "not-the-secret");
        try
        {
            var stored = await AuthConnections.StoredCredentialsAsync(world, AuthWorld.OtherOAuthKey, connectionId);
            world.OAuth.Counters.Reset();

            var failed = await _api.GetConnectionResponseAsync(AuthWorld.OtherOAuthKey, connectionId, forceRefresh: true);
            var again = await _api.GetConnectionResponseAsync(AuthWorld.OtherOAuthKey, connectionId, forceRefresh: true);

            var error = await failed.AssertErrorAsync(HttpStatusCode.FailedDependency, "refresh_token_external_error");
            Assert.Contains("invalid_client", (string?)error["message"], StringComparison.Ordinal);
            await again.AssertErrorAsync(HttpStatusCode.FailedDependency, "connection_refresh_backoff");
            Assert.Equal(1, world.OAuth.Counters.TokenRequests("refresh_token"));
            Assert.Equal((string?)stored["access_token"], (string?)(await AuthConnections.StoredCredentialsAsync(world, AuthWorld.OtherOAuthKey, connectionId))["access_token"]);

            var item = await _api.ListItemAsync(AuthWorld.OtherOAuthKey, connectionId);
            var authError = Assert.Single(item["errors"]!.AsArray())!;
            Assert.Equal("auth", (string?)authError["type"]);
            var (operation, _) = await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:refresh_token", AuthWorld.OtherOAuthKey, connectionId, OperationStates.Failed);
            Assert.Equal(operation.Id.ToString(), (string?)authError["log_id"]);
            Assert.Equal("refresh_token_external_error", operation.Error?.Name);

            var (_, hook) = await world.Webhooks.WaitForWebhookAsync((_, b) => (string?)b["connectionId"] == connectionId && (string?)b["operation"] == "refresh");
            Assert.False((bool)hook["success"]!);
            Assert.Equal("auth", (string?)hook["type"]);
            Assert.Equal("OAUTH2", (string?)hook["authMode"]);
            Assert.Equal(AuthWorld.OtherOAuthKey, (string?)hook["providerConfigKey"]);
            Assert.Equal("refresh_token_external_error", (string?)hook["error"]!["type"]);
            Assert.Contains("invalid_client", (string?)hook["error"]!["description"], StringComparison.Ordinal);
        }
        finally
        {
            await SetClientSecretAsync(AuthWorld.OtherOAuthKey, world.Client.ClientSecret);
        }
    }

    [Fact]
    public async Task Refusals_on_four_different_days_exhaust_the_connection()
    {
        const string connectionId = "refresh-four-days";
        await AuthConnections.ConnectAsync(world, world.Web, AuthWorld.OtherOAuthKey, connectionId);
        await SetClientSecretAsync(AuthWorld.OtherOAuthKey, "not-the-secret");
        try
        {
            for (var day = 1; day <= 4; day++)
            {
                var refused = await _api.GetConnectionResponseAsync(AuthWorld.OtherOAuthKey, connectionId, forceRefresh: true);

                await refused.AssertErrorAsync(HttpStatusCode.FailedDependency, "refresh_token_external_error");
                var (attempts, exhausted) = await RefreshStateAsync(connectionId);
                Assert.Equal((day, day == 4), (attempts, exhausted));
                // The next attempt happens on the following day: the failure moves one day back.
                await ExecuteAsync("UPDATE connections SET last_refresh_failure = last_refresh_failure - interval '1 day' WHERE connection_id = @id", connectionId);
            }

            var afterExhaustion = await _api.GetConnectionResponseAsync(AuthWorld.OtherOAuthKey, connectionId, forceRefresh: true);

            await afterExhaustion.AssertErrorAsync(HttpStatusCode.FailedDependency, "connection_refresh_exhausted");
            Assert.Equal(4, world.OAuth.Counters.TokenRequests("refresh_token"));
        }
        finally
        {
            await SetClientSecretAsync(AuthWorld.OtherOAuthKey, world.Client.ClientSecret);
        }
    }

    [Fact]
    public async Task An_invalid_grant_exhausts_the_connection_at_once_until_the_user_reconnects()
    {
        const string connectionId = "refresh-revoked";
        await AuthConnections.ConnectAsync(world, world.Web, Key, connectionId);
        // Someone else spends the refresh token Nango holds: the provider will call Nango's copy invalid_grant.
        var stored = await AuthConnections.StoredCredentialsAsync(world, Key, connectionId);
        using (var provider = new HttpClient())
        {
            var spent = await provider.PostAsync(world.OAuth.TokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token",
                ["refresh_token"] = (string)stored["refresh_token"]!,
                ["client_id"] = world.Client.ClientId,
                ["client_secret"] = world.Client.ClientSecret,
            }), Ct);
            Assert.Equal(HttpStatusCode.OK, spent.StatusCode);
        }
        world.OAuth.Counters.Reset();

        var refused = await _api.GetConnectionResponseAsync(Key, connectionId, forceRefresh: true);
        var exhausted = await _api.GetConnectionResponseAsync(Key, connectionId, forceRefresh: true);

        var error = await refused.AssertErrorAsync(HttpStatusCode.FailedDependency, "refresh_token_invalid");
        Assert.Contains("invalid_grant", (string?)error["message"], StringComparison.Ordinal);
        await exhausted.AssertErrorAsync(HttpStatusCode.FailedDependency, "connection_refresh_exhausted");
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("refresh_token"));
        Assert.Equal(0, world.OAuth.Counters.RefreshTokensUsed);
        Assert.True(await RefreshExhaustedAsync(connectionId));

        // Authorising again brings fresh credentials and clears the exhaustion.
        await AuthConnections.ConnectAsync(world, world.Web, Key, connectionId);
        Assert.False(await RefreshExhaustedAsync(connectionId));
        Assert.Empty((await _api.ListItemAsync(Key, connectionId))["errors"]!.AsArray());
    }

    [Fact]
    public async Task The_refresh_sweep_refreshes_connections_about_to_expire_and_leaves_the_others()
    {
        await AuthConnections.ConnectAsync(world, world.Web, Key, "sweep-long-lived");
        world.OAuth.AccessTokenLifetime = TimeSpan.FromMinutes(5);
        await AuthConnections.ConnectAsync(world, world.Web, Key, "sweep-expiring");
        var expiring = await AuthConnections.StoredCredentialsAsync(world, Key, "sweep-expiring");
        var longLived = await AuthConnections.StoredCredentialsAsync(world, Key, "sweep-long-lived");
        world.OAuth.Counters.Reset();

        var refreshed = await world.Web.Services.GetRequiredService<CredentialRefresher>().RefreshDueAsync(100, Ct);

        Assert.True(refreshed >= 1, $"The sweep refreshed {refreshed} connections.");
        // Other expiring connections of the world are swept too: each refresh is one grant at the provider.
        Assert.Equal(refreshed, world.OAuth.Counters.RefreshTokensUsed + world.OAuth.Counters.TokensIssued("client_credentials"));
        var after = await AuthConnections.StoredCredentialsAsync(world, Key, "sweep-expiring");
        Assert.NotEqual((string?)expiring["access_token"], (string?)after["access_token"]);
        await AssertProviderAcceptsAsync((string)after["access_token"]!);
        Assert.Equal((string?)longLived["access_token"], (string?)(await AuthConnections.StoredCredentialsAsync(world, Key, "sweep-long-lived"))["access_token"]);
        await AuthCalls.WaitForOperationAsync(world.Web, world.Environment, "auth:refresh_token", Key, "sweep-expiring", OperationStates.Success);
    }

    private async Task SetClientSecretAsync(string key, string secret)
    {
        var response = await _api.PatchAsJsonAsync($"/integrations/{key}", new
        {
            credentials = new { type = "OAUTH2", client_id = world.Client.ClientId, client_secret = secret, scopes = "read,write" },
        }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task<bool> RefreshExhaustedAsync(string connectionId) => (await RefreshStateAsync(connectionId)).Exhausted;

    private async Task<(int Attempts, bool Exhausted)> RefreshStateAsync(string connectionId)
    {
        await using var connection = new NpgsqlConnection(world.Web.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT refresh_attempts, refresh_exhausted FROM connections WHERE connection_id = @id AND deleted_at IS NULL", connection);
        command.Parameters.AddWithValue("id", connectionId);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        return (reader.GetInt32(0), reader.GetBoolean(1));
    }

    private async Task ExecuteAsync(string sql, string connectionId)
    {
        await using var connection = new NpgsqlConnection(world.Web.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", connectionId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
    }
}
