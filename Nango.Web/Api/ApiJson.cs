using System.Globalization;

namespace Nango.Web.Api;

/// <summary>Timestamp formats as Nango's clients see them.</summary>
public static class ApiJson
{
    /// <summary>JavaScript's <c>toISOString()</c>: milliseconds and Z.</summary>
    public static string IsoString(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Postgres <c>to_json(timestamptz)</c>: microseconds and +00:00, used by <c>GET /connections/:id</c>.</summary>
    public static string PostgresTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);

    public static string? PostgresTimestamp(DateTimeOffset? value) => value is { } v ? PostgresTimestamp(v) : null;

    /// <summary>Nango's headers and query flags are the strings "true"/"false".</summary>
    public static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) || value == "1";
}
