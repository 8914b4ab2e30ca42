using System.Globalization;
using System.Text.RegularExpressions;

namespace Nango.Core.Syncs.Schedules;

/// <summary>The outcome of reading a frequency: its length, or why it is refused.</summary>
public sealed record FrequencyResult(int Seconds, string Interval, string? Error)
{
    public bool IsValid => Error is null;
}

/// <summary>
/// Nango's sync frequency (<c>runs</c>, <c>every hour</c>, <c>30m</c>, <c>every 2 hours</c>). The text first has to
/// match the API's pattern (reference §0.4); then, as Nango does, a few phrases map to fixed intervals
/// (<c>every half day</c> = 12h, <c>every half hour</c> = 30m, <c>every quarter hour</c> = 15m, <c>every hour</c>,
/// <c>every day</c>, <c>every week</c> = 7d, <c>every month</c> = 30d), any other text loses its first <c>every </c>
/// and is read by the rules of the <c>ms</c> package (a number, optional spaces, an optional unit; no unit means
/// milliseconds). Accepted: 30 seconds to 31 days.
/// </summary>
public static partial class SyncFrequency
{
    public const int MinSeconds = 30;
    public const int MaxSeconds = 31 * 24 * 60 * 60;

    private static readonly Dictionary<string, string> _phrases = new(StringComparer.Ordinal)
    {
        ["every half day"] = "12h",
        ["every half hour"] = "30m",
        ["every quarter hour"] = "15m",
        ["every hour"] = "1h",
        ["every day"] = "1d",
        ["every month"] = "30d",
        ["every week"] = "7d",
    };

    /// <summary>The API's frequency pattern (reference §0.4), as the deploy and the frequency override check it.</summary>
    [GeneratedRegex(@"^(every )?((\d+)?\s?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)|(month|week|half day|half hour|quarter hour))$")]
    public static partial Regex Pattern();

    /// <summary>What the <c>ms</c> package accepts (case-insensitive, at most 100 characters).</summary>
    [GeneratedRegex(@"^(?<value>-?(?:\d+)?\.?\d+) *(?<unit>milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$", RegexOptions.IgnoreCase)]
    private static partial Regex MsPattern();

    public static FrequencyResult Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || !Pattern().IsMatch(text))
        {
            return new FrequencyResult(0, "", "Invalid frequency: use e.g. 'every hour', 'every 30 minutes', '30m' or '1d'");
        }
        // As JavaScript's String.replace with a string: the first occurrence only, wherever it is.
        var interval = _phrases.TryGetValue(text, out var fixedInterval) ? fixedInterval : ReplaceFirst(text, "every ", "");
        var milliseconds = Milliseconds(interval);
        if (milliseconds is not > 0)
        {
            return new FrequencyResult(0, interval, $"Invalid frequency '{text}': it does not name a duration");
        }
        if (milliseconds < MinSeconds * 1000d)
        {
            return new FrequencyResult(0, interval, $"Frequency '{text}' is too short: the minimum is 30 seconds");
        }
        if (milliseconds > MaxSeconds * 1000d)
        {
            return new FrequencyResult(0, interval, $"Frequency '{text}' is too long: the maximum is 31 days");
        }
        return new FrequencyResult((int)Math.Ceiling(milliseconds.Value / 1000d), interval, null);
    }

    /// <summary>The <c>ms</c> package's reading of a duration text, or null when it gives NaN.</summary>
    public static double? Milliseconds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || text.Length > 100)
        {
            return null;
        }
        var match = MsPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }
        var value = double.Parse(match.Groups["value"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var unit = match.Groups["unit"].Success ? match.Groups["unit"].Value.ToLowerInvariant() : "ms";
        const double second = 1000, minute = 60 * second, hour = 60 * minute, day = 24 * hour, week = 7 * day, year = 365.25 * day;
        return unit switch
        {
            "years" or "year" or "yrs" or "yr" or "y" => value * year,
            "weeks" or "week" or "w" => value * week,
            "days" or "day" or "d" => value * day,
            "hours" or "hour" or "hrs" or "hr" or "h" => value * hour,
            "minutes" or "minute" or "mins" or "min" or "m" => value * minute,
            "seconds" or "second" or "secs" or "sec" or "s" => value * second,
            _ => value,
        };
    }

    private static string ReplaceFirst(string text, string find, string replacement)
    {
        var at = text.IndexOf(find, StringComparison.Ordinal);
        return at < 0 ? text : string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + find.Length));
    }
}
