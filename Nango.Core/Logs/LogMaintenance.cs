using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nango.Core.Logs;

/// <summary>The periodic work on the log store, each run by a clustered Quartz job (Nango.Core.Scheduling).</summary>
public sealed partial class LogMaintenance(ILogStore store, IOptions<NangoOptions> options, TimeProvider clock, ILogger<LogMaintenance> logger)
{
    /// <summary>Days ahead that get their partition (or template) ready, so writes never land in DEFAULT.</summary>
    public const int DaysAhead = 2;

    public Task PrepareDaysAsync(CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return store.PrepareAsync(today, today.AddDays(DaysAhead), ct);
    }

    /// <summary>Keeps today and the <c>RetentionDays - 1</c> days before it.</summary>
    public async Task<IReadOnlyList<string>> ApplyRetentionAsync(CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var firstDayKept = today.AddDays(-(Math.Max(1, options.Value.Logs.RetentionDays) - 1));
        var dropped = await store.DropDaysBeforeAsync(firstDayKept, ct);
        if (dropped.Count > 0)
        {
            LogRetention(logger, dropped.Count, firstDayKept);
        }
        return dropped;
    }

    public async Task<int> TimeoutExpiredAsync(CancellationToken ct)
    {
        var count = await store.TimeoutExpiredAsync(clock.GetUtcNow(), ct);
        if (count > 0)
        {
            LogTimedOut(logger, count);
        }
        return count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Log retention removed {Count} partitions/indices older than {FirstDayKept}")]
    private static partial void LogRetention(ILogger logger, int count, DateOnly firstDayKept);

    [LoggerMessage(Level = LogLevel.Information, Message = "Marked {Count} expired log operations as timeout")]
    private static partial void LogTimedOut(ILogger logger, int count);
}
