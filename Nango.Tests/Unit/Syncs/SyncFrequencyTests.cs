using Nango.Core.Syncs.Schedules;

namespace Nango.Tests.Unit.Syncs;

/// <summary>Nango's sync frequency grammar: the API pattern, its fixed phrases, <c>ms</c>'s reading of the rest, 30 s to 31 days.</summary>
public sealed class SyncFrequencyTests
{
    [Theory]
    [InlineData("every hour", 3_600, "1h")]
    [InlineData("every day", 86_400, "1d")]
    [InlineData("every week", 604_800, "7d")]
    [InlineData("every month", 2_592_000, "30d")]
    [InlineData("every half day", 43_200, "12h")]
    [InlineData("every half hour", 1_800, "30m")]
    [InlineData("every quarter hour", 900, "15m")]
    [InlineData("every 30 minutes", 1_800, "30 minutes")]
    [InlineData("every 2 hours", 7_200, "2 hours")]
    [InlineData("every 5m", 300, "5m")]
    [InlineData("30m", 1_800, "30m")]
    [InlineData("1d", 86_400, "1d")]
    [InlineData("30s", 30, "30s")]
    [InlineData("30 seconds", 30, "30 seconds")]
    [InlineData("every 31 days", 2_678_400, "31 days")]
    [InlineData("2 hrs", 7_200, "2 hrs")]
    [InlineData("45 mins", 2_700, "45 mins")]
    [InlineData("1h", 3_600, "1h")]
    public void Accepted_frequencies_have_nangos_length(string text, int seconds, string interval)
    {
        var result = SyncFrequency.Parse(text);

        Assert.True(result.IsValid, result.Error);
        Assert.Equal(seconds, result.Seconds);
        Assert.Equal(interval, result.Interval);
    }

    [Theory]
    // Under the 30 s minimum.
    [InlineData("29s")]
    [InlineData("every 10 seconds")]
    // Over 31 days.
    [InlineData("32d")]
    [InlineData("every 745 hours")]
    // The pattern allows no number before a unit, but ms needs one: "every minute" names no duration.
    [InlineData("every minute")]
    [InlineData("hours")]
    [InlineData("every  hour")]
    // Phrases only map with "every".
    [InlineData("half day")]
    [InlineData("week")]
    // Zero is no duration.
    [InlineData("0m")]
    public void Frequencies_that_match_the_pattern_but_name_no_usable_interval_are_refused(string text)
    {
        Assert.Matches(SyncFrequency.Pattern(), text);
        Assert.False(SyncFrequency.Parse(text).IsValid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sometimes")]
    [InlineData("Every hour")]
    [InlineData("1.5h")]
    [InlineData("2w")]
    [InlineData("1 year")]
    [InlineData("every 5 minutes please")]
    [InlineData("5 minutes every")]
    public void Text_outside_the_api_pattern_is_refused(string text)
    {
        Assert.DoesNotMatch(SyncFrequency.Pattern(), text);
        Assert.False(SyncFrequency.Parse(text).IsValid);
    }

    [Theory]
    [InlineData("1500", 1_500d)]
    [InlineData("1.5h", 5_400_000d)]
    [InlineData("2 weeks", 1_209_600_000d)]
    [InlineData("1y", 31_557_600_000d)]
    [InlineData("10 MINUTES", 600_000d)]
    [InlineData(".5s", 500d)]
    public void The_ms_reading_follows_the_ms_package(string text, double milliseconds) =>
        Assert.Equal(milliseconds, SyncFrequency.Milliseconds(text));

    [Theory]
    [InlineData("minute")]
    [InlineData("5 fortnights")]
    [InlineData("5  m x")]
    public void Text_the_ms_package_cannot_read_is_not_a_duration(string text) =>
        Assert.Null(SyncFrequency.Milliseconds(text));
}
