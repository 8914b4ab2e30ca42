using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Nango.Core.Secrets;
using Npgsql;

namespace Nango.Tests.Api.Support;

/// <summary>Creating and using connect sessions in API tests.</summary>
public static class ConnectSessionCalls
{
    /// <summary>Creates a session with the client's secret key and returns the whole <c>data</c> object.</summary>
    public static async Task<JsonObject> CreateConnectSessionAsync(this HttpClient client, object body, string path = "/connect/sessions")
    {
        var response = await client.SendJsonAsync(HttpMethod.Post, path, body);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (await response.ReadJsonAsync())["data"]!.AsObject();
    }

    public static async Task<string> CreateConnectSessionTokenAsync(this HttpClient client, object body, string path = "/connect/sessions") =>
        (string)(await client.CreateConnectSessionAsync(body, path))["token"]!;

    /// <summary>A client that authenticates as the Connect UI does, with the session token as bearer.</summary>
    public static HttpClient SessionClient(Uri serverUrl, string token)
    {
        var client = new HttpClient { BaseAddress = serverUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Moves a session's expiry into the past: the app's clock is the real one, so time is moved in the row instead.</summary>
    public static async Task ExpireAsync(string connectionString, string token)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("UPDATE connect_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = @hash", connection);
        command.Parameters.AddWithValue("hash", SecretHasher.Hash(token));
        Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
    }
}
