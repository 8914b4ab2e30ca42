using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Nango.Core.Records;

/// <summary>
/// Nango's records cursor: base64 of <c>"&lt;last_modified_at&gt;||&lt;record uuid&gt;"</c>, the timestamp as Postgres'
/// <c>to_json(timestamptz)</c> writes it in UTC (<c>2024-05-01T10:00:00.123456+00:00</c>, trailing zeros dropped).
/// </summary>
public static class RecordCursor
{
    /// <summary>The longest cursor, in bytes: base64 of a 32-byte timestamp, "||" and a 36-character uuid.</summary>
    public const int MaxEncodedLength = 96;

    public static string Encode(DateTimeOffset updatedAt, Guid id)
    {
        Span<byte> encoded = stackalloc byte[MaxEncodedLength];
        return Encoding.ASCII.GetString(encoded[..EncodeUtf8(updatedAt, id, encoded)]);
    }

    /// <summary>Writes the cursor's base64 text (ASCII) to <paramref name="destination"/>; returns its length.</summary>
    public static int EncodeUtf8(DateTimeOffset updatedAt, Guid id, Span<byte> destination)
    {
        Span<byte> text = stackalloc byte[80];
        var length = WriteTimestamp(text, updatedAt);
        "||"u8.CopyTo(text[length..]);
        length += 2;
        id.TryFormat(text[length..], out var written, "D");
        length += written;
        Base64.EncodeToUtf8(text[..length], destination, out _, out var encoded);
        return encoded;
    }

    /// <summary>Decodes a cursor; false for anything that is not one (the API answers 400).</summary>
    public static bool TryDecode(string? cursor, out DateTimeOffset updatedAt, out Guid id)
    {
        updatedAt = default;
        id = default;
        if (string.IsNullOrEmpty(cursor) || cursor.Length > 1000)
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[Base64.GetMaxDecodedFromUtf8Length(cursor.Length)];
        if (!Convert.TryFromBase64String(cursor, bytes, out var length))
        {
            return false;
        }
        var text = Encoding.ASCII.GetString(bytes[..length]);
        var parts = text.Split("||");
        return parts.Length == 2
            && DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out updatedAt)
            && parts[0].Contains('T', StringComparison.Ordinal)
            && Guid.TryParseExact(parts[1], "D", out id);
    }

    /// <summary>The timestamp as Postgres' <c>to_json</c> renders a timestamptz in a UTC session; returns the bytes written.</summary>
    public static int WriteTimestamp(Span<byte> destination, DateTimeOffset value)
    {
        value.UtcDateTime.TryFormat(destination, out var written, "yyyy-MM-dd'T'HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture);
        "+00:00"u8.CopyTo(destination[written..]);
        return written + 6;
    }

    public static string FormatTimestamp(DateTimeOffset value)
    {
        Span<byte> text = stackalloc byte[40];
        return Encoding.ASCII.GetString(text[..WriteTimestamp(text, value)]);
    }
}
