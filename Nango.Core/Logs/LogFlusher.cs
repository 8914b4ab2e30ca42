using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nango.Core.Common;

namespace Nango.Core.Logs;

/// <summary>
/// Drains <see cref="LogBuffer"/> into the store: a batch closes at <see cref="LogWriterOptions.BatchSize"/>
/// writes or <see cref="LogWriterOptions.FlushInterval"/> after its first write, whichever comes first.
/// One flush at a time keeps the order of a batch (inserts, then the updates that may target them).
/// On shutdown the buffer is closed and everything in it is written before the host stops.
/// </summary>
internal sealed partial class LogFlusher(
    LogBuffer buffer,
    ILogStore store,
    IOptions<LogWriterOptions> options,
    TimeProvider clock,
    ILogger<LogFlusher> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan _dropReportInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan _shutdownGrace = TimeSpan.FromSeconds(3);
    private readonly LogWriterOptions _options = options.Value;
    private long _droppedReported;
    private long? _lastDropReport;

    private readonly StoppingSignal _stopping = new();
    private Task? _loop;

    // Not a BackgroundService: since .NET 10 it starts ExecuteAsync through Task.Run tied to the stopping
    // token, so a host stopped before that task got a thread never runs it and the buffer was not drained
    // (seen in tests under load). Here the loop always starts, and only a closed, empty buffer ends it.
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunGuardedAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Closes the buffer, then waits until everything in it is written (or the host gives up waiting).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        buffer.Complete();
        // A host that gives up on shutdown may dispose services before every StopAsync has run: StoppingSignal allows that.
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The host stopped waiting, often because services stopped before this one (Quartz) used up
                // its shutdown timeout. Draining a buffer takes milliseconds, so allow a short last grace.
                try
                {
                    await _loop.WaitAsync(_shutdownGrace, CancellationToken.None);
                }
                catch (TimeoutException)
                {
                    LogAbandoned(logger, buffer.Stats.Buffered);
                }
            }
        }
        ReportDrops(force: true);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunGuardedAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // From here on every write is dropped and counted; say so loudly once.
            LogCrashed(logger, e);
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var reader = buffer.Reader;
        var batch = new LogBatch();
        var pendingInserts = new Dictionary<Guid, int>();
        var pendingUpdates = new Dictionary<Guid, int>();
        // Reads are not cancelled by stoppingToken: shutdown completes the buffer instead, and the loop
        // ends once it is empty, so nothing buffered is lost.
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            // Monotonic time: a wall-clock jump must not stretch or cut a batch.
            var batchStarted = clock.GetTimestamp();
            var taken = 0;
            while (batch.Count < _options.BatchSize)
            {
                while (batch.Count < _options.BatchSize && reader.TryRead(out var item))
                {
                    Add(batch, pendingInserts, pendingUpdates, item);
                    taken++;
                }
                if (batch.Count >= _options.BatchSize || reader.Completion.IsCompleted)
                {
                    break;
                }
                var remaining = _options.FlushInterval - clock.GetElapsedTime(batchStarted);
                if (remaining <= TimeSpan.Zero || !await buffer.WaitForWritesAsync(_options.BatchSize - batch.Count, remaining))
                {
                    break;
                }
            }
            await FlushAsync(batch, taken, stoppingToken);
            batch.Clear();
            pendingInserts.Clear();
            pendingUpdates.Clear();
            ReportDrops(force: false);
        }
    }

    /// <summary>An end-state that arrives in the same batch as its insert is folded into the row: one COPY, no UPDATE.</summary>
    private static void Add(LogBatch batch, Dictionary<Guid, int> pendingInserts, Dictionary<Guid, int> pendingUpdates, object item)
    {
        switch (item)
        {
            case LogOperationRow operation:
                pendingInserts[operation.Id] = batch.Operations.Count;
                batch.Operations.Add(operation);
                break;
            case LogMessageRow message:
                batch.Messages.Add(message);
                break;
            case LogOperationUpdate update when pendingInserts.TryGetValue(update.Id, out var insert):
                var row = batch.Operations[insert];
                batch.Operations[insert] = row with
                {
                    State = update.State,
                    UpdatedAt = update.UpdatedAt,
                    StartedAt = update.StartedAt ?? row.StartedAt,
                    EndedAt = update.EndedAt ?? row.EndedAt,
                    DurationMs = update.DurationMs ?? row.DurationMs,
                    Error = update.Error ?? row.Error,
                    Response = update.Response ?? row.Response,
                };
                break;
            case LogOperationUpdate update when pendingUpdates.TryGetValue(update.Id, out var index):
                // Two changes to one row in one batch: a single UPDATE can apply only one, so merge them.
                var earlier = batch.Updates[index];
                batch.Updates[index] = update with
                {
                    StartedAt = update.StartedAt ?? earlier.StartedAt,
                    Error = update.Error ?? earlier.Error,
                    Response = update.Response ?? earlier.Response,
                };
                break;
            case LogOperationUpdate update:
                pendingUpdates[update.Id] = batch.Updates.Count;
                batch.Updates.Add(update);
                break;
            default:
                throw new InvalidOperationException($"Unexpected log write {item.GetType().Name}.");
        }
    }

    // count: writes taken from the buffer, more than the batch's rows when updates were folded in.
    private async Task FlushAsync(LogBatch batch, int count, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // Not cancelled by shutdown: the final drain must reach the store.
                await store.WriteAsync(batch, CancellationToken.None);
                buffer.CountWritten(count);
                return;
            }
            catch (Exception e) when (attempt == 1 && e is not OutOfMemoryException)
            {
                LogRetrying(logger, e, batch.Count);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    // Shutting down: retry at once.
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                buffer.CountFailed(count);
                LogLost(logger, e, batch.Count);
                return;
            }
        }
    }

    private void ReportDrops(bool force)
    {
        var dropped = buffer.Stats.Dropped;
        var now = clock.GetTimestamp();
        if (dropped == _droppedReported || (!force && _lastDropReport is { } last && clock.GetElapsedTime(last, now) < _dropReportInterval))
        {
            return;
        }
        LogDropped(logger, dropped - _droppedReported, dropped, _options.BufferCapacity);
        _droppedReported = dropped;
        _lastDropReport = now;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log store write of {Count} rows failed; retrying once")]
    private static partial void LogRetrying(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Log store write of {Count} rows failed twice; these log rows are lost")]
    private static partial void LogLost(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Shutdown did not wait for the log flush; about {Buffered} buffered log writes are lost")]
    private static partial void LogAbandoned(ILogger logger, int buffered);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The log flusher stopped; log writes are dropped from now on")]
    private static partial void LogCrashed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log buffer full: dropped {Recent} writes ({Total} since start, capacity {Capacity}); the store is slower than the log volume")]
    private static partial void LogDropped(ILogger logger, long recent, long total, int capacity);
}
