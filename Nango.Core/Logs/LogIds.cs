namespace Nango.Core.Logs;

/// <summary>
/// UUID version 7 (RFC 9562: 48-bit Unix milliseconds, version, variant, 74 random bits), the layout of
/// <see cref="Guid.CreateVersion7(DateTimeOffset)"/>. Built here because Guid.CreateVersion7 draws its random
/// bits from the OS generator (about 1.7 µs per id on Linux, most of the cost of a log call); log ids need
/// uniqueness and time order, not unpredictability, so <see cref="Random.Shared"/> is enough.
/// </summary>
public static class LogIds
{
    public static Guid Create(DateTimeOffset at)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        var milliseconds = at.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(milliseconds >> (8 * (5 - i)));
        }
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
