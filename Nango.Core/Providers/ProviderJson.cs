using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>
/// Lenient readers for catalog JSON. Catalog files come from outside (Nango's file, operators' extra files), so a
/// value of an unexpected shape reads as absent instead of failing the whole catalog.
/// </summary>
internal static class ProviderJson
{
    /// <summary>A scalar as text: strings as they are, numbers in invariant form, booleans as <c>true</c>/<c>false</c>.</summary>
    public static string? String(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }
        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.TryGetValue<long>(out var integer)
                ? integer.ToString(CultureInfo.InvariantCulture)
                : value.TryGetValue<double>(out var number) ? number.ToString("R", CultureInfo.InvariantCulture) : value.ToJsonString(),
            _ => null,
        };
    }

    public static bool? Bool(JsonNode? node) => node is JsonValue value
        ? value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => bool.TryParse(value.GetValue<string>(), out var parsed) ? parsed : null,
            _ => null,
        }
        : null;

    public static long? Long(JsonNode? node) =>
        String(node) is { } text && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;

    public static int? Int(JsonNode? node) => Long(node) is { } value && value is >= int.MinValue and <= int.MaxValue ? (int)value : null;

    /// <summary>An array of scalars; a lone scalar counts as a one-element list.</summary>
    public static IReadOnlyList<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(String).OfType<string>().ToList(),
        JsonValue => String(node) is { } single ? [single] : [],
        _ => [],
    };

    /// <summary>An object of scalars, in file order; nested objects and arrays are left out.</summary>
    public static IReadOnlyDictionary<string, string> StringMap(JsonNode? node)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (String(value) is { } text)
                {
                    result[key] = text;
                }
            }
        }
        return result;
    }

    /// <summary>A detached copy of an object, or an empty object, so the typed view never aliases <c>Raw</c>.</summary>
    public static JsonObject Object(JsonNode? node) => node is JsonObject obj ? (JsonObject)obj.DeepClone() : [];
}
