using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Nango.Core.Functions.Runners;
using Nango.Runner.Protocol;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// A sync's records reach Nango one chunk at a time through the runner callback <c>POST /internal/runner/tasks/{id}/records</c>.
/// A chunk Nango cannot take (not JSON, missing its action, model or records, records not an array, an unknown action,
/// a record without an id) is refused with a 400 whose RunnerError type says why, and stores nothing of the chunk, so
/// the sync's records never hold half a chunk; a caller without the runner token is refused outright; and a good chunk
/// sent after all of them is stored whole. Nango.Web runs in remote-runner mode against a stand-in runner hosted here,
/// which accepts the sync task and lets the test call back in the runner's place with the task's real id and URL.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RunnerCallbackRecordsTests : IAsyncLifetime
{
    private const string SharedToken = "callback-records-runner-token-for-tests";
    private const string StandInId = "stand-in";

    private readonly Channel<RunnerTaskRequest> _received = Channel.CreateUnbounded<RunnerTaskRequest>();
    private WebApplication _runner = null!;
    private RemoteFactory _web = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _runner = builder.Build();
        // Like Nango.Runner's TaskEndpoints: every call carries the shared token, else 401.
        _runner.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != "Bearer " + SharedToken)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });
        _runner.MapGet(RunnerRoutes.Health, () => Results.Json(new RunnerHealth
        {
            Status = "ok",
            RunnerId = StandInId,
            RunningTasks = [],
            MaxConcurrentTasks = 64,
            WorkingSetBytes = 0,
            ManagedHeapBytes = 0,
            UptimeMs = 0,
        }, RunnerJson.Options));
        // Accepts every task and runs nothing: the test sends the callbacks a runner would.
        _runner.MapPost(RunnerRoutes.Tasks, async (HttpContext http) =>
        {
            var request = await http.Request.ReadFromJsonAsync<RunnerTaskRequest>(RunnerJson.Options, http.RequestAborted);
            _received.Writer.TryWrite(request!);
            return Results.Json(new RunnerTaskAccepted(request!.TaskId, StandInId), RunnerJson.Options, statusCode: StatusCodes.Status202Accepted);
        });
        await _runner.StartAsync(Ct);
        _web = new RemoteFactory(_runner.Urls.First());
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _runner.DisposeAsync();
    }

    [Fact]
    public async Task Bad_records_chunks_are_refused_with_their_reason_and_store_nothing_and_a_good_chunk_after_them_is_stored()
    {
        var task = await StartedSyncTaskAsync();
        var records = new Uri(task.CallbackUrl.TrimEnd('/') + RunnerRoutes.ForTask(RunnerRoutes.CallbackRecords, task.TaskId));
        const string goodChunk = """{"action":"save","model":"Item","records":[{"id":"r1","n":1},{"id":"r2","n":2}]}""";

        // The right chunk from a caller without the runner token: refused before anything is read or written.
        using (var intruder = await PostAsync(records, goodChunk, "not-the-runner-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, intruder.StatusCode);
        }
        Assert.Equal(0, await RecordRowsAsync());

        (byte[] Body, string Type)[] refused =
        [
            // Cut off mid-chunk (a runner that died while sending): not JSON.
            (Utf8("""{"action":"save","model":"Item","records":[{"id":"r1"},"""), "invalid_body"),
            (Utf8("""{"model":"Item","records":[{"id":"r1"}]}"""), "invalid_body"),
            (Utf8("""{"action":"save","records":[{"id":"r1"}]}"""), "invalid_body"),
            (Utf8("""{"action":"save","model":"Item"}"""), "invalid_body"),
            (Utf8("""[{"id":"r1"}]"""), "invalid_body"),
            (Utf8("""{"action":"save","model":"Item","records":{"id":"r1"}}"""), "invalid_records"),
            (Utf8("""{"action":"upsert","model":"Item","records":[{"id":"r1"}]}"""), "invalid_records_action"),
            // The first record is fine: the chunk is still refused whole, not stored up to the bad record.
            (Utf8("""{"action":"save","model":"Item","records":[{"id":"r1"},{"name":"no id"}]}"""), "invalid_sync_record"),
            // An escaped lone surrogate is valid JSON but no text: it cannot name a record.
            (Utf8("""{"action":"save","model":"Item","records":[{"id":"\ud800"}]}"""), "invalid_sync_record"),
            // Bytes that are not UTF-8 (the parser checks only the structure): in the model, and inside a record, which is
            // stored as sent and would make GET /records answer text that is not UTF-8.
            (WithByte("""{"action":"save","model":"It""", 0xFF, """em","records":[{"id":"r1"}]}"""), "invalid_body"),
            (WithByte("""{"action":"save","model":"Item","records":[{"id":"r1","title":"caf""", 0xE9, "\"}]}"), "invalid_sync_record"),
        ];
        foreach (var (body, type) in refused)
        {
            using var response = await PostAsync(records, body, SharedToken);
            var text = await response.Content.ReadAsStringAsync(Ct);
            var sent = Encoding.UTF8.GetString(body);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{sent} → {(int)response.StatusCode} {text}");
            var error = JsonNode.Parse(text)!;
            Assert.True((string?)error["type"] == type && (int?)error["status"] == 400, $"{sent} → {text}");
            Assert.Equal(0, await RecordRowsAsync());
        }

        using var stored = await PostAsync(records, goodChunk, SharedToken);
        var result = await stored.Content.ReadAsStringAsync(Ct);
        Assert.True(stored.StatusCode == HttpStatusCode.OK, result);
        // "added": 2 (not "unchanged") also shows no earlier call had stored these ids: the model had no generation before
        // the save (no "generationBefore"), and has one after it.
        var reply = JsonNode.Parse(result)!.AsObject();
        Assert.True(reply.Remove("generation", out var generation) && generation!.GetValue<long>() > 0, result);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"added":2,"updated":0,"unchanged":0,"deleted":0}"""), reply), result);
        Assert.Equal(2, await RecordRowsAsync());

        // A good chunk for a task that is not this runner's, then for the task once it was cancelled (a runner that has
        // not heard yet): its body is read while the task is looked up, and refused all the same, storing nothing.
        const string nextChunk = """{"action":"save","model":"Item","records":[{"id":"r3","n":3}]}""";
        var unknown = new Uri(task.CallbackUrl.TrimEnd('/') + RunnerRoutes.ForTask(RunnerRoutes.CallbackRecords, Guid.NewGuid().ToString()));
        using (var response = await PostAsync(unknown, nextChunk, SharedToken))
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound && (string?)JsonNode.Parse(text)!["type"] == "not_found", text);
        }
        await CancelTaskAsync(Guid.Parse(task.TaskId));
        using (var response = await PostAsync(records, nextChunk, SharedToken))
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Gone && (string?)JsonNode.Parse(text)!["type"] == "task_not_running", text);
        }
        Assert.Equal(2, await RecordRowsAsync());
    }

    private async Task CancelTaskAsync(Guid taskId)
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var cancel = new NpgsqlCommand("UPDATE function_tasks SET state = 'CANCELLED' WHERE id = @id", db);
        cancel.Parameters.AddWithValue("id", taskId);
        Assert.Equal(1, await cancel.ExecuteNonQueryAsync(Ct));
    }

    /// <summary>
    /// Sets up a connection with an auto-started sync and returns the task the stand-in runner received once Nango
    /// has recorded it as running there: the callbacks answer 410 for a task that is not STARTED.
    /// </summary>
    private async Task<RunnerTaskRequest> StartedSyncTaskAsync()
    {
        var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        using (var deploy = await client.DeployAsync(DeployBodies.Body([DeployBodies.Sync("items")])))
        {
            Assert.True(deploy.StatusCode == HttpStatusCode.OK, await deploy.Content.ReadAsStringAsync(Ct));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        RunnerTaskRequest task;
        do
        {
            task = await _received.Reader.ReadAsync(timeout.Token);
        }
        while (task.Kind != RunnerTaskKinds.Sync);
        Assert.Equal("items", task.Function.Name);

        // The dispatcher names the runner only after its 202: from then on the task is Nango's running task on it.
        var taskId = Guid.Parse(task.TaskId);
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        var rows = await ActionHarness.WaitForTasksAsync(_web.ConnectionString, env.EnvironmentId, "items",
            tasks => tasks.Any(t => t.Id == taskId && t.RunnerId is not null), TimeSpan.FromSeconds(30));
        var row = rows.Single(r => r.Id == taskId);
        Assert.Equal("STARTED", row.State);
        Assert.Equal("remote-0", row.RunnerId);
        return task;
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>UTF-8 text with one raw byte between its two parts: 0xFF or a lone 0xE9 is not UTF-8.</summary>
    private static byte[] WithByte(string before, byte raw, string after) => [.. Utf8(before), raw, .. Utf8(after)];

    private static Task<HttpResponseMessage> PostAsync(Uri url, string body, string token) => PostAsync(url, Utf8(body), token);

    private static async Task<HttpResponseMessage> PostAsync(Uri url, byte[] body, string token)
    {
        using var http = new HttpClient();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request, Ct);
    }

    /// <summary>Every row of conn-1 in <c>records</c>, soft-deleted ones included: "nothing written" means none at all.</summary>
    private async Task<long> RecordRowsAsync()
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM records r JOIN connections c ON c.id = r.connection_id WHERE c.connection_id = 'conn-1'", db);
        return (long)(await count.ExecuteScalarAsync(Ct))!;
    }

    private sealed class RemoteFactory(string runnerUrl) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            KeyValuePair.Create("Nango:Runner:Mode", (string?)RunnerOptions.RemoteMode),
            KeyValuePair.Create("Nango:Runner:Urls:0", (string?)runnerUrl),
            KeyValuePair.Create("Nango:Runner:Token", (string?)SharedToken),
        ];
    }
}
