using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Functions.Tasks;
using Nango.Core.Persistence;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Functions;

/// <summary>The task queue: claims, concurrency limits, guarded endings, retries, expiry, and waiting for a result across instances.</summary>
[Trait("Category", "Integration")]
public sealed class TaskStoreTests : IAsyncLifetime
{
    // No dispatcher: these tests drive the queue by hand, and a dispatcher would claim their tasks first.
    private readonly QueueOnlyFactory _web = new();
    private readonly QueueOnlyFactory _other = new();
    private EnvironmentContext _env = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TaskStore Store => _web.Services.GetRequiredService<TaskStore>();

    public async ValueTask InitializeAsync()
    {
        await _web.InitializeAsync();
        _other.SharingDatabaseWith(_web);
        await _other.InitializeAsync();
        _env = await _web.GetEnvironmentAsync(_web.SecretKey);
    }

    public async ValueTask DisposeAsync()
    {
        await _other.DisposeAsync();
        await _web.DisposeAsync();
    }

    private NewTask Action(string name, int groupMax = 0, int retryMax = 0, TaskTimeouts? timeouts = null) =>
        new(_env.AccountId, _env.EnvironmentId, 1, 1, TaskKinds.Action, name, new JsonObject { ["input"] = name }, timeouts ?? TaskTimeouts.SyncAction, groupMax, retryMax);

    [Fact]
    public async Task Claims_take_the_oldest_tasks_first_and_never_exceed_the_group_limit()
    {
        var created = new List<FunctionTask>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await Store.CreateAsync(Action($"a{i}", groupMax: 2), Ct));
        }

        var first = await Store.ClaimAsync(10, "one", Ct);
        var second = await Store.ClaimAsync(10, "two", Ct);

        Assert.Equal(["a0", "a1"], first.Select(t => t.FunctionName));
        Assert.Empty(second);
        Assert.True(await Store.SucceedAsync(first[0].Id, new JsonObject { ["ok"] = true }, Ct));
        Assert.Equal(["a2"], (await Store.ClaimAsync(10, "two", Ct)).Select(t => t.FunctionName));
    }

    [Fact]
    public async Task Two_instances_claiming_at_once_never_take_the_same_task()
    {
        for (var i = 0; i < 60; i++)
        {
            await Store.CreateAsync(Action($"t{i}"), Ct);
        }
        var otherStore = _other.Services.GetRequiredService<TaskStore>();

        var claims = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? Store : otherStore).ClaimAsync(7, $"c{i}", Ct)));

        var ids = claims.SelectMany(c => c).Select(t => t.Id).ToList();
        Assert.Equal(60, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task A_task_ends_once_and_a_late_result_changes_nothing()
    {
        var task = await Store.CreateAsync(Action("once"), Ct);
        await Store.ClaimAsync(1, "me", Ct);

        Assert.True(await Store.SucceedAsync(task.Id, new JsonObject { ["n"] = 1 }, Ct));
        Assert.False(await Store.FailAsync(task.Id, new JsonObject { ["type"] = "late" }, Ct));
        Assert.False(await Store.HeartbeatAsync(task.Id, Ct));

        var stored = await Store.GetAsync(task.Id, Ct);
        Assert.Equal(TaskStates.Succeeded, stored!.State);
        Assert.Equal(1, JsonNode.Parse(stored.Output!)!["n"]!.GetValue<int>());
        Assert.Null(stored.Error);
    }

    [Fact]
    public async Task A_failed_task_with_retries_left_is_queued_again_under_the_same_retry_key()
    {
        var task = await Store.CreateAsync(Action("flaky", retryMax: 1), Ct);
        await Store.ClaimAsync(1, "me", Ct);

        Assert.True(await Store.FailAsync(task.Id, new JsonObject { ["type"] = "boom" }, Ct));
        var retry = Assert.Single(await Store.ClaimAsync(5, "me", Ct));
        Assert.True(await Store.FailAsync(retry.Id, new JsonObject { ["type"] = "boom again" }, Ct));

        Assert.NotEqual(task.Id, retry.Id);
        Assert.Equal(task.RetryKey, retry.RetryKey);
        Assert.Empty(await Store.ClaimAsync(5, "me", Ct));
        var latest = await Store.GetLatestByRetryKeyAsync(_env.EnvironmentId, task.RetryKey, Ct);
        Assert.Equal(retry.Id, latest!.Id);
        Assert.Equal(TaskStates.Failed, latest.State);
        Assert.Null(await Store.GetLatestByRetryKeyAsync(_env.EnvironmentId + 1000, task.RetryKey, Ct));
    }

    [Fact]
    public async Task A_task_nobody_starts_expires_and_wakes_the_caller_waiting_on_another_instance()
    {
        var task = await Store.CreateAsync(Action("never-started", timeouts: new TaskTimeouts(1, 60, 60)), Ct);
        var completions = _other.Services.GetRequiredService<TaskCompletions>();

        var ended = await completions.WaitAsync(task.Id, TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(TaskStates.Expired, ended!.State);
        Assert.Equal("createdToStartedTimeoutSecs_exceeded", JsonNode.Parse(ended.Error!)!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Heartbeats_keep_a_running_task_alive_and_their_absence_expires_it()
    {
        var beating = await Store.CreateAsync(Action("beating", timeouts: new TaskTimeouts(60, 60, 2)), Ct);
        var silent = await Store.CreateAsync(Action("silent", timeouts: new TaskTimeouts(60, 60, 2)), Ct);
        await Store.ClaimAsync(2, "me", Ct);
        var completions = _web.Services.GetRequiredService<TaskCompletions>();

        var waitForSilent = completions.WaitAsync(silent.Id, TimeSpan.FromSeconds(30), Ct);
        while (!waitForSilent.IsCompleted)
        {
            Assert.True(await Store.HeartbeatAsync(beating.Id, Ct));
            await Task.Delay(500, Ct);
        }

        Assert.Equal("heartbeatTimeoutSecs_exceeded", JsonNode.Parse((await waitForSilent)!.Error!)!["reason"]!.GetValue<string>());
        Assert.Equal(TaskStates.Started, (await Store.GetAsync(beating.Id, Ct))!.State);
    }

    [Fact]
    public async Task A_result_stored_by_one_instance_wakes_a_waiter_on_the_other_at_once()
    {
        var task = await Store.CreateAsync(Action("cross"), Ct);
        await Store.ClaimAsync(1, "me", Ct);
        var waiting = _other.Services.GetRequiredService<TaskCompletions>().WaitAsync(task.Id, TimeSpan.FromSeconds(60), Ct);
        await Task.Delay(300, Ct);

        await Store.SucceedAsync(task.Id, JsonValue.Create(42), Ct);
        var ended = await waiting.WaitAsync(TimeSpan.FromSeconds(4), Ct);

        Assert.Equal(TaskStates.Succeeded, ended!.State);
        Assert.Equal("42", ended.Output);
        await using var db = await _web.Services.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal(1, await db.FunctionTasks.CountAsync(t => t.Id == task.Id, Ct));
    }

    private sealed class QueueOnlyFactory : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Functions:DispatchEnabled", (string?)"false")];
    }
}
