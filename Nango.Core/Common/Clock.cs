namespace Nango.Core.Common;

public static class Clock
{
    /// <summary>Postgres keeps microseconds; trimming here keeps what we return equal to what we later read back.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % 10), value.Offset);
}
