using System.Globalization;

namespace Nango.Web.Components.Dashboard;

/// <summary>How the dashboard writes dates: the server does not know the viewer's time zone, so UTC, said so.</summary>
public static class Display
{
    public static string Date(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Date(DateTimeOffset? value, string none = "—") => value is { } v ? Date(v) : none;

    public const string Mask = "••••••••";
}
