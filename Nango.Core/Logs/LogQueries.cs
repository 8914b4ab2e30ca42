namespace Nango.Core.Logs;

/// <summary>A search over operations. Empty lists mean "any"; Nango's <c>all</c> is accepted too.</summary>
public sealed record LogOperationSearch
{
    public IReadOnlyList<string> States { get; init; } = [];

    /// <summary><c>type</c> (every action of it) or <c>type:action</c>.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>Integration unique keys.</summary>
    public IReadOnlyList<string> Integrations { get; init; } = [];

    /// <summary>Connection ids (the external ones).</summary>
    public IReadOnlyList<string> Connections { get; init; } = [];

    /// <summary>Sync or action names.</summary>
    public IReadOnlyList<string> Functions { get; init; } = [];

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    /// <summary>Words that must all appear in the operation's own text or in one of its messages.</summary>
    public string? Search { get; init; }

    /// <summary>From the previous page's <see cref="LogOperationPage.NextCursor"/>.</summary>
    public string? Cursor { get; init; }

    public int Limit { get; init; } = 50;
}

/// <summary>Newest first (created_at desc, id desc); <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record LogOperationPage(IReadOnlyList<LogOperationRow> Items, long Total, string? NextCursor);

/// <summary>
/// Messages of one operation, newest first. <see cref="CursorAfter"/> pages towards older messages;
/// <see cref="CursorBefore"/> asks for messages newer than a page (live tail). At most one of the two.
/// </summary>
public sealed record LogMessageSearch
{
    public required Guid OperationId { get; init; }

    public IReadOnlyList<string> Levels { get; init; } = [];

    public string? Search { get; init; }

    public string? CursorBefore { get; init; }

    public string? CursorAfter { get; init; }

    public int Limit { get; init; } = 100;
}

/// <param name="Items">Newest first.</param>
/// <param name="Total">Messages of the operation that match the levels and search, on every page.</param>
/// <param name="CursorBefore">Of the newest item: pass it back to get newer messages; null when the page is empty.</param>
/// <param name="CursorAfter">Of the oldest item, when older messages exist.</param>
public sealed record LogMessagePage(IReadOnlyList<LogMessageRow> Items, long Total, string? CursorBefore, string? CursorAfter);

public enum LogFilterCategory
{
    Integration,
    Connection,
    Function,
}

public sealed record LogFilterQuery
{
    public required LogFilterCategory Category { get; init; }

    /// <summary>Keeps values starting with this text (case-insensitive).</summary>
    public string? Prefix { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public int Limit { get; init; } = 100;
}

/// <summary>A value for a filter picker and how many operations carry it.</summary>
public sealed record LogFilterValue(string Key, long Count);

public enum LogBucketSize
{
    Hour,
    Day,
}

public sealed record LogHistogramQuery
{
    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public LogBucketSize Bucket { get; init; } = LogBucketSize.Hour;

    /// <summary>Same syntax as <see cref="LogOperationSearch.Types"/>; empty for every type.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];
}

/// <summary>Operations of one type created in one bucket. <see cref="Running"/> counts waiting ones too.</summary>
public sealed record LogHistogramBucket(
    DateTimeOffset Start,
    string Type,
    long Total,
    long Success,
    long Failed,
    long Cancelled,
    long Timeout,
    long Running);

/// <summary>Parsed <c>type</c> / <c>type:action</c> filter values.</summary>
internal static class LogTypeFilter
{
    public static (List<string> Types, List<(string Type, string Action)> Kinds) Parse(IReadOnlyList<string> values)
    {
        var types = new List<string>();
        var kinds = new List<(string, string)>();
        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value) || value == "all")
            {
                continue;
            }
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                types.Add(value);
            }
            else
            {
                kinds.Add((value[..colon], value[(colon + 1)..]));
            }
        }
        return (types, kinds);
    }

    public static List<string> WithoutAll(IReadOnlyList<string> values) =>
        values.Where(v => !string.IsNullOrWhiteSpace(v) && v != "all").Distinct(StringComparer.Ordinal).ToList();
}
