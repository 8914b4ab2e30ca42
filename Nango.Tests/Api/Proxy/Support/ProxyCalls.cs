using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Proxy.Support;

/// <summary>Calls to <c>/proxy</c> as an application's backend makes them, and reading back what the proxy logged.</summary>
public static class ProxyCalls
{
    /// <summary>The first retry waits this long (then 100 ms, 200 ms, …): <c>Nango:Proxy:RetryBaseDelay</c> in the test worlds.</summary>
    public static readonly TimeSpan RetryBaseDelay = TimeSpan.FromMilliseconds(50);

    public const string RetryBaseDelaySetting = "00:00:00.050";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// <c>METHOD /proxy{endpoint}</c> for one connection, with extra request headers (<c>Retries</c>,
    /// <c>Nango-Proxy-*</c>, …) and an optional body. Headers are sent as given, unvalidated.
    /// </summary>
    public static async Task<HttpResponseMessage> ProxyAsync(
        this HttpClient api,
        HttpMethod method,
        string endpoint,
        string providerConfigKey,
        string connectionId,
        IEnumerable<(string Name, string Value)>? headers = null,
        HttpContent? content = null,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        ArgumentNullException.ThrowIfNull(api);
        using var request = new HttpRequestMessage(method, "/proxy" + endpoint) { Content = content };
        request.Headers.TryAddWithoutValidation("Connection-Id", connectionId);
        request.Headers.TryAddWithoutValidation("Provider-Config-Key", providerConfigKey);
        foreach (var (name, value) in headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        return await api.SendAsync(request, completion, Ct);
    }

    public static Task<HttpResponseMessage> ProxyGetAsync(this HttpClient api, string endpoint, string providerConfigKey, string connectionId = ProxyWorld.ConnectionId, params (string Name, string Value)[] headers) =>
        api.ProxyAsync(HttpMethod.Get, endpoint, providerConfigKey, connectionId, headers);

    /// <summary>A JSON body, as <c>application/json</c>.</summary>
    public static HttpContent Json(object body) => new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public static async Task<string> TextAsync(this HttpResponseMessage response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    public static async Task<JsonObject> JsonBodyAsync(this HttpResponseMessage response)
    {
        var text = await response.TextAsync();
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"Not a JSON object: {text}");
    }

    /// <summary>Asserts the status and returns the body, with the body in the failure message.</summary>
    public static async Task<string> AssertStatusAsync(this HttpResponseMessage response, System.Net.HttpStatusCode status)
    {
        var text = await response.TextAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text;
    }

    /// <summary>
    /// A response header as it came over the wire (not re-formatted by .NET's typed parsing), values joined with ", ",
    /// content headers included, or null when absent.
    /// </summary>
    public static string? Header(this HttpResponseMessage response, string name)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Headers.NonValidated.TryGetValues(name, out var values) || response.Content.Headers.NonValidated.TryGetValues(name, out values))
        {
            return string.Join(", ", values);
        }
        return null;
    }

    /// <summary>A path of its own for one test, so recordings of other tests never mix in.</summary>
    public static string UniquePath(string name) => $"/{name}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Waits until the logs of <paramref name="environment"/> hold an operation whose messages satisfy
    /// <paramref name="match"/>; returns it with its messages, oldest first. Log writes are buffered for ~200 ms.
    /// </summary>
    public static async Task<(LogOperationRow Operation, IReadOnlyList<LogMessageRow> Messages)> WaitForOperationAsync(
        NangoWebFactory web, EnvironmentContext environment, string kind, string integration, Func<LogOperationRow, IReadOnlyList<LogMessageRow>, bool> match)
    {
        ArgumentNullException.ThrowIfNull(web);
        ArgumentNullException.ThrowIfNull(match);
        var query = web.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var page = await query.SearchOperationsAsync(environment, new LogOperationSearch { Types = [kind], Integrations = [integration], Limit = 100 }, Ct);
            foreach (var operation in page.Items)
            {
                var messages = await MessagesAsync(web, environment, operation.Id);
                if (match(operation, messages))
                {
                    return (operation, messages);
                }
            }
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"No {kind} operation on {integration} with the expected messages was logged within 10 s.");
    }

    /// <summary>The messages of an operation, oldest first.</summary>
    public static async Task<IReadOnlyList<LogMessageRow>> MessagesAsync(NangoWebFactory web, EnvironmentContext environment, Guid operationId)
    {
        ArgumentNullException.ThrowIfNull(web);
        var page = await web.Services.GetRequiredService<LogQueryService>().SearchMessagesAsync(environment, new LogMessageSearch { OperationId = operationId }, Ct);
        return page.Items.OrderBy(m => m.CreatedAt).ToList();
    }

    /// <summary>The HTTP messages among <paramref name="messages"/> whose request went to a URL containing <paramref name="path"/>.</summary>
    public static IReadOnlyList<LogMessageRow> HttpMessagesTo(this IReadOnlyList<LogMessageRow> messages, string path) =>
        messages.Where(m => m.Type == MessageTypes.Http && m.Request?.Url.Contains(path, StringComparison.Ordinal) == true).ToList();
}
