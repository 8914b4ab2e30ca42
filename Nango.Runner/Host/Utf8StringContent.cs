using System.Buffers;
using System.Net;
using System.Text;

namespace Nango.Runner.Host;

/// <summary>
/// A request body sent as the UTF-8 of a string, encoded piece by piece into one small pooled buffer as it is written.
/// <see cref="StringContent"/> encodes the whole string into a new array first: for a record chunk that is another
/// megabyte on the large-object heap per call, and the runner's full collections grow with them.
/// </summary>
internal sealed class Utf8StringContent : HttpContent
{
    private const int CharsPerWrite = 16 * 1024;
    private readonly string _text;

    public Utf8StringContent(string text)
    {
        _text = text;
    }

    protected override bool TryComputeLength(out long length)
    {
        length = Encoding.UTF8.GetByteCount(_text);
        return true;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(CharsPerWrite));
        try
        {
            // The encoder carries a surrogate pair split between two pieces over to the next one.
            var encoder = Encoding.UTF8.GetEncoder();
            for (var start = 0; start < _text.Length; start += CharsPerWrite)
            {
                var count = Math.Min(CharsPerWrite, _text.Length - start);
                var bytes = encoder.GetBytes(_text.AsSpan(start, count), buffer, flush: start + count == _text.Length);
                await stream.WriteAsync(buffer.AsMemory(0, bytes), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
