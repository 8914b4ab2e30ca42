using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Core.Common;

/// <summary>Helpers for the jsonb columns that hold free-form objects.</summary>
public static class JsonObjects
{
    public static JsonObject Parse(string? json) =>
        string.IsNullOrWhiteSpace(json) ? [] : JsonNode.Parse(json) as JsonObject ?? [];

    public static string Serialize(JsonNode? node) => node?.ToJsonString() ?? "{}";

    public static string Serialize(IReadOnlyDictionary<string, string>? values) =>
        JsonSerializer.Serialize(values ?? new Dictionary<string, string>());

    public static Dictionary<string, string> ParseStringMap(string? json) =>
        string.IsNullOrWhiteSpace(json) ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
}
