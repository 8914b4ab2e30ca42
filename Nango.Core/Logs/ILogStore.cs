namespace Nango.Core.Logs;

/// <summary>
/// Where operations and messages live: Postgres (default) or Elasticsearch. Every read takes the
/// environment id and returns nothing of any other environment.
/// </summary>
public interface ILogStore
{
    /// <summary>Writes operations, then messages, then updates to operations (which may be in the same batch).</summary>
    Task WriteAsync(LogBatch batch, CancellationToken ct);

    Task<LogOperationPage> SearchOperationsAsync(int environmentId, LogOperationSearch search, CancellationToken ct);

    Task<LogOperationRow?> GetOperationAsync(int environmentId, Guid operationId, CancellationToken ct);

    Task<LogMessagePage> SearchMessagesAsync(int environmentId, LogMessageSearch search, CancellationToken ct);

    Task<IReadOnlyList<LogFilterValue>> ListFilterValuesAsync(int environmentId, LogFilterQuery query, CancellationToken ct);

    /// <summary>Operations per bucket and type, split by state; buckets with no operation are absent.</summary>
    Task<IReadOnlyList<LogHistogramBucket>> HistogramAsync(int environmentId, LogHistogramQuery query, CancellationToken ct);

    /// <summary>Makes sure the days from <paramref name="firstDay"/> to <paramref name="lastDay"/> can be written efficiently (partitions, index templates).</summary>
    Task PrepareAsync(DateOnly firstDay, DateOnly lastDay, CancellationToken ct);

    /// <summary>Marks operations still waiting or running after their expiry as <c>timeout</c>; returns how many.</summary>
    Task<int> TimeoutExpiredAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>Removes whole days before <paramref name="firstDayKept"/> (UTC); returns the partitions or indices dropped.</summary>
    Task<IReadOnlyList<string>> DropDaysBeforeAsync(DateOnly firstDayKept, CancellationToken ct);
}
