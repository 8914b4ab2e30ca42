namespace Nango.Core.Http;

/// <summary>
/// Reads a stream into memory up to a limit. When the stream is longer, what was read and what is left are joined
/// again (<see cref="Remainder"/>), so nothing is lost: the caller falls back to streaming it once.
/// </summary>
public sealed class BoundedBuffer
{
    private BoundedBuffer(byte[]? bytes, Stream? remainder)
    {
        Bytes = bytes;
        Remainder = remainder;
    }

    /// <summary>The whole stream, when it fit under the limit.</summary>
    public byte[]? Bytes { get; }

    /// <summary>The whole stream again, read part first, when it did not fit.</summary>
    public Stream? Remainder { get; }

    public bool Fits => Bytes is not null;

    public static async Task<BoundedBuffer> ReadAsync(Stream source, long limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        var memory = new MemoryStream();
        var chunk = new byte[81920];
        while (true)
        {
            var wanted = (int)Math.Min(chunk.Length, limit + 1 - memory.Length);
            var read = await source.ReadAsync(chunk.AsMemory(0, Math.Max(wanted, 1)), ct).ConfigureAwait(false);
            if (read == 0)
            {
                return new BoundedBuffer(memory.ToArray(), null);
            }
            memory.Write(chunk, 0, read);
            if (memory.Length > limit)
            {
                memory.Position = 0;
                return new BoundedBuffer(null, new ConcatenatedStream(memory, source));
            }
        }
    }

    /// <summary>A read-only stream of <c>first</c> then <c>second</c>.</summary>
    private sealed class ConcatenatedStream(Stream first, Stream second) : Stream
    {
        private bool _firstDone;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_firstDone)
            {
                var read = await first.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read > 0)
                {
                    return read;
                }
                _firstDone = true;
            }
            return await second.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                first.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
