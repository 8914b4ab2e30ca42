using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Nango.Runner.Host;

/// <summary>
/// A growable UTF-8 buffer for writing JSON text by hand, byte for byte as <c>JSON.stringify</c> writes it, which
/// <see cref="System.Text.Json.Utf8JsonWriter"/> does not (it escapes more, and it cannot take back what it wrote).
/// <see cref="Truncate"/> takes back a value that turned out to have no JSON text or to need Jint's own serializer.
/// Its bytes come from the shared array pool (a sync's chunks are about 1 MB each, one after the other): dispose it
/// once they are sent.
/// </summary>
internal sealed class JsonBuffer(int capacity) : IBufferWriter<byte>, IDisposable
{
    /// <summary>The characters JSON escapes. Surrogates (pairs are copied, lone halves escaped) are looked for apart: a set
    /// of ASCII characters alone is searched with vector instructions, one with the 2,048 surrogates is not.</summary>
    private static readonly SearchValues<char> Escaped = SearchValues.Create(EscapedCharacters());

    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _bytes.AsSpan(0, Length);

    public ReadOnlyMemory<byte> WrittenMemory => _bytes.AsMemory(0, Length);

    public void Truncate(int length) => Length = length;

    public void Dispose()
    {
        var bytes = _bytes;
        _bytes = [];
        Length = 0;
        if (bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    public void Write(byte value)
    {
        Reserve(1)[0] = value;
        Length++;
    }

    public void Write(ReadOnlySpan<byte> value)
    {
        value.CopyTo(Reserve(value.Length));
        Length += value.Length;
    }

    public void WriteInteger(long value)
    {
        Utf8Formatter.TryFormat(value, Reserve(20), out var written);
        Length += written;
    }

    /// <summary>The bytes in base64, unquoted.</summary>
    public void WriteBase64(ReadOnlySpan<byte> value)
    {
        Base64.EncodeToUtf8(value, Reserve(Base64.GetMaxEncodedToUtf8Length(value.Length)), out _, out var written);
        Length += written;
    }

    /// <summary>Text known to be ASCII, as it is.</summary>
    public void WriteAscii(string value)
    {
        Length += Encoding.ASCII.GetBytes(value, Reserve(value.Length));
    }

    /// <summary>The string as a JSON string literal, escaped as JSON.stringify escapes (QuoteJSONString): <c>"</c>,
    /// <c>\</c>, control characters and lone surrogates, with lower-case hex; everything else as UTF-8. Answers
    /// whether the string held a lone surrogate, which has no UTF-8 and so no text Nango.Web could name a record by.</summary>
    public bool WriteString(ReadOnlySpan<char> value)
    {
        var loneSurrogate = false;
        Write((byte)'"');
        while (true)
        {
            var next = NextSpecial(value);
            var plain = next < 0 ? value : value[..next];
            if (!plain.IsEmpty)
            {
                Length += Encoding.UTF8.GetBytes(plain, Reserve(Encoding.UTF8.GetMaxByteCount(plain.Length)));
            }
            if (next < 0)
            {
                break;
            }
            var c = value[next];
            var consumed = 1;
            switch (c)
            {
                case '"':
                    Write("\\\""u8);
                    break;
                case '\\':
                    Write("\\\\"u8);
                    break;
                case '\b':
                    Write("\\b"u8);
                    break;
                case '\f':
                    Write("\\f"u8);
                    break;
                case '\n':
                    Write("\\n"u8);
                    break;
                case '\r':
                    Write("\\r"u8);
                    break;
                case '\t':
                    Write("\\t"u8);
                    break;
                default:
                    if (char.IsHighSurrogate(c) && next + 1 < value.Length && char.IsLowSurrogate(value[next + 1]))
                    {
                        Length += Encoding.UTF8.GetBytes(value.Slice(next, 2), Reserve(4));
                        consumed = 2;
                    }
                    else
                    {
                        loneSurrogate |= char.IsSurrogate(c);
                        Write("\\u"u8);
                        Utf8Formatter.TryFormat((ushort)c, Reserve(4), out _, new StandardFormat('x', 4));
                        Length += 4;
                    }
                    break;
            }
            value = value[(next + consumed)..];
        }
        Write((byte)'"');
        return loneSurrogate;
    }

    public void Advance(int count) => Length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(Math.Max(sizeHint, 1));
        return _bytes.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(Math.Max(sizeHint, 1));

    private Span<byte> Reserve(int count)
    {
        if (_bytes.Length - Length < count)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_bytes.Length * 2, Length + count));
            _bytes.AsSpan(0, Length).CopyTo(larger);
            if (_bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_bytes);
            }
            _bytes = larger;
        }
        return _bytes.AsSpan(Length);
    }

    /// <summary>Where the first character <see cref="WriteString"/> cannot copy as it is sits, or -1.</summary>
    private static int NextSpecial(ReadOnlySpan<char> value)
    {
        var escaped = value.IndexOfAny(Escaped);
        var surrogate = (escaped < 0 ? value : value[..escaped]).IndexOfAnyInRange('\uD800', '\uDFFF');
        return surrogate >= 0 ? surrogate : escaped;
    }

    private static string EscapedCharacters()
    {
        var characters = new StringBuilder("\"\\");
        for (var c = '\0'; c < ' '; c++)
        {
            characters.Append(c);
        }
        return characters.ToString();
    }
}
