using System.Globalization;
using Nango.Core.Logs;

namespace Nango.Web.Components.Pages.Logs;

/// <summary>A period choice of the Logs page: a window ending now, or <c>custom</c> with explicit bounds.</summary>
public sealed record LogsPeriod(string Key, string Label, TimeSpan? Span)
{
    public const string Custom = "custom";

    public const string DefaultKey = "24h";

    public static readonly IReadOnlyList<LogsPeriod> All =
    [
        new("15m", "Last 15 minutes", TimeSpan.FromMinutes(15)),
        new("1h", "Last hour", TimeSpan.FromHours(1)),
        new("24h", "Last 24 hours", TimeSpan.FromHours(24)),
        new("7d", "Last 7 days", TimeSpan.FromDays(7)),
        new(Custom, "Custom range", null),
    ];

    public static LogsPeriod Find(string? key) =>
        All.FirstOrDefault(p => p.Key == key) ?? All.First(p => p.Key == DefaultKey);
}

/// <summary>
/// Everything that decides which operations the Logs page lists, read from and written to the query string,
/// so a copied link shows the same view. The open operation and the live toggle are not part of it: opening
/// the drawer or pausing the tail must not reload the list.
/// </summary>
public sealed record LogsView
{
    public IReadOnlyList<string> States { get; init; } = [];

    public IReadOnlyList<string> Types { get; init; } = [];

    public IReadOnlyList<string> Integrations { get; init; } = [];

    public IReadOnlyList<string> Connections { get; init; } = [];

    public IReadOnlyList<string> Functions { get; init; } = [];

    public LogsPeriod Period { get; init; } = LogsPeriod.Find(null);

    /// <summary>Bounds of a custom period (UTC); ignored for the relative ones.</summary>
    public DateTimeOffset? CustomFrom { get; init; }

    public DateTimeOffset? CustomTo { get; init; }

    public string Search { get; init; } = "";

    public bool Filtered =>
        States.Count + Types.Count + Integrations.Count + Connections.Count + Functions.Count > 0 || Search.Length > 0;

    /// <summary>Compares views by value (lists included), to tell a real filter change from a drawer change.</summary>
    public string Key => string.Join('\u001f',
        string.Join('\u001e', States), string.Join('\u001e', Types), string.Join('\u001e', Integrations),
        string.Join('\u001e', Connections), string.Join('\u001e', Functions), Period.Key,
        FormatDate(CustomFrom), FormatDate(CustomTo), Search);

    /// <summary>The window to search now; <c>To</c> is null while the period is still open (it ends now and keeps moving).</summary>
    public (DateTimeOffset? From, DateTimeOffset? To) Range(DateTimeOffset now) =>
        Period.Span is { } span ? (now - span, null) : (CustomFrom, CustomTo);

    public LogOperationSearch ToSearch(DateTimeOffset now, int limit, string? cursor = null, DateTimeOffset? since = null)
    {
        var (from, to) = Range(now);
        if (since is { } s && (from is null || s > from))
        {
            from = s;
        }
        return new LogOperationSearch
        {
            States = States,
            Types = Types,
            Integrations = Integrations,
            Connections = Connections,
            Functions = Functions,
            From = from,
            To = to,
            Search = Search.Length == 0 ? null : Search,
            Cursor = cursor,
            Limit = limit,
        };
    }

    public static LogsView FromQuery(
        string[]? states, string[]? types, string[]? integrations, string[]? connections, string[]? functions,
        string? period, string? from, string? to, string? search) => new()
        {
            States = Clean(states).Where(OperationStates.All.Contains).ToList(),
            Types = Clean(types),
            Integrations = Clean(integrations),
            Connections = Clean(connections),
            Functions = Clean(functions),
            Period = LogsPeriod.Find(period),
            CustomFrom = ParseDate(from),
            CustomTo = ParseDate(to),
            Search = search?.Trim() ?? "",
        };

    /// <summary>Every key this view owns, null when at its default, for <c>GetUriWithQueryParameters</c>.</summary>
    public Dictionary<string, object?> ToQuery()
    {
        var custom = Period.Key == LogsPeriod.Custom;
        return new Dictionary<string, object?>
        {
            ["state"] = States.Count == 0 ? null : States.ToArray(),
            ["type"] = Types.Count == 0 ? null : Types.ToArray(),
            ["integration"] = Integrations.Count == 0 ? null : Integrations.ToArray(),
            ["connection"] = Connections.Count == 0 ? null : Connections.ToArray(),
            ["function"] = Functions.Count == 0 ? null : Functions.ToArray(),
            ["period"] = Period.Key == LogsPeriod.DefaultKey ? null : Period.Key,
            ["from"] = custom && CustomFrom is { } f ? FormatDate(f) : null,
            ["to"] = custom && CustomTo is { } t ? FormatDate(t) : null,
            ["search"] = Search.Length == 0 ? null : Search,
        };
    }

    public static string FormatDate(DateTimeOffset? value) =>
        value?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture) ?? "";

    public static DateTimeOffset? ParseDate(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;

    private static List<string> Clean(string[]? values) =>
        (values ?? []).Select(v => v.Trim()).Where(v => v.Length > 0 && v != "all").Distinct(StringComparer.Ordinal).ToList();
}
