using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nango.Core.Functions.Runners;
using Nango.Runner.Protocol;

namespace Nango.Tests.Runner;

/// <summary>One callback as the stand-in received it.</summary>
public sealed record InternalCall(string TaskId, string Method, string Operation, JsonNode? Body, RunnerIdentity Caller)
{
    /// <summary>The body's bytes as the runner sent them.</summary>
    public byte[]? RawBody { get; init; }
}

/// <summary>
/// Stands in for Nango.Web's internal runner API (the lead wires the real one): a Kestrel app on loopback that
/// authenticates runners through the pool, records every callback, answers them from small in-memory state and
/// completes a waiter per task when its result arrives.
/// </summary>
public sealed class InternalApiStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RunnerTaskResult>> _results = new();

    private InternalApiStandIn(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    /// <summary>Answers token checks; set once the pool exists.</summary>
    public Func<string?, RunnerIdentity?> Authenticate { get; set; } = _ => null;

    /// <summary>200 echoing the request.</summary>
    public static RunnerProxyResponse Echo(RunnerProxyRequest request) => new()
    {
        Status = 200,
        Headers = new() { ["content-type"] = "application/json" },
        Data = JsonSerializer.SerializeToElement(new { echo = request }, RunnerJson.Options),
    };

    /// <summary>Answers proxy calls; <see cref="Echo"/> by default.</summary>
    public Func<RunnerProxyRequest, RunnerProxyResponse> Proxy { get; set; } = Echo;

    public ConcurrentQueue<InternalCall> Calls { get; } = new();

    public JsonObject Metadata { get; set; } = new() { ["team"] = "blue" };

    public JsonNode? Checkpoint { get; set; }

    public ConcurrentQueue<string> Heartbeats { get; } = new();

    /// <summary>Records the stand-in holds per model, by id, as the sync's record calls left them.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, JsonObject>> Records { get; } = new();

    /// <summary>
    /// Runs before a records call of the task is stored; an error it answers refuses the chunk (status 400). The default
    /// stores every chunk at once.
    /// </summary>
    public Func<string, JsonNode, Task<RunnerError?>> RecordsGate { get; set; } = (_, _) => Task.FromResult<RunnerError?>(null);

    /// <summary>Per task, in order: "{operation} {method}" as each call arrived, and "records stored" as each chunk was stored.</summary>
    public ConcurrentQueue<(string TaskId, string Event)> Events { get; } = new();

    /// <summary>What trackDeletesEnd answers.</summary>
    public IReadOnlyList<string> DeletedKeys { get; set; } = [];

    public IEnumerable<InternalCall> CallsOf(string taskId) => Calls.Where(c => c.TaskId == taskId);

    public Task<RunnerTaskResult> ResultAsync(string taskId) => Waiter(taskId).Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

    public static async Task<InternalApiStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        InternalApiStandIn? standIn = null;
        app.Run(async context => await standIn!.HandleAsync(context));
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        standIn = new InternalApiStandIn(app, new Uri(address));
        return standIn;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private TaskCompletionSource<RunnerTaskResult> Waiter(string taskId)
        => _results.GetOrAdd(taskId, _ => new TaskCompletionSource<RunnerTaskResult>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task HandleAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var caller = header.StartsWith("Bearer ", StringComparison.Ordinal) ? Authenticate(header["Bearer ".Length..]) : null;
        if (caller is null)
        {
            context.Response.StatusCode = 401;
            return;
        }
        var segments = context.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries);
        // internal / runner / tasks / {id} [/ operation]
        if (segments.Length < 4 || segments[0] != "internal" || segments[1] != "runner" || segments[2] != "tasks")
        {
            context.Response.StatusCode = 404;
            return;
        }
        var taskId = Uri.UnescapeDataString(segments[3]);
        var operation = segments.Length > 5 ? segments[4] + "/" + segments[5] : segments.Length > 4 ? segments[4] : "result";
        var method = context.Request.Method;
        JsonNode? body = null;
        byte[]? rawBody = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var copy = new MemoryStream();
            await context.Request.Body.CopyToAsync(copy, context.RequestAborted);
            rawBody = copy.ToArray();
            // Deeper than System.Text.Json's default of 64: some tests send records that deep.
            body = JsonNode.Parse(rawBody, documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
        }
        if (operation == "heartbeat")
        {
            Heartbeats.Enqueue(taskId);
            context.Response.StatusCode = 204;
            return;
        }
        Calls.Enqueue(new InternalCall(taskId, method, operation, body, caller) { RawBody = rawBody });
        Events.Enqueue((taskId, $"{operation} {method}"));

        switch (operation, method)
        {
            case ("result", "PUT"):
                Waiter(taskId).TrySetResult(body.Deserialize<RunnerTaskResult>(RunnerJson.Options)!);
                context.Response.StatusCode = 204;
                return;
            case ("proxy", "POST"):
                await context.Response.WriteAsJsonAsync(Proxy(body.Deserialize<RunnerProxyRequest>(RunnerJson.Options)!), RunnerJson.Options);
                return;
            case ("connection", "POST"):
                var connectionId = body?["connectionId"]?.GetValue<string>();
                if (connectionId == "missing")
                {
                    context.Response.StatusCode = 404;
                    await context.Response.WriteAsJsonAsync(new RunnerError { Type = "unknown_connection", Message = "No connection 'missing'", Status = 404 }, RunnerJson.Options);
                    return;
                }
                await context.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["connection_id"] = connectionId,
                    ["provider_config_key"] = body?["providerConfigKey"]?.GetValue<string>(),
                    ["metadata"] = Metadata.DeepClone(),
                    ["credentials"] = new JsonObject { ["type"] = "OAUTH2", ["access_token"] = "token-of-" + connectionId },
                });
                return;
            case ("metadata", "PUT"):
                Metadata = (JsonObject)body!["metadata"]!.DeepClone();
                await context.Response.WriteAsJsonAsync(new JsonObject { ["metadata"] = Metadata.DeepClone() });
                return;
            case ("metadata", "PATCH"):
                foreach (var (key, value) in (JsonObject)body!["metadata"]!)
                {
                    Metadata[key] = value?.DeepClone();
                }
                await context.Response.WriteAsJsonAsync(new JsonObject { ["metadata"] = Metadata.DeepClone() });
                return;
            case ("environment-variables", "GET"):
                await context.Response.WriteAsJsonAsync(new[] { new RunnerEnvironmentVariable("REGION", "eu") }, RunnerJson.Options);
                return;
            case ("actions", "POST"):
                await context.Response.WriteAsJsonAsync(new RunnerTriggerActionResponse(JsonSerializer.SerializeToElement(new { triggered = body?["actionName"]?.GetValue<string>(), input = body?["input"] })), RunnerJson.Options);
                return;
            case ("checkpoint", "GET"):
                await context.Response.WriteAsJsonAsync(new JsonObject { ["checkpoint"] = Checkpoint?.DeepClone() });
                return;
            case ("checkpoint", "PUT"):
                Checkpoint = body?["checkpoint"]?.DeepClone();
                context.Response.StatusCode = 204;
                return;
            case ("checkpoint", "DELETE"):
                Checkpoint = null;
                context.Response.StatusCode = 204;
                return;
            case ("records", "POST"):
                if (await RecordsGate(taskId, body!) is { } refusal)
                {
                    context.Response.StatusCode = 400;
                    await context.Response.WriteAsJsonAsync(refusal, RunnerJson.Options);
                    return;
                }
                var stored = Records.GetOrAdd(body!["model"]!.GetValue<string>(), _ => new());
                var action = body["action"]!.GetValue<string>();
                if (action == RunnerRecordActions.SaveKeys)
                {
                    // Like the store: a key whose hash is the stored record's is unchanged, every other is to be sent.
                    var keys = body["records"]!.AsArray();
                    var send = Enumerable.Range(0, keys.Count)
                        .Where(i => !stored.TryGetValue(keys[i]!["id"]!.GetValue<string>(), out var kept) || HashOf(kept) != keys[i]!["hash"]!.GetValue<string>())
                        .ToList();
                    Events.Enqueue((taskId, "records stored"));
                    await context.Response.WriteAsJsonAsync(new RunnerRecordsResult(0, 0, keys.Count - send.Count, 0, send), RunnerJson.Options);
                    return;
                }
                int written = 0, unchanged = 0;
                foreach (var record in body["records"]!.AsArray())
                {
                    var id = record!["id"]!.ToString();
                    if (action == RunnerRecordActions.Delete)
                    {
                        stored.TryRemove(id, out _);
                    }
                    else if (stored.TryGetValue(id, out var kept) && HashOf(kept) == HashOf(record))
                    {
                        unchanged++;
                        continue;
                    }
                    else
                    {
                        stored[id] = (JsonObject)record.DeepClone();
                    }
                    written++;
                }
                Events.Enqueue((taskId, "records stored"));
                await context.Response.WriteAsJsonAsync(new RunnerRecordsResult(written, 0, unchanged, 0), RunnerJson.Options);
                return;
            case ("records/by-ids", "POST"):
                var ofModel = Records.GetOrAdd(body!["model"]!.GetValue<string>(), _ => new());
                var found = body["ids"]!.AsArray().Select(i => i!.GetValue<string>()).Where(ofModel.ContainsKey).Select(i => JsonSerializer.SerializeToElement(ofModel[i])).ToList();
                await context.Response.WriteAsJsonAsync(new RunnerRecordsPage(found, null), RunnerJson.Options);
                return;
            case ("records/list", "POST"):
                // Pages of 2, the cursor being the next position.
                var all = Records.GetOrAdd(body!["model"]!.GetValue<string>(), _ => new()).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Value).ToList();
                var from = int.TryParse(body["cursor"]?.GetValue<string>(), out var position) ? position : 0;
                var page = all.Skip(from).Take(2).Select(r => JsonSerializer.SerializeToElement(r)).ToList();
                await context.Response.WriteAsJsonAsync(new RunnerRecordsPage(page, from + 2 < all.Count ? (from + 2).ToString(System.Globalization.CultureInfo.InvariantCulture) : null), RunnerJson.Options);
                return;
            case ("records/track-deletes", "POST"):
                await context.Response.WriteAsJsonAsync(new RunnerTrackDeletesResult(body!["phase"]!.GetValue<string>() == "end" ? DeletedKeys : []), RunnerJson.Options);
                return;
            case ("logs", "POST"):
                context.Response.StatusCode = 204;
                return;
            default:
                context.Response.StatusCode = 404;
                return;
        }
    }

    /// <summary>The hash the runner sends for a record (the store's XxHash128), of its compact JSON text (the same bytes for the plain records tests save).</summary>
    private static string HashOf(JsonNode record) => Convert.ToBase64String(System.IO.Hashing.XxHash128.Hash(System.Text.Encoding.UTF8.GetBytes(record.ToJsonString())));
}
