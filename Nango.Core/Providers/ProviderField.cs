using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>
/// One input of a provider's <c>connection_config</c>, <c>credentials</c>, <c>integration_config</c> or
/// <c>assertion_option</c> map (Nango's simplified JSON schema). Scalars that the file states as numbers or
/// booleans (an <c>example</c> of <c>42</c>) are given as text.
/// </summary>
public sealed class ProviderField
{
    public required string Name { get; init; }

    /// <summary>Always <c>string</c> in Nango's catalog today.</summary>
    public string Type { get; init; } = "string";

    public string? Title { get; init; }

    public string? Description { get; init; }

    public string? Example { get; init; }

    /// <summary>A JavaScript regular expression the value must match.</summary>
    public string? Pattern { get; init; }

    /// <summary><c>hostname</c>, <c>uri</c>, <c>uuid</c> or <c>email</c> when set.</summary>
    public string? Format { get; init; }

    public bool Optional { get; init; }

    public int? Order { get; init; }

    public string? DefaultValue { get; init; }

    /// <summary>Shown before the input (e.g. <c>https://</c>); not part of the stored value.</summary>
    public string? Prefix { get; init; }

    /// <summary>Shown after the input (e.g. <c>.zendesk.com</c>); not part of the stored value.</summary>
    public string? Suffix { get; init; }

    /// <summary>Anchor in the provider's <c>docs_connect</c> page.</summary>
    public string? DocSection { get; init; }

    public bool Secret { get; init; }

    public bool Hidden { get; init; }

    /// <summary>Filled by Nango itself (from a token response or webhook), not asked from the user.</summary>
    public bool Automated { get; init; }

    public IReadOnlyList<string> Enum { get; init; } = [];

    public ProviderFieldCondition? VisibleWhen { get; init; }

    internal static IReadOnlyList<ProviderField> ListFrom(JsonNode? node)
    {
        if (node is not JsonObject fields)
        {
            return [];
        }
        var result = new List<ProviderField>(fields.Count);
        foreach (var (name, value) in fields)
        {
            var field = value as JsonObject ?? [];
            result.Add(new ProviderField
            {
                Name = name,
                Type = ProviderJson.String(field["type"]) ?? "string",
                Title = ProviderJson.String(field["title"]),
                Description = ProviderJson.String(field["description"]),
                Example = ProviderJson.String(field["example"]),
                Pattern = ProviderJson.String(field["pattern"]),
                Format = ProviderJson.String(field["format"]),
                Optional = ProviderJson.Bool(field["optional"]) ?? false,
                Order = ProviderJson.Int(field["order"]),
                DefaultValue = ProviderJson.String(field["default_value"]),
                Prefix = ProviderJson.String(field["prefix"]),
                Suffix = ProviderJson.String(field["suffix"]),
                DocSection = ProviderJson.String(field["doc_section"]),
                Secret = ProviderJson.Bool(field["secret"]) ?? false,
                Hidden = ProviderJson.Bool(field["hidden"]) ?? false,
                Automated = ProviderJson.Bool(field["automated"]) ?? false,
                Enum = ProviderJson.Strings(field["enum"]),
                VisibleWhen = field["visible_when"] is JsonObject condition && ProviderJson.String(condition["field"]) is { } other
                    ? new ProviderFieldCondition(other, ProviderJson.String(condition["equals"]))
                    : null,
            });
        }
        return result;
    }
}

/// <summary><c>visible_when</c>: show the field only while field <paramref name="Field"/> holds <paramref name="Value"/> (<c>equals</c>).</summary>
public sealed record ProviderFieldCondition(string Field, string? Value);
