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
        Interlocked.Increment(ref _offered);
        if (!_channel.Writer.TryWrite(item))
        {
            // Only after Complete (shutdown): DropWrite accepts-and-drops otherwise, through the callback.
            Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Stops accepting writes; what is buffered is still drained.</summary>
    internal void Complete() => _channel.Writer.TryComplete();

    internal void CountWritten(int count) => Interlocked.Add(ref _written, count);

    internal void CountFailed(int count) => Interlocked.Add(ref _failed, count);
}
