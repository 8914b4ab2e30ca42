using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nango.Core.Logs;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Logs;

/// <summary>The never-block rule through the real API: a stuck log store and a full buffer do not delay responses.</summary>
[Trait("Category", "Integration")]
public sealed class SaturatedLogBufferTests(SaturatedLogBufferTests.StuckLogsFactory factory) : IClassFixture<SaturatedLogBufferTests.StuckLogsFactory>
{
    [Fact]
    public async Task Api_calls_answer_while_the_log_store_is_stuck_and_the_buffer_drops()
    {
        using var client = factory.CreateApiClient();
        var logs = factory.Services.GetRequiredService<ILogService>();

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            var response = await client.PostAsJsonAsync("/integrations", new { provider = "github", unique_key = $"stuck-{i}" }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        watch.Stop();

        Assert.True(logs.Stats.Dropped > 0, $"nothing dropped: {logs.Stats}");
        Assert.True(logs.Stats.Buffered <= 2);
        // Generous sanity bound (20 requests, each a few database round trips); a blocking log would hang forever.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    public sealed class StuckLogsFactory : NangoWebFactory
    {
        private readonly StuckStore _store = new();

        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            new("Nango:Logs:BufferCapacity", "2"),
            new("Nango:Logs:BatchSize", "1"),
        ];

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.Replace(ServiceDescriptor.Singleton<ILogStore>(_store)));
        }

        public override async ValueTask DisposeAsync()
        {
            _store.Release();
            await base.DisposeAsync();
        }
    }

    private sealed class StuckStore : ILogStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public Task WriteAsync(LogBatch batch, CancellationToken ct) => _gate.Task;

        public Task PrepareAsync(DateOnly firstDay, DateOnly lastDay, CancellationToken ct) => Task.CompletedTask;

        public Task<LogOperationPage> SearchOperationsAsync(int environmentId, LogOperationSearch search, CancellationToken ct) => throw new NotSupportedException();

        public Task<LogOperationRow?> GetOperationAsync(int environmentId, Guid operationId, CancellationToken ct) => throw new NotSupportedException();

        public Task<LogMessagePage> SearchMessagesAsync(int environmentId, LogMessageSearch search, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<LogFilterValue>> ListFilterValuesAsync(int environmentId, LogFilterQuery query, CancellationToken ct) => throw new NotSupportedException();

        public Task<IReadOnlyList<LogHistogramBucket>> HistogramAsync(int environmentId, LogHistogramQuery query, CancellationToken ct) => throw new NotSupportedException();

        public Task<int> TimeoutExpiredAsync(DateTimeOffset now, CancellationToken ct) => Task.FromResult(0);

        public Task<IReadOnlyList<string>> DropDaysBeforeAsync(DateOnly firstDayKept, CancellationToken ct) => Task.FromResult<IReadOnlyList<string>>([]);
    }
}
