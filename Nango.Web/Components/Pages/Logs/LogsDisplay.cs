using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MudBlazor;
using Nango.Core.Logs;

namespace Nango.Web.Components.Pages.Logs;

/// <summary>How the Logs views write times, durations, states and levels (UTC, like the rest of the dashboard).</summary>
public static class LogsDisplay
{
    public static string Time(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("MMM dd, HH:mm:ss", CultureInfo.InvariantCulture);

    public static string PreciseTime(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    public static string PreciseTime(DateTimeOffset? value) => value is { } v ? PreciseTime(v) : "—";

    public static string Duration(long? milliseconds)
    {
        if (milliseconds is not { } ms)
        {
            return "—";
        }
        if (ms < 1000)
        {
            return ms.ToString(CultureInfo.InvariantCulture) + " ms";
        }
        var span = TimeSpan.FromMilliseconds(ms);
        return span.TotalMinutes < 1
            ? span.TotalSeconds.ToString("0.##", CultureInfo.InvariantCulture) + " s"
            : span.TotalHours < 1
                ? $"{(int)span.TotalMinutes}m {span.Seconds}s"
                : $"{(int)span.TotalHours}h {span.Minutes}m";
    }

    public static Color StateColor(string state) => state switch
    {
        OperationStates.Success => Color.Success,
        OperationStates.Failed => Color.Error,
        OperationStates.Timeout => Color.Warning,
        OperationStates.Running => Color.Info,
        _ => Color.Default,
    };

    public static Color LevelColor(string level) => level switch
    {
        MessageLevels.Error => Color.Error,
        MessageLevels.Warn => Color.Warning,
        MessageLevels.Info => Color.Info,
        _ => Color.Default,
    };

    public static Color HttpStatusColor(int code) => code switch
    {
        >= 500 => Color.Error,
        >= 400 => Color.Warning,
        >= 200 and < 300 => Color.Success,
        _ => Color.Default,
    };

    /// <summary>A body as JSON when it parses as JSON (to be pretty-printed), otherwise null.</summary>
    public static JsonNode? TryParseJson(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] is not ('{' or '['))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
