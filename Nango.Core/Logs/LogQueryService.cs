using Nango.Core.Environments;

namespace Nango.Core.Logs;

/// <summary>
/// The read side for the API and dashboard. Every method takes the environment it runs in, so one
/// environment never sees another's logs whatever ids or cursors it sends. Bad cursors throw
/// <see cref="ArgumentException"/> (a 400 for the caller).
/// </summary>
public sealed class LogQueryService(ILogStore store, TimeProvider clock)
{
    public Task<LogOperationPage> SearchOperationsAsync(EnvironmentContext environment, LogOperationSearch search, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(search);
        return store.SearchOperationsAsync(environment.EnvironmentId, search, ct);
    }

    public Task<LogOperationRow?> GetOperationAsync(EnvironmentContext environment, Guid operationId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return store.GetOperationAsync(environment.EnvironmentId, operationId, ct);
    }

    public Task<LogMessagePage> SearchMessagesAsync(EnvironmentContext environment, LogMessageSearch search, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(search);
        return store.SearchMessagesAsync(environment.EnvironmentId, search, ct);
    }

    public Task<IReadOnlyList<LogFilterValue>> ListFilterValuesAsync(EnvironmentContext environment, LogFilterQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(query);
        return store.ListFilterValuesAsync(environment.EnvironmentId, query, ct);
    }

    /// <summary>
    /// Operations per type and state, one bucket per hour for the last 24 h or per day for the last 7 days,
    /// ending with the current bucket. Every (bucket, type) pair is present, zeros included, so charts
    /// get a continuous axis.
    /// </summary>
    public async Task<IReadOnlyList<LogHistogramBucket>> HistogramAsync(EnvironmentContext environment, LogBucketSize bucket, IReadOnlyList<string>? types, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var step = bucket == LogBucketSize.Day ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1);
        var count = bucket == LogBucketSize.Day ? 7 : 24;
        var now = clock.GetUtcNow();
        var current = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % step.Ticks), TimeSpan.Zero);
        var from = current - (step * (count - 1));
        var to = current + step;
        var rows = await store.HistogramAsync(environment.EnvironmentId, new LogHistogramQuery { From = from, To = to, Bucket = bucket, Types = types ?? [] }, ct);
        var byKey = rows.ToDictionary(r => (r.Start.UtcTicks, r.Type));
        var typeNames = rows.Select(r => r.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var filled = new List<LogHistogramBucket>(count * typeNames.Count);
        for (var start = from; start < to; start += step)
        {
            foreach (var type in typeNames)
            {
                filled.Add(byKey.TryGetValue((start.UtcTicks, type), out var row) ? row : new LogHistogramBucket(start, type, 0, 0, 0, 0, 0, 0));
            }
        }
        return filled;
    }
}
