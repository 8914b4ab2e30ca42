using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core.Logs;

namespace Nango.Tests.Unit.Logs;

/// <summary>The write path in front of a store that the test controls.</summary>
public sealed class LogWritePathTests
{
    private static IHost CreateHost(ILogStore store, int capacity = 1000, int batchSize = 500, string flushInterval = "00:00:00.050") =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Nango"] = "Host=unused",
                ["Nango:Logs:BufferCapacity"] = capacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Nango:Logs:BatchSize"] = batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Nango:Logs:FlushInterval"] = flushInterval,
            }))
            .ConfigureServices((context, services) =>
            {
                services.AddSingleton(store);
                services.AddNangoLogs(context.Configuration);
            })
            .Build();

    private static OperationStart Start(string? integration = null) => new()
    {
        Kind = LogOperationKinds.ProxyCall,
        AccountId = 1,
        EnvironmentId = 2,
        IntegrationKey = integration,
    };

    [Fact]
    public async Task A_saturated_buffer_drops_and_counts_but_never_blocks_the_caller()
    {
        var store = new RecordingStore { Gate = new TaskCompletionSource() };
        using var host = CreateHost(store, capacity: 8, batchSize: 4);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logs = host.Services.GetRequiredService<ILogService>();

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 5_000; i++)
        {
            var operation = logs.StartOperation(Start());
            operation.Info("message " + i);
            operation.Succeed();
        }
        watch.Stop();

        // The store is stuck, so only the buffer and the batch being written (a few dozen writes at
        // most, end-states fold into their inserts) got through; the rest was dropped.
        var stats = logs.Stats;
        Assert.Equal(15_000, stats.Offered);
        Assert.True(stats.Dropped >= 15_000 - 100, $"dropped {stats.Dropped}");
        Assert.True(stats.Buffered <= 8);
        // A sanity bound, not a benchmark: 15,000 enqueues against a blocked store take milliseconds.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");

        store.Gate.SetResult();
        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(logs.Stats.Offered - logs.Stats.Dropped, logs.Stats.Written);
    }

    [Fact]
    public async Task An_operation_ended_within_one_flush_is_written_once_with_its_end_state()
    {
        var store = new RecordingStore();
        using var host = CreateHost(store);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logs = host.Services.GetRequiredService<ILogService>();

        var operation = logs.StartOperation(Start("github"));
        operation.Warn("slow");
        operation.Fail(new LogError("http_error", "502"));
        operation.Succeed();
        await host.StopAsync(TestContext.Current.CancellationToken);

        var row = Assert.Single(store.Operations);
        Assert.Equal(OperationStates.Failed, row.State);
        Assert.Equal("502", row.Error!.Message);
        Assert.NotNull(row.EndedAt);
        Assert.Empty(store.Updates);
        Assert.Equal("slow", Assert.Single(store.Messages).Message);
    }

    [Fact]
    public async Task Stopping_the_host_flushes_everything_buffered()
    {
        var store = new RecordingStore();
        using var host = CreateHost(store, capacity: 100_000, batchSize: 100);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logs = host.Services.GetRequiredService<ILogService>();
        for (var i = 0; i < 2_000; i++)
        {
            logs.StartOperation(Start()).Info("m");
        }

        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2_000, store.Operations.Count);
        Assert.Equal(2_000, store.Messages.Count);
        Assert.Equal(0, logs.Stats.Dropped);
        // After shutdown the buffer is closed: later writes are counted as dropped, never block.
        logs.StartOperation(Start());
        Assert.Equal(1, logs.Stats.Dropped);
    }

    [Fact]
    public async Task A_full_batch_is_written_at_once_without_waiting_for_the_flush_interval()
    {
        var store = new RecordingStore();
        using var host = CreateHost(store, batchSize: 6, flushInterval: "00:10:00");
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logs = host.Services.GetRequiredService<ILogService>();

        // Six writes fill the batch; the flusher sleeps through single writes but wakes when the sixth arrives.
        for (var i = 0; i < 3; i++)
        {
            logs.StartOperation(Start()).Info("m");
        }
        var first = await store.FirstWrite.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal((3, 3), first);
        await host.StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(3, store.Operations.Count);
    }

    [Fact]
    public async Task Http_messages_are_redacted_before_they_are_buffered()
    {
        var store = new RecordingStore();
        using var host = CreateHost(store);
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logs = host.Services.GetRequiredService<ILogService>();

        var operation = logs.StartOperation(Start());
        operation.Http(
            new LogHttpRequest("POST", "https://example.com/token?client_secret=abc", new Dictionary<string, string> { ["Authorization"] = "Bearer xyz" }, """{"refresh_token":"r"}"""),
            new LogHttpResponse(200, new Dictionary<string, string> { ["Set-Cookie"] = "session=1" }, """{"access_token":"a","expires_in":3600}"""),
            duration: TimeSpan.FromMilliseconds(120));
        await host.StopAsync(TestContext.Current.CancellationToken);

        var message = Assert.Single(store.Messages);
        Assert.Equal(MessageTypes.Http, message.Type);
        Assert.Equal(LogRedactor.Redacted, message.Request!.Headers!["Authorization"]);
        Assert.DoesNotContain("abc", message.Request.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("\"r\"", message.Request.Body, StringComparison.Ordinal);
        Assert.Equal(LogRedactor.Redacted, message.Response!.Headers!["Set-Cookie"]);
        Assert.Contains("3600", message.Response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"a\"", message.Response.Body, StringComparison.Ordinal);
        Assert.Equal(120, message.DurationMs);
    }

    private sealed class RecordingStore : ILogStore
    {
        public TaskCompletionSource? Gate { get; init; }

        public List<LogOperationRow> Operations { get; } = [];

        public List<LogMessageRow> Messages { get; } = [];

        public List<LogOperationUpdate> Updates { get; } = [];

        /// <summary>The operations and messages of the first batch written.</summary>
        public TaskCompletionSource<(int Operations, int Messages)> FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task WriteAsync(LogBatch batch, CancellationToken ct)
        {
            if (Gate is not null)
            {
                await Gate.Task;
            }
            FirstWrite.TrySetResult((batch.Operations.Count, batch.Messages.Count));
            Operations.AddRange(batch.Operations);
            Messages.AddRange(batch.Messages);
            Updates.AddRange(batch.Updates);
        }

        public Task PrepareAsync(DateOnly firstDay, DateOnly lastDay, CancellationToken ct) => Task.CompletedTask;

        public Task<LogOperationPage> SearchOperationsAsync(int environmentId, LogOperationSearch search, CancellationToken ct) => throw new NotSupportedException();

        public Task<LogOperationRow?> GetOperationAsync(int environmentId, Guid operationId, CancellationToken ct) => throw new NotSupportedException();

        public Task<LogMessagePage> SearchMessagesAsync(int environmentId, LogMessageSearch search, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<LogFilterValue>> ListFilterValuesAsync(int environmentId, LogFilterQuery query, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<LogHistogramBucket>> HistogramAsync(int environmentId, LogHistogramQuery query, CancellationToken ct) => throw new NotSupportedException();

        public Task<int> TimeoutExpiredAsync(DateTimeOffset now, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> DropDaysBeforeAsync(DateOnly firstDayKept, CancellationToken ct) => throw new NotSupportedException();
    }
}
