using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace Nango.Core.Logs;

/// <summary>
/// The bounded hand-off between callers and the flusher. Items are <see cref="LogOperationRow"/>,
/// <see cref="LogMessageRow"/> or <see cref="LogOperationUpdate"/>. When full, the newest write is
/// dropped and counted (DropWrite): a caller never waits, whatever the store is doing.
/// </summary>
public sealed class LogBuffer
{
    private readonly Channel<object> _channel;
    private long _offered;
    private long _dropped;
    private long _written;
    private long _failed;

    // The flusher's wake-up (see WaitForWritesAsync): set only while it waits for a batch to fill.
    private TaskCompletionSource<bool>? _wake;
    private long _wakeAtOffered = long.MaxValue;
    private volatile bool _completed;

    public LogBuffer(IOptions<LogWriterOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _channel = Channel.CreateBounded<object>(
            new BoundedChannelOptions(options.Value.BufferCapacity)
            {
                FullMode = BoundedChannelFullMode.DropWrite,
                SingleReader = true,
                SingleWriter = false,
                // Never run the flusher's continuation on a caller's thread.
                AllowSynchronousContinuations = false,
            },
            _ => Interlocked.Increment(ref _dropped));
    }

    internal ChannelReader<object> Reader => _channel.Reader;

    public LogWriterStats Stats => new(
        Interlocked.Read(ref _offered), Interlocked.Read(ref _dropped), Interlocked.Read(ref _written),
        Interlocked.Read(ref _failed), _channel.Reader.Count);

    internal void Offer(object item)
    {
        var offered = Interlocked.Increment(ref _offered);
        if (!_channel.Writer.TryWrite(item))
        {
            // Only after Complete (shutdown): DropWrite accepts-and-drops otherwise, through the callback.
            Interlocked.Increment(ref _dropped);
        }
        if (offered >= Volatile.Read(ref _wakeAtOffered))
        {
            Volatile.Read(ref _wake)?.TrySetResult(true);
        }
    }

    /// <summary>
    /// Waits until <paramref name="more"/> further writes have been offered or the buffer is completed (true), or until
    /// <paramref name="timeout"/> has passed (false). The flusher fills a batch with this instead of the channel's own
    /// WaitToReadAsync, which woke it (a thread-pool hop, a timer) for every single write: several per proxied request.
    /// </summary>
    internal async Task<bool> WaitForWritesAsync(int more, TimeSpan timeout)
    {
        var wake = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        // _wake before _wakeAtOffered: a writer that sees the new threshold also sees this wake.
        Volatile.Write(ref _wake, wake);
        Volatile.Write(ref _wakeAtOffered, Interlocked.Read(ref _offered) + more);
        try
        {
            if (_completed || Interlocked.Read(ref _offered) >= Volatile.Read(ref _wakeAtOffered))
            {
                return true;
            }
            using var timer = new CancellationTokenSource(timeout);
            using (timer.Token.UnsafeRegister(static w => ((TaskCompletionSource<bool>)w!).TrySetResult(false), wake))
            {
                return await wake.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _wakeAtOffered, long.MaxValue);
            Volatile.Write(ref _wake, null);
        }
    }

    /// <summary>Stops accepting writes; what is buffered is still drained.</summary>
    internal void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
        Volatile.Read(ref _wake)?.TrySetResult(true);
    }

    internal void CountWritten(int count) => Interlocked.Add(ref _written, count);

    internal void CountFailed(int count) => Interlocked.Add(ref _failed, count);
}
