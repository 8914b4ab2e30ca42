using Nango.Core.Logs;

namespace Nango.Tests.Unit.Logs;

public sealed class LogCursorTests
{
    [Fact]
    public void A_cursor_round_trips_to_the_microsecond()
    {
        var cursor = new LogCursor(new DateTimeOffset(2026, 11, 27, 10, 30, 15, TimeSpan.Zero).AddTicks(1_234_560), Guid.CreateVersion7());

        var encoded = cursor.Encode();

        Assert.True(LogCursor.TryDecode(encoded, out var decoded));
        Assert.Equal(cursor, decoded);
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.DoesNotContain('=', encoded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("not a cursor at all!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Garbage_is_refused(string value)
    {
        Assert.False(LogCursor.TryDecode(value, out _));
        if (value.Length > 0)
        {
            Assert.Throws<ArgumentException>(() => LogCursor.Parse(value));
        }
    }
}

public sealed class LogIdsTests
{
    [Fact]
    public void Ids_are_uuid_version_7_with_the_time_in_front_and_sort_by_time()
    {
        var at = new DateTimeOffset(2026, 11, 27, 10, 30, 15, 123, TimeSpan.Zero);

        var id = LogIds.Create(at);
        var later = LogIds.Create(at.AddMilliseconds(1));

        Assert.Equal(7, id.Version);
        Assert.Equal(Guid.CreateVersion7(at).ToString()[..13], id.ToString()[..13]);
        Assert.True(string.CompareOrdinal(id.ToString(), later.ToString()) < 0);
        Assert.NotEqual(id, LogIds.Create(at));
        Assert.InRange(id.Variant, 8, 11);
    }
}
