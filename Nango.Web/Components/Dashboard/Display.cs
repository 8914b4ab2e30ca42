using System.Globalization;

namespace Nango.Web.Components.Dashboard;

/// <summary>How the dashboard writes dates: the server does not know the viewer's time zone, so UTC, said so.</summary>
public static class Display
{
    public static string Date(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Date(DateTimeOffset? value, string none = "—") => value is { } v ? Date(v) : none;

    public const string Mask = "••••••••";

    /// <summary>"in 45 s", "in 3 min", "in 2 h", "in 3 d", "now", or "5 min ago" for the past; the exact time belongs in a tooltip.</summary>
    public static string Relative(DateTimeOffset at, DateTimeOffset now)
    {
        var span = at - now;
        if (span.Duration() <= TimeSpan.FromSeconds(1))
        {
            return "now";
        }
        var amount = span.Duration();
        var text = amount.TotalSeconds < 60
            ? $"{Math.Ceiling(amount.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s"
            : amount.TotalMinutes < 60
                ? $"{Math.Ceiling(amount.TotalMinutes).ToString(CultureInfo.InvariantCulture)} min"
                : amount.TotalHours < 48
                    ? $"{Math.Round(amount.TotalHours, 1).ToString(CultureInfo.InvariantCulture)} h"
                    : $"{Math.Round(amount.TotalDays).ToString(CultureInfo.InvariantCulture)} d";
        return span > TimeSpan.Zero ? "in " + text : text + " ago";
    }
}
