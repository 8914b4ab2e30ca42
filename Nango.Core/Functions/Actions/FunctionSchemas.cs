using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Nango.Core.Common;

namespace Nango.Core.Functions.Actions;

/// <summary>
/// Checks action input and output against the JSON schema the CLI deployed with the function
/// (<c>{"definitions":{"ModelName":{…}}}</c>, from the script's zod models). Compiled schemas are cached per schema text.
/// </summary>
public static class FunctionSchemas
{
    private static readonly ConcurrentDictionary<string, JsonSchema> _compiled = new(StringComparer.Ordinal);

    /// <summary>The problems of <paramref name="value"/> against model <paramref name="model"/>; none when the function declared no such model.</summary>
    public static IReadOnlyList<ValidationError> Validate(JsonObject? jsonSchema, string? model, JsonNode? value)
    {
        if (jsonSchema?["definitions"] is not JsonObject definitions || string.IsNullOrEmpty(model) || definitions[model] is null)
        {
            return [];
        }
        var text = jsonSchema.ToJsonString();
        var schema = _compiled.GetOrAdd(model + "\n" + text, _ => JsonSchema.FromText(
            new JsonObject { ["$ref"] = "#/definitions/" + model, ["definitions"] = definitions.DeepClone() }.ToJsonString()));
        var instance = value is null ? JsonDocument.Parse("null").RootElement : JsonSerializer.SerializeToElement(value);
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid)
        {
            return [];
        }
        var errors = new List<ValidationError>();
        foreach (var detail in result.Details ?? [])
        {
            foreach (var (keyword, message) in detail.Errors ?? new Dictionary<string, string>())
            {
                errors.Add(new ValidationError(keyword, message, Path(detail.InstanceLocation.ToString())));
            }
        }
        return errors.Count > 0 ? errors : [new ValidationError("invalid", "The value does not match the model.", [])];
    }

    /// <summary>A JSON pointer as Nango's error path: property names and array indexes.</summary>
    private static List<object> Path(string pointer) => pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))
        .Select(p => int.TryParse(p, out var index) ? (object)index : p)
        .ToList();
}
