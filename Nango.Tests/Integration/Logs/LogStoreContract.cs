using System.Text.Json.Nodes;
using Nango.Core.Common;
using Nango.Core.Logs;

namespace Nango.Tests.Integration.Logs;

/// <summary>
/// What every log store must do, whatever it is built on. Each test writes into its own random
/// environment, so tests of one class share a store without seeing each other's rows.
/// </summary>
public abstract class LogStoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Now = Clock.ToMicroseconds(DateTimeOffset.UtcNow);

    protected abstract ILogStore Store { get; }

    public abstract ValueTask InitializeAsync();

    public abstract ValueTask DisposeAsync();

    /// <summary>Skips the test when the store has no server here.</summary>
    protected virtual void RequireStore()
    {
    }

    protected int NewEnvironment()
    {
        RequireStore();
        return Random.Shared.Next(1_000_000, int.MaxValue);
    }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected Task WriteAsync(params object[] rows)
    {
        var batch = new LogBatch();
        foreach (var row in rows)
        {
            switch (row)
            {
                case LogOperationRow o: batch.Operations.Add(o); break;
                case LogMessageRow m: batch.Messages.Add(m); break;
                case LogOperationUpdate u: batch.Updates.Add(u); break;
                default: throw new ArgumentException("not a log row", nameof(rows));
            }
        }
        return Store.WriteAsync(batch, Ct);
    }

    protected static LogOperationRow Op(
        int env, DateTimeOffset at, string state = OperationStates.Success, string type = "sync", string action = "run",
        string? integration = null, string? connection = null, string? function = null, LogError? error = null,
        DateTimeOffset? expires = null, JsonObject? meta = null) => new()
        {
            Id = Guid.CreateVersion7(at),
            CreatedAt = at,
            UpdatedAt = at,
            Type = type,
            Action = action,
            State = state,
            AccountId = 1,
            EnvironmentId = env,
            EnvironmentName = "dev",
            IntegrationKey = integration,
            Provider = integration is null ? null : "github",
            ConnectionName = connection,
            FunctionName = function,
            Error = error,
            Meta = meta,
            StartedAt = at,
            ExpiresAt = expires ?? at.AddMinutes(15),
        };

    protected static LogMessageRow Msg(LogOperationRow op, DateTimeOffset at, string message, string level = MessageLevels.Info) => new()
    {
        Id = Guid.CreateVersion7(at),
        CreatedAt = at,
        OperationId = op.Id,
        AccountId = op.AccountId,
        EnvironmentId = op.EnvironmentId,
        Level = level,
        Type = MessageTypes.Log,
        Source = MessageSources.Internal,
        Message = message,
    };

    private Task<LogOperationPage> Search(int env, LogOperationSearch search) => Store.SearchOperationsAsync(env, search, Ct);

    private static List<Guid> Ids(LogOperationPage page) => page.Items.Select(o => o.Id).ToList();

    [Fact]
    public async Task Filters_by_state()
    {
        var env = NewEnvironment();
        var ok = Op(env, Now.AddMinutes(-3));
        var failed = Op(env, Now.AddMinutes(-2), OperationStates.Failed);
        var running = Op(env, Now.AddMinutes(-1), OperationStates.Running);
        await WriteAsync(ok, failed, running);

        Assert.Equal([failed.Id], Ids(await Search(env, new() { States = [OperationStates.Failed] })));
        Assert.Equal([running.Id, ok.Id], Ids(await Search(env, new() { States = [OperationStates.Success, OperationStates.Running] })));
        Assert.Equal(3, (await Search(env, new() { States = ["all"] })).Items.Count);
    }

    [Fact]
    public async Task Filters_by_type_or_type_and_action()
    {
        var env = NewEnvironment();
        var syncRun = Op(env, Now.AddMinutes(-3), type: "sync", action: "run");
        var syncPause = Op(env, Now.AddMinutes(-2), type: "sync", action: "pause");
        var proxy = Op(env, Now.AddMinutes(-1), type: "proxy", action: "call");
        await WriteAsync(syncRun, syncPause, proxy);

        Assert.Equal([syncPause.Id, syncRun.Id], Ids(await Search(env, new() { Types = ["sync"] })));
        Assert.Equal([syncPause.Id], Ids(await Search(env, new() { Types = ["sync:pause"] })));
        Assert.Equal([proxy.Id, syncRun.Id], Ids(await Search(env, new() { Types = ["proxy", "sync:run"] })));
    }

    [Fact]
    public async Task Filters_by_integration_connection_and_function()
    {
        var env = NewEnvironment();
        var a = Op(env, Now.AddMinutes(-3), integration: "github", connection: "c-1", function: "issues");
        var b = Op(env, Now.AddMinutes(-2), integration: "github", connection: "c-2", function: "repos");
        var c = Op(env, Now.AddMinutes(-1), integration: "slack", connection: "c-1");
        await WriteAsync(a, b, c);

        Assert.Equal([b.Id, a.Id], Ids(await Search(env, new() { Integrations = ["github"] })));
        Assert.Equal([c.Id, a.Id], Ids(await Search(env, new() { Connections = ["c-1"] })));
        Assert.Equal([b.Id], Ids(await Search(env, new() { Functions = ["repos"] })));
        Assert.Equal([a.Id], Ids(await Search(env, new() { Integrations = ["github"], Connections = ["c-1"] })));
    }

    [Fact]
    public async Task Filters_by_period()
    {
        var env = NewEnvironment();
        var old = Op(env, Now.AddHours(-30));
        var recent = Op(env, Now.AddHours(-2));
        var latest = Op(env, Now.AddMinutes(-1));
        await WriteAsync(old, recent, latest);

        Assert.Equal([latest.Id, recent.Id], Ids(await Search(env, new() { From = Now.AddHours(-24) })));
        Assert.Equal([recent.Id], Ids(await Search(env, new() { From = Now.AddHours(-24), To = Now.AddHours(-1) })));
        Assert.Equal([old.Id], Ids(await Search(env, new() { To = Now.AddHours(-24) })));
    }

    [Fact]
    public async Task Full_text_matches_the_operation_itself_or_any_of_its_messages()
    {
        var env = NewEnvironment();
        var byError = Op(env, Now.AddMinutes(-4), OperationStates.Failed, error: new LogError("rate_limit", "GitHub answered quota exhausted"));
        var byMeta = Op(env, Now.AddMinutes(-3), meta: new JsonObject { ["model"] = "GithubIssue" });
        var byMessage = Op(env, Now.AddMinutes(-2));
        var other = Op(env, Now.AddMinutes(-1));
        await WriteAsync(byError, byMeta, byMessage, other,
            Msg(byMessage, Now.AddMinutes(-2).AddSeconds(1), "Fetched page 3: quota exhausted, backing off"),
            Msg(other, Now.AddMinutes(-1).AddSeconds(1), "all good"));

        Assert.Equal([byMessage.Id, byError.Id], Ids(await Search(env, new() { Search = "quota exhausted" })));
        Assert.Equal([byMeta.Id], Ids(await Search(env, new() { Search = "GithubIssue" })));
        Assert.Equal([byMessage.Id], Ids(await Search(env, new() { Search = "backing" })));
        Assert.Empty((await Search(env, new() { Search = "quota unrelatedword" })).Items);
        Assert.Equal([byMessage.Id], Ids(await Search(env, new() { Search = "quota", From = Now.AddMinutes(-3) })));
    }

    [Fact]
    public async Task Cursor_pages_cover_every_operation_once_newest_first_with_the_total()
    {
        var env = NewEnvironment();
        var rows = new List<LogOperationRow>();
        for (var i = 0; i < 23; i++)
        {
            // Pairs share a timestamp: the id must break the tie.
            rows.Add(Op(env, Now.AddSeconds(-(i / 2)), i % 3 == 0 ? OperationStates.Failed : OperationStates.Success));
        }
        await WriteAsync([.. rows]);

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Search(env, new() { Limit = 5, Cursor = cursor });
            Assert.Equal(23, page.Total);
            seen.AddRange(Ids(page));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        var expected = rows.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Select(r => r.Id).ToList();
        Assert.Equal(expected, seen);
        Assert.Equal(5, pages);

        var failed = await Search(env, new() { States = [OperationStates.Failed], Limit = 3 });
        Assert.Equal(8, failed.Total);
        Assert.Equal(3, failed.Items.Count);
    }

    [Fact]
    public async Task A_bad_cursor_is_an_argument_error()
    {
        var env = NewEnvironment();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Search(env, new() { Cursor = "not a cursor" }));
    }

    [Fact]
    public async Task One_environment_never_sees_another_environments_operations_or_messages()
    {
        var mine = NewEnvironment();
        var theirs = NewEnvironment();
        var op = Op(theirs, Now.AddMinutes(-1), integration: "secret-integration");
        await WriteAsync(op, Msg(op, Now.AddMinutes(-1).AddSeconds(1), "theirs only"));

        Assert.Empty((await Search(mine, new())).Items);
        Assert.Empty((await Search(mine, new() { Search = "theirs" })).Items);
        Assert.Null(await Store.GetOperationAsync(mine, op.Id, Ct));
        Assert.NotNull(await Store.GetOperationAsync(theirs, op.Id, Ct));
        Assert.Empty((await Store.SearchMessagesAsync(mine, new() { OperationId = op.Id }, Ct)).Items);
        Assert.Empty(await Store.ListFilterValuesAsync(mine, new() { Category = LogFilterCategory.Integration }, Ct));
        Assert.Empty(await Store.HistogramAsync(mine, new() { From = Now.AddDays(-1), To = Now.AddDays(1) }, Ct));
    }

    [Fact]
    public async Task An_operation_reads_back_with_every_field()
    {
        var env = NewEnvironment();
        var op = Op(env, Now.AddMinutes(-1), OperationStates.Failed, "proxy", "call", "github", "c-1", "fetch",
            new LogError("http_error", "502 from upstream", "upstream", new JsonObject { ["status"] = 502 }),
            meta: new JsonObject { ["attempts"] = 2 }) with
        {
            Actor = new LogActor("user", "42"),
            JobId = "job-1",
            Request = new LogHttpRequest("GET", "https://api.github.com/user", new Dictionary<string, string> { ["Accept"] = "application/json" }),
            Response = new LogHttpResponse(502, new Dictionary<string, string> { ["Retry-After"] = "5" }),
            EndedAt = Now,
            DurationMs = 60_000,
        };
        await WriteAsync(op);

        var read = await Store.GetOperationAsync(env, op.Id, Ct);

        Assert.NotNull(read);
        Assert.Equal(op.CreatedAt, read.CreatedAt);
        Assert.Equal(("proxy", "call", OperationStates.Failed), (read.Type, read.Action, read.State));
        Assert.Equal(("github", "c-1", "fetch", "job-1"), (read.IntegrationKey, read.ConnectionName, read.FunctionName, read.JobId));
        Assert.Equal(new LogActor("user", "42"), read.Actor);
        Assert.Equal("502 from upstream", read.Error!.Message);
        Assert.Equal(502, (int)read.Error.Payload!["status"]!);
        Assert.Equal("https://api.github.com/user", read.Request!.Url);
        Assert.Equal("application/json", read.Request.Headers!["Accept"]);
        Assert.Equal(502, read.Response!.Code);
        Assert.Equal(2, (int)read.Meta!["attempts"]!);
        Assert.Equal(60_000, read.DurationMs);
    }

    [Fact]
    public async Task Messages_page_older_with_cursorAfter_and_newer_with_cursorBefore()
    {
        var env = NewEnvironment();
        var op = Op(env, Now.AddMinutes(-10), OperationStates.Running);
        var messages = Enumerable.Range(0, 12)
            .Select(i => Msg(op, op.CreatedAt.AddSeconds(i), $"step {i}", i % 4 == 0 ? MessageLevels.Error : MessageLevels.Info))
            .ToList();
        await WriteAsync([op, .. messages.Take(10)]);

        var first = await Store.SearchMessagesAsync(env, new() { OperationId = op.Id, Limit = 4 }, Ct);
        Assert.Equal(["step 9", "step 8", "step 7", "step 6"], first.Items.Select(m => m.Message));
        Assert.Equal(10, first.Total);
        var second = await Store.SearchMessagesAsync(env, new() { OperationId = op.Id, Limit = 4, CursorAfter = first.CursorAfter }, Ct);
        Assert.Equal(["step 5", "step 4", "step 3", "step 2"], second.Items.Select(m => m.Message));
        var third = await Store.SearchMessagesAsync(env, new() { OperationId = op.Id, Limit = 4, CursorAfter = second.CursorAfter }, Ct);
        Assert.Equal(["step 1", "step 0"], third.Items.Select(m => m.Message));
        Assert.Null(third.CursorAfter);

        // Live tail: what arrived after the newest message shown.
        await WriteAsync([.. messages.Skip(10)]);
        var newer = await Store.SearchMessagesAsync(env, new() { OperationId = op.Id, Limit = 4, CursorBefore = first.CursorBefore }, Ct);
        Assert.Equal(["step 11", "step 10"], newer.Items.Select(m => m.Message));
        var none = await Store.SearchMessagesAsync(env, new() { OperationId = op.Id, Limit = 4, CursorBefore = newer.CursorBefore }, Ct);
        Assert.Empty(none.Items);
        Assert.Equal(newer.CursorBefore, none.CursorBefore);

        var errors = await Store.SearchMessagesAsync(env, new() { OperationId = op.Id, Levels = [MessageLevels.Error] }, Ct);
        Assert.Equal(["step 8", "step 4", "step 0"], errors.Items.Select(m => m.Message));
        var searched = await Store.SearchMessagesAsync(env, new() { OperationId = op.Id, Search = "11" }, Ct);
        Assert.Equal(["step 11"], searched.Items.Select(m => m.Message));
    }

    [Fact]
    public async Task Filter_values_count_operations_and_match_a_prefix()
    {
        var env = NewEnvironment();
        await WriteAsync(
            Op(env, Now.AddMinutes(-5), integration: "github", connection: "acme", function: "issues"),
            Op(env, Now.AddMinutes(-4), integration: "github", connection: "acme"),
            Op(env, Now.AddMinutes(-3), integration: "GitLab", connection: "beta"),
            Op(env, Now.AddMinutes(-2), integration: "slack"));

        var integrations = await Store.ListFilterValuesAsync(env, new() { Category = LogFilterCategory.Integration }, Ct);
        Assert.Equal([new LogFilterValue("github", 2), new LogFilterValue("GitLab", 1), new LogFilterValue("slack", 1)], integrations);
        var prefixed = await Store.ListFilterValuesAsync(env, new() { Category = LogFilterCategory.Integration, Prefix = "git" }, Ct);
        Assert.Equal(["github", "GitLab"], prefixed.Select(v => v.Key));
        var connections = await Store.ListFilterValuesAsync(env, new() { Category = LogFilterCategory.Connection }, Ct);
        Assert.Equal([new LogFilterValue("acme", 2), new LogFilterValue("beta", 1)], connections);
        var functions = await Store.ListFilterValuesAsync(env, new() { Category = LogFilterCategory.Function }, Ct);
        Assert.Equal([new LogFilterValue("issues", 1)], functions);
    }

    [Fact]
    public async Task Histogram_counts_per_bucket_type_and_state()
    {
        var env = NewEnvironment();
        var hour = new DateTimeOffset(Now.Year, Now.Month, Now.Day, Now.Hour, 0, 0, TimeSpan.Zero).AddHours(-3);
        await WriteAsync(
            Op(env, hour.AddMinutes(1), OperationStates.Success, "sync"),
            Op(env, hour.AddMinutes(2), OperationStates.Failed, "sync"),
            Op(env, hour.AddMinutes(3), OperationStates.Success, "action"),
            Op(env, hour.AddHours(1).AddMinutes(5), OperationStates.Running, "sync"),
            Op(env, hour.AddHours(1).AddMinutes(6), OperationStates.Timeout, "sync"));

        var buckets = await Store.HistogramAsync(env, new() { From = hour, To = hour.AddHours(3) }, Ct);
        Assert.Equal(
            [
                new LogHistogramBucket(hour, "action", 1, 1, 0, 0, 0, 0),
                new LogHistogramBucket(hour, "sync", 2, 1, 1, 0, 0, 0),
                new LogHistogramBucket(hour.AddHours(1), "sync", 2, 0, 0, 0, 1, 1),
            ],
            buckets);
        var syncOnly = await Store.HistogramAsync(env, new() { From = hour, To = hour.AddHours(3), Types = ["sync"], Bucket = LogBucketSize.Day }, Ct);
        Assert.Equal(4, syncOnly.Sum(b => b.Total));
    }

    [Fact]
    public async Task End_state_updates_apply_to_earlier_inserts_and_never_reopen_a_finished_operation()
    {
        var env = NewEnvironment();
        var op = Op(env, Now.AddMinutes(-1), OperationStates.Running);
        await WriteAsync(op);
        await WriteAsync(new LogOperationUpdate
        {
            Id = op.Id, CreatedAt = op.CreatedAt, State = OperationStates.Failed, UpdatedAt = Now, EndedAt = Now, DurationMs = 60_000,
            Error = new LogError("boom", "it broke"),
        });
        await WriteAsync(new LogOperationUpdate { Id = op.Id, CreatedAt = op.CreatedAt, State = OperationStates.Running, UpdatedAt = Now });

        var read = await Store.GetOperationAsync(env, op.Id, Ct);
        Assert.Equal(OperationStates.Failed, read!.State);
        Assert.Equal("it broke", read.Error!.Message);
        Assert.Equal(60_000, read.DurationMs);
        Assert.Equal([op.Id], Ids(await Search(env, new() { Search = "broke" })));
    }

    [Fact]
    public async Task Watchdog_times_out_expired_open_operations_only()
    {
        var env = NewEnvironment();
        var expired = Op(env, Now.AddMinutes(-20), OperationStates.Running, expires: Now.AddMinutes(-5));
        var waiting = Op(env, Now.AddMinutes(-20), OperationStates.Waiting, expires: Now.AddMinutes(-5));
        var notYet = Op(env, Now.AddMinutes(-2), OperationStates.Running, expires: Now.AddMinutes(13));
        var done = Op(env, Now.AddMinutes(-20), OperationStates.Success, expires: Now.AddMinutes(-5));
        await WriteAsync(expired, waiting, notYet, done);

        var count = await Store.TimeoutExpiredAsync(Now, Ct);

        Assert.True(count >= 2);
        Assert.Equal(OperationStates.Timeout, (await Store.GetOperationAsync(env, expired.Id, Ct))!.State);
        Assert.Equal(OperationStates.Timeout, (await Store.GetOperationAsync(env, waiting.Id, Ct))!.State);
        Assert.Equal(OperationStates.Running, (await Store.GetOperationAsync(env, notYet.Id, Ct))!.State);
        Assert.Equal(OperationStates.Success, (await Store.GetOperationAsync(env, done.Id, Ct))!.State);

        // A late end is the truth and corrects the timeout.
        await WriteAsync(new LogOperationUpdate { Id = expired.Id, CreatedAt = expired.CreatedAt, State = OperationStates.Success, UpdatedAt = Now, EndedAt = Now });
        Assert.Equal(OperationStates.Success, (await Store.GetOperationAsync(env, expired.Id, Ct))!.State);
    }

    [Fact]
    public async Task Retention_removes_whole_old_days_and_keeps_newer_ones()
    {
        var env = NewEnvironment();
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        var oldDay = today.AddDays(-40);
        await Store.PrepareAsync(oldDay, oldDay.AddDays(1), Ct);
        var oldAt = new DateTimeOffset(oldDay.ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var old = Op(env, oldAt);
        var kept = Op(env, oldAt.AddDays(1));
        var recent = Op(env, Now.AddMinutes(-1));
        await WriteAsync(old, kept, recent, Msg(old, oldAt.AddSeconds(1), "old message"), Msg(kept, oldAt.AddDays(1).AddSeconds(1), "kept message"));

        var dropped = await Store.DropDaysBeforeAsync(oldDay.AddDays(1), Ct);

        Assert.NotEmpty(dropped);
        Assert.Equal([recent.Id, kept.Id], Ids(await Search(env, new())));
        Assert.Empty((await Store.SearchMessagesAsync(env, new() { OperationId = old.Id }, Ct)).Items);
        Assert.Single((await Store.SearchMessagesAsync(env, new() { OperationId = kept.Id }, Ct)).Items);
    }
}
