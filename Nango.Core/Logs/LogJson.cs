using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Core.Logs;

/// <summary>JSON shapes of the structured parts of log rows, shared by both stores.</summary>
internal static class LogJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string? Headers(IReadOnlyDictionary<string, string>? headers) =>
        headers is null ? null : JsonSerializer.Serialize(headers, Options);

    public static IReadOnlyDictionary<string, string>? ParseHeaders(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(json, Options);

    public static string? Serialize<T>(T? value) where T : class =>
        value is null ? null : JsonSerializer.Serialize(value, Options);

    public static T? Deserialize<T>(string? json) where T : class =>
        json is null ? null : JsonSerializer.Deserialize<T>(json, Options);

    public static string? Node(JsonNode? node) => node?.ToJsonString();

    public static JsonObject? ParseObject(string? json) => json is null ? null : JsonNode.Parse(json) as JsonObject;

    public static JsonNode? ParseNode(string? json) => json is null ? null : JsonNode.Parse(json);
}
