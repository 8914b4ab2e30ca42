using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Nango.Tests.Api.Support;

/// <summary>Raw requests and Nango-envelope assertions shared by the API tests.</summary>
public static class ApiCalls
{
    /// <summary>Sends <paramref name="body"/> exactly as given (malformed JSON included) with the content type given.</summary>
    public static async Task<HttpResponseMessage> SendAsync(
        this HttpClient client, HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string path, object body) =>
        client.SendAsync(method, path, System.Text.Json.JsonSerializer.Serialize(body));

    public static async Task<JsonNode> ReadJsonAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))
            ?? throw new InvalidOperationException("The response body is JSON null.");

    /// <summary>Asserts Nango's error envelope with this status and code and returns its <c>error</c> object.</summary>
    public static async Task<JsonObject> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(["error"], body.Select(p => p.Key));
        var error = body["error"]!.AsObject();
        Assert.Equal(code, (string?)error["code"]);
        return error;
    }

    /// <summary>The <c>path</c> of every validation issue in an error, each joined with dots.</summary>
    public static IReadOnlyList<string> IssuePaths(this JsonObject error) =>
        error["errors"]!.AsArray().Select(issue => string.Join('.', issue!["path"]!.AsArray().Select(p => p!.ToString()))).ToList();

    public static async Task CreateIntegrationAsync(this HttpClient client, string uniqueKey, string provider = "github")
    {
        var response = await client.PostAsJsonAsync("/integrations", new
        {
            provider,
            unique_key = uniqueKey,
            credentials = new { type = "OAUTH2", client_id = "client-" + uniqueKey, client_secret = "secret-" + uniqueKey, scopes = "repo" },
        }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    public static async Task<JsonNode> ImportConnectionAsync(
        this HttpClient client, string providerConfigKey, string connectionId, object? endUser = null, object? tags = null, object? metadata = null, string path = "/connections")
    {
        var response = await client.PostAsJsonAsync(path, new
        {
            provider_config_key = providerConfigKey,
            connection_id = connectionId,
            credentials = new { type = "OAUTH2", access_token = "access-" + connectionId, refresh_token = "refresh-" + connectionId },
            end_user = endUser,
            tags,
            metadata,
        }, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return await response.ReadJsonAsync();
    }
}
