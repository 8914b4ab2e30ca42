using System.Net;
using System.Net.Http.Headers;
using Nango.Tests.Api.Auth.Support;
using Nango.Tests.Api.Support;
using Npgsql;

namespace Nango.Tests.Api.Auth;

/// <summary>
/// Two Nango.Web instances on one database: the popup's socket hears a result that another instance produced,
/// and a burst of forced refreshes through the official client, spread over both, spends the rotating refresh
/// token exactly once.
/// </summary>
[Collection(AuthWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class MultiInstanceAuthTests(AuthWorld world) : IAsyncLifetime
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
    public async Task A_socket_on_one_instance_hears_the_result_of_a_callback_that_lands_on_the_other()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "two-instances-user" }, allowed_integrations = new[] { Key } });
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);

        // The popup talks to instance B (its callback URL is B's); the page that opened the socket talks to A.
        var authorize = await _popup.OpenAsync(AuthPopup.ConnectUrl(world.Second.ServerUrl, Key, "connect_session_token=" + token, socket.ClientId));
        Assert.Equal(AuthWorld.CallbackUrl(world.Second).ToString(), AuthPopup.Query(authorize)["redirect_uri"]);
        var callback = await _popup.SignInAsync(authorize);
        Assert.Equal(world.Second.ServerUrl.Port, callback.Port);
        var page = await _popup.CallbackAsync(callback);

        Assert.True(page.Succeeded, page.ErrorMessage);
        var message = await socket.ReceiveAsync();
        Assert.Equal("success", (string?)message["message_type"]);
        Assert.Equal(Key, (string?)message["provider_config_key"]);
        var connectionId = Assert.Single(await _api.ConnectionIdsOfAsync("two-instances-user"));
        Assert.Equal(connectionId, (string?)message["connection_id"]);
    }

    [Fact]
    public async Task A_provider_error_on_the_other_instance_reaches_the_socket_too()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "two-instances-denied" }, allowed_integrations = new[] { Key } });
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);

        var (page, _) = await _popup.RunAsync(AuthPopup.ConnectUrl(world.Second.ServerUrl, Key, "connect_session_token=" + token, socket.ClientId), decision: "deny");

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        var message = await socket.ReceiveAsync();
        Assert.Equal(("error", page.ErrorType), ((string?)message["message_type"], (string?)message["error_type"]));
    }

    [Fact]
    public async Task A_socket_still_gets_the_result_when_its_instance_was_not_listening_as_the_callback_landed()
    {
        var token = await _api.CreateConnectSessionTokenAsync(new { end_user = new { id = "listener-dropped-user" }, allowed_integrations = new[] { Key } });
        await using var socket = await AuthSocket.ConnectAsync(world.Web.ServerUrl);
        var callback = await _popup.SignInAsync(await _popup.OpenAsync(AuthPopup.ConnectUrl(world.Web.ServerUrl, Key, "connect_session_token=" + token, socket.ClientId)));

        // Both instances' LISTEN connections drop, as in a database restart, just before the callback lands.
        Assert.True(await TerminateResultListenersAsync() >= 2);
        var page = await _popup.CallbackAsync(callback);

        Assert.True(page.Succeeded, page.ErrorMessage);
        var message = await socket.ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("success", (string?)message["message_type"]);
        Assert.Equal(Assert.Single(await _api.ConnectionIdsOfAsync("listener-dropped-user")), (string?)message["connection_id"]);
    }

    private async Task<int> TerminateResultListenersAsync()
    {
        await using var connection = new NpgsqlConnection(world.Web.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN \"nango_oauth\"'", connection);
        return (int)(long)(await command.ExecuteScalarAsync(Ct))!;
    }

    [Fact]
    public async Task A_hundred_concurrent_forced_refreshes_through_the_node_client_on_two_instances_spend_the_refresh_token_once()
    {
        const string connectionId = "refresh-race";
        await AuthConnections.ConnectAsync(world, world.Web, Key, connectionId);
        var original = await AuthConnections.StoredCredentialsAsync(world, Key, connectionId);
        world.OAuth.Counters.Reset();
        string[] hosts = [world.Web.ServerUrl.ToString().TrimEnd('/'), world.Second.ServerUrl.ToString().TrimEnd('/')];

        var results = (await AuthCalls.NodeAsync(world.Web, "refreshRace", new { key = Key, connectionId, hosts, calls = 100 })).AsArray();

        Assert.Equal(100, results.Count);
        var answeredAfter = results.Select(r => (int)r!["ms"]!).Order().ToList();
        TestContext.Current.TestOutputHelper?.WriteLine($"100 forced getConnection calls answered after {answeredAfter[0]}–{answeredAfter[^1]} ms (median {answeredAfter[50]} ms).");
        Assert.Equal(50, results.Count(r => (string?)r!["host"] == hosts[0]));
        Assert.Equal(50, results.Count(r => (string?)r!["host"] == hosts[1]));
        var failures = results.Where(r => r!["error"] is not null).Select(r => r!.ToJsonString()).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} calls failed:\n" + string.Join('\n', failures.Take(5)));
        var tokens = results.GroupBy(r => (string?)r!["access_token"]).ToList();
        Assert.True(tokens.Count == 1, $"{tokens.Count} different tokens; {world.OAuth.Counters.TokenRequests("refresh_token")} refresh requests; answered after (ms) per token: "
            + string.Join(" | ", tokens.Select(g => string.Join(",", g.Select(r => (int)r!["ms"]!).Order()))));
        var token = tokens[0].Key;
        Assert.NotEqual((string?)original["access_token"], token);
        Assert.Equal(1, world.OAuth.Counters.TokenRequests("refresh_token"));
        Assert.Equal(1, world.OAuth.Counters.RefreshTokensUsed);

        // Nango kept the rotated refresh token, and it is live: no second refresh spent the chain.
        var stored = await AuthConnections.StoredCredentialsAsync(world, Key, connectionId);
        Assert.Equal(token, (string?)stored["access_token"]);
        Assert.NotEqual((string?)original["refresh_token"], (string?)stored["refresh_token"]);
        using var provider = new HttpClient();
        provider.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await provider.GetAsync(world.OAuth.ApiBaseUrl + "/me", Ct)).StatusCode);
        provider.DefaultRequestHeaders.Authorization = null;
        var redeemed = await provider.PostAsync(world.OAuth.TokenUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = (string)stored["refresh_token"]!,
            ["client_id"] = world.Client.ClientId,
            ["client_secret"] = world.Client.ClientSecret,
        }), Ct);
        Assert.True(redeemed.StatusCode == HttpStatusCode.OK, await redeemed.Content.ReadAsStringAsync(Ct));
        Assert.Equal(0, results.Count(r => r!.ToJsonString().Contains("invalid_grant", StringComparison.Ordinal)));
    }
}
