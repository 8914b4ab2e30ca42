using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Nango.Core.Logs;

/// <summary>
/// Keyset position (created_at, id) as an opaque URL-safe string. Opaque so clients cannot build one that
/// skips the environment check: the position alone grants nothing, every query is still scoped.
/// </summary>
public readonly record struct LogCursor(DateTimeOffset CreatedAt, Guid Id)
{
    private const int Length = 8 + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, CreatedAt.UtcTicks);
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryDecode(string? value, out LogCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(value) || value.Length > 64)
        {
            return false;
        }
        var base64 = value.Replace('-', '+').Replace('_', '/');
        base64 += (base64.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        Span<byte> bytes = stackalloc byte[48];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != Length)
        {
            return false;
        }
        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            return false;
        }
        cursor = new LogCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[8..Length], bigEndian: true));
        return true;
    }

    /// <summary>Decodes or throws <see cref="ArgumentException"/> naming the parameter (bad input, not a bug).</summary>
    public static LogCursor? Parse(string? value, [CallerArgumentExpression(nameof(value))] string? parameter = null)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        return TryDecode(value, out var cursor) ? cursor : throw new ArgumentException("Invalid cursor.", parameter);
    }
}
