using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Common;

namespace Nango.Web.Api;

/// <summary>
/// Reads a JSON body field by field the way Nango's zod schemas do: unknown keys in a strict object, wrong
/// types, missing required fields and length limits each become one issue with the field's path and zod's
/// wording, instead of one opaque binding failure. Every method records its problems and returns null.
/// </summary>
public sealed class JsonBodyReader
{
    public List<ValidationError> Errors { get; } = [];

    /// <summary>
    /// The body as a case-sensitive object tree. Binding straight to <see cref="JsonObject"/> would inherit
    /// the web defaults' case-insensitive names, so <c>{"Team":…,"team":…}</c> would throw instead of being two
    /// keys; and a repeated key keeps its last value, as JavaScript's <c>JSON.parse</c> does.
    /// </summary>
    public static JsonNode? ToNode(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToObject(element),
        JsonValueKind.Array => new JsonArray(element.EnumerateArray().Select(ToNode).ToArray()),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(element),
    };

    private static JsonObject ToObject(JsonElement element)
    {
        var result = new JsonObject();
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = ToNode(property.Value);
        }
        return result;
    }

    /// <summary>The body as an object, or null with an issue at the root when it is some other JSON value.</summary>
    public JsonObject? ReadBody(JsonElement body)
    {
        var node = ToNode(body);
        if (node is JsonObject value)
        {
            return value;
        }
        Errors.Add(TypeError("object", node, []));
        return null;
    }

    public bool HasErrors => Errors.Count > 0;

    /// <summary>zod's <c>.strict()</c>: any key outside <paramref name="allowed"/> is an issue at the object's path.</summary>
    public void RejectUnknownKeys(JsonObject value, IReadOnlyCollection<string> allowed, params object[] path)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(allowed);
        var unknown = value.Select(p => p.Key).Where(k => !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            var noun = unknown.Count == 1 ? "key" : "keys";
            Errors.Add(new ValidationError("unrecognized_keys", $"Unrecognized {noun}: {string.Join(", ", unknown.Select(k => $"\"{k}\""))}", path));
        }
    }

    public string? ReadString(JsonObject parent, string key, object[] path, bool required = false, int minLength = 0, int maxLength = int.MaxValue)
    {
        var at = At(path, key);
        if (!Present(parent, key, at, "string", required, out var node))
        {
            return null;
        }
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
        {
            Errors.Add(TypeError("string", node, at));
            return null;
        }
        var text = v.GetValue<string>();
        if (text.Length < minLength)
        {
            Errors.Add(new ValidationError("too_small", $"Too small: expected string to have >={minLength} characters", at));
            return null;
        }
        if (text.Length > maxLength)
        {
            Errors.Add(new ValidationError("too_big", $"Too big: expected string to have <={maxLength} characters", at));
            return null;
        }
        return text;
    }

    /// <summary>A string that must also pass <paramref name="isValid"/> (a regex, a URL check), reported as <c>invalid_format</c>.</summary>
    public string? ReadFormattedString(JsonObject parent, string key, object[] path, Func<string, bool> isValid, string message, bool required = false)
    {
        ArgumentNullException.ThrowIfNull(isValid);
        var text = ReadString(parent, key, path, required);
        if (text is not null && !isValid(text))
        {
            Errors.Add(new ValidationError("invalid_format", message, At(path, key)));
            return null;
        }
        return text;
    }

    public JsonObject? ReadObject(JsonObject parent, string key, object[] path, bool required = false)
    {
        var at = At(path, key);
        if (!Present(parent, key, at, "object", required, out var node))
        {
            return null;
        }
        if (node is not JsonObject value)
        {
            Errors.Add(TypeError("object", node, at));
            return null;
        }
        return value;
    }

    public List<string>? ReadStringArray(JsonObject parent, string key, object[] path, Func<string, bool> isValid, string message)
    {
        ArgumentNullException.ThrowIfNull(isValid);
        var at = At(path, key);
        if (!Present(parent, key, at, "array", required: false, out var node))
        {
            return null;
        }
        if (node is not JsonArray array)
        {
            Errors.Add(TypeError("array", node, at));
            return null;
        }
        var result = new List<string>();
        var valid = true;
        for (var index = 0; index < array.Count; index++)
        {
            object[] itemPath = [.. at, index];
            if (array[index] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                var text = v.GetValue<string>();
                if (isValid(text))
                {
                    result.Add(text);
                    continue;
                }
                Errors.Add(new ValidationError("invalid_format", message, itemPath));
            }
            else
            {
                Errors.Add(TypeError("string", array[index], itemPath));
            }
            valid = false;
        }
        return valid ? result : null;
    }

    /// <summary>zod's <c>record(string, string)</c>.</summary>
    public Dictionary<string, string>? ReadStringMap(JsonObject parent, string key, object[] path)
    {
        var value = ReadObject(parent, key, path);
        if (value is null)
        {
            return null;
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var valid = true;
        foreach (var (name, node) in value)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                result[name] = v.GetValue<string>();
            }
            else
            {
                Errors.Add(TypeError("string", node, At(At(path, key), name)));
                valid = false;
            }
        }
        return valid ? result : null;
    }

    /// <summary>zod's <c>coerce.date()</c>: an ISO string or epoch milliseconds.</summary>
    public DateTimeOffset? ReadDate(JsonObject parent, string key, object[] path, bool required = false)
    {
        var at = At(path, key);
        if (!Present(parent, key, at, "date", required, out var node))
        {
            return null;
        }
        if (node is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.String
                && DateTimeOffset.TryParse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                return parsed;
            }
            if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var milliseconds)
                && milliseconds is >= -62_135_596_800_000 and <= 253_402_300_799_999)
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
            }
        }
        Errors.Add(new ValidationError("invalid_type", "Invalid input: expected date, received Date", at));
        return null;
    }

    public void Add(ValidationError error) => Errors.Add(error);

    public void AddRange(IEnumerable<ValidationError> errors) => Errors.AddRange(errors);

    public static object[] At(object[] path, object key) => [.. path, key];

    private bool Present(JsonObject parent, string key, object[] at, string expected, bool required, out JsonNode? node)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (!parent.TryGetPropertyValue(key, out node))
        {
            if (required)
            {
                Errors.Add(new ValidationError("invalid_type", $"Invalid input: expected {expected}, received undefined", at));
            }
            return false;
        }
        return true;
    }

    /// <summary>zod's wording for a value of the wrong type, shared by every body parser.</summary>
    public static ValidationError TypeError(string expected, JsonNode? node, object[] path) =>
        new("invalid_type", $"Invalid input: expected {expected}, received {TypeName(node)}", path);

    private static string TypeName(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "unknown",
        },
        _ => "unknown",
    };
}
