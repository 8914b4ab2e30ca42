using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Nango.Runner.Protocol;

namespace Nango.Runner.Host;

/// <summary>The runner's only way out: HTTP calls to Nango.Web's internal API, with the runner's bearer token.</summary>
internal sealed class HostClient : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private readonly HttpClient _http;

    public HostClient(RunnerSettings settings)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // The internal API is on loopback or a private network; no proxy from the environment applies.
            UseProxy = false,
            AllowAutoRedirect = false,
        })
        {
            // Calls are bounded by the task's own cancellation (abort, wall clock).
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
    }

    public Task<HostReply> SendAsync(HttpMethod method, string callbackUrl, string route, string taskId, string? json, CancellationToken ct)
    {
        HttpContent? content = null;
        if (json is not null)
        {
            content = new Utf8StringContent(json);
            content.Headers.ContentType = JsonContentType;
        }
        return SendContentAsync(method, callbackUrl, route, taskId, content, ct);
    }

    public async Task<HostReply> SendContentAsync(HttpMethod method, string callbackUrl, string route, string taskId, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, callbackUrl.TrimEnd('/') + RunnerRoutes.ForTask(route, taskId)) { Content = content };
        using var response = await _http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var isJson = response.Content.Headers.ContentType?.MediaType is { } mediaType
            && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        return new HostReply(response.StatusCode, body, isJson);
    }

    public Task<HostReply> SendAsync<T>(HttpMethod method, string callbackUrl, string route, string taskId, T body, CancellationToken ct)
        => SendAsync(method, callbackUrl, route, taskId, JsonSerializer.Serialize(body, RunnerJson.Options), ct);

    public void Dispose() => _http.Dispose();
}

internal readonly record struct HostReply(HttpStatusCode Status, string Body, bool IsJson)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}
