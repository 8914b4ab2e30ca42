using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nango.Core.Records;

/// <summary>
/// Nango Cloud's records retention, with our own settings: payloads not updated for
/// <c>Nango__Records__PruneAfterDays</c> are emptied, and the records of connections whose syncs have not run for
/// <c>Nango__Records__DeleteAfterDays</c> (or that no longer exist) are deleted.
/// </summary>
public sealed partial class RecordRetention(RecordStore store, IOptions<NangoOptions> options, TimeProvider clock, ILogger<RecordRetention> logger)
{
    private const int PruneBatch = 10_000;

    public async Task<(int Pruned, int Deleted)> ApplyAsync(CancellationToken ct)
    {
        var settings = options.Value.Records;
        var now = clock.GetUtcNow();
        // Deleting first: no point emptying payloads about to go.
        var deleted = await store.DeleteIdleAsync(now.AddDays(-settings.DeleteAfterDays), ct);
        var pruned = 0;
        // Batches keep each transaction (and the rows it locks) small; stop when a batch comes back short.
        for (int count; (count = await store.PruneNotUpdatedSinceAsync(now.AddDays(-settings.PruneAfterDays), PruneBatch, ct)) > 0;)
        {
            pruned += count;
            if (count < PruneBatch)
            {
                break;
            }
        }
        if (pruned > 0 || deleted > 0)
        {
            LogApplied(logger, pruned, deleted);
        }
        return (pruned, deleted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Records retention: {Pruned} payloads pruned, {Deleted} records of idle connections deleted")]
    private static partial void LogApplied(ILogger logger, int pruned, int deleted);
}
