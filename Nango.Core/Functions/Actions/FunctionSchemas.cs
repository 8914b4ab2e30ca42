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
    /// <summary>Compiled per (model, schema text); null when the schema declares no such model.</summary>
    private static readonly ConcurrentDictionary<(string Model, string Text), JsonSchema?> _compiled = new();

    /// <summary>
    /// The problems of <paramref name="value"/> against model <paramref name="model"/> of the schema as stored (its
    /// text, so the hot path never serializes it again); none when the function declared no such model.
    /// </summary>
    public static IReadOnlyList<ValidationError> Validate(string? jsonSchema, string? model, JsonNode? value)
    {
        if (string.IsNullOrEmpty(jsonSchema) || string.IsNullOrEmpty(model) || _compiled.GetOrAdd((model, jsonSchema), static key => Compile(key.Model, key.Text)) is not { } schema)
        {
            return [];
        }
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

    private static JsonSchema? Compile(string model, string text)
    {
        if (JsonNode.Parse(text) is not JsonObject { } root || root["definitions"] is not JsonObject definitions || definitions[model] is null)
        {
            return null;
        }
        // Draft 2020-12 names the section $defs (the validator refuses the older "definitions"); references move with it.
        return JsonSchema.FromText(
            new JsonObject { ["$ref"] = "#/$defs/" + model, ["$defs"] = definitions.DeepClone() }.ToJsonString()
                .Replace("\"#/definitions/", "\"#/$defs/", StringComparison.Ordinal));
    }

    /// <summary>A JSON pointer as Nango's error path: property names and array indexes.</summary>
    private static List<object> Path(string pointer) => pointer.Split('/', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))
        .Select(p => int.TryParse(p, out var index) ? (object)index : p)
        .ToList();
}
