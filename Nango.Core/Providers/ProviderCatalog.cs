using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Nango.Core.Providers;

/// <summary>The built-in catalog merged with <c>Nango:Catalog:ExtraFiles</c>, later files winning per provider.</summary>
public sealed partial class ProviderCatalog : IProviderCatalog
{
    private const string BuiltInResource = "Nango.Core.Providers.providers.yaml";

    // Alias chains in Nango's file are one or two links long; the cap only stops a cycle in an operator's file.
    private const int MaxAliasDepth = 8;

    private readonly Dictionary<string, ProviderDefinition> _byName;

    public ProviderCatalog(IOptions<NangoOptions> options)
        : this(ReadEntries(options))
    {
    }

    private ProviderCatalog(Dictionary<string, JsonObject> entries)
    {
        _byName = entries.ToDictionary(e => e.Key, e => ToDefinition(e.Key, entries), StringComparer.Ordinal);
        All = _byName.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<ProviderDefinition> All { get; }

    public ProviderDefinition? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// A catalog of exactly the given YAML sources (no built-in entries), later sources winning per provider. For
    /// tools and tests that read a catalog file such as Nango's own.
    /// </summary>
    public static ProviderCatalog FromYaml(params IEnumerable<TextReader> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var entries = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            Merge(entries, Parse(source));
        }
        return new ProviderCatalog(entries);
    }

    /// <summary>The entries of one YAML file, unresolved (aliases not applied).</summary>
    public static Dictionary<string, JsonObject> Parse(TextReader reader)
    {
        var yaml = new YamlStream();
        yaml.Load(reader);
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            return result;
        }
        foreach (var (key, value) in root.Children)
        {
            if (key is YamlScalarNode { Value: { Length: > 0 } name } && ToJson(value) is JsonObject entry)
            {
                result[name] = entry;
            }
        }
        return result;
    }

    private static Dictionary<string, JsonObject> ReadEntries(IOptions<NangoOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entries = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        using (var stream = typeof(ProviderCatalog).Assembly.GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidOperationException("The built-in provider catalog is missing."))
        using (var reader = new StreamReader(stream))
        {
            Merge(entries, Parse(reader));
        }
        foreach (var file in options.Value.Catalog.ExtraFiles)
        {
            using var reader = new StreamReader(file);
            try
            {
                Merge(entries, Parse(reader));
            }
            catch (YamlException ex)
            {
                // Name the file: the start-up error is the operator's only clue which of the extra files is broken.
                throw new InvalidOperationException($"Provider catalog file '{file}' is not valid YAML: {ex.Message}", ex);
            }
        }
        return entries;
    }

    private static void Merge(Dictionary<string, JsonObject> target, Dictionary<string, JsonObject> source)
    {
        foreach (var (key, value) in source)
        {
            target[key] = value;
        }
    }

    /// <summary>
    /// Nango's alias rule: the aliased entry's keys, overridden by the alias's own keys (shallow), without the
    /// <c>alias</c> key. Chains resolve fully; an alias to an unknown entry leaves the entry as it is.
    /// </summary>
    private static JsonObject Resolve(string name, Dictionary<string, JsonObject> entries, int depth = 0)
    {
        var entry = entries[name];
        if (depth >= MaxAliasDepth || AliasOf(entry) is not { } alias || !entries.ContainsKey(alias) || alias == name)
        {
            return entry;
        }
        var merged = (JsonObject)Resolve(alias, entries, depth + 1).DeepClone();
        foreach (var (key, value) in entry)
        {
            if (key != "alias")
            {
                merged[key] = value?.DeepClone();
            }
        }
        return merged;
    }

    private static string? AliasOf(JsonObject entry) => ProviderJson.String(entry["alias"]);

    private static ProviderDefinition ToDefinition(string name, Dictionary<string, JsonObject> entries)
    {
        var raw = Resolve(name, entries);
        return new ProviderDefinition
        {
            Name = name,
            DisplayName = ProviderJson.String(raw["display_name"]) ?? name,
            AuthMode = ProviderJson.String(raw["auth_mode"]) ?? "NONE",
            Categories = ProviderJson.Strings(raw["categories"]),
            Docs = ProviderJson.String(raw["docs"]),
            Alias = AliasOf(entries[name]),
            Raw = raw,
        };
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => ToJsonObject(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonObject ToJsonObject(YamlMappingNode map)
    {
        var result = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            if (key is YamlScalarNode { Value: { } name })
            {
                result[name] = ToJson(value);
            }
        }
        return result;
    }

    /// <summary>
    /// Plain scalars are typed the way Nango's YAML reader (YAML 1.2 core schema) types them, so the JSON served
    /// matches Nango's; quoted and block scalars stay strings. Infinity and NaN stay text: JSON cannot carry them.
    /// </summary>
    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value;
        if (value is null)
        {
            return null;
        }
        if (scalar.Style is not ScalarStyle.Plain || !scalar.Tag.IsEmpty)
        {
            return JsonValue.Create(value);
        }
        switch (value)
        {
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
        }
        if (IntegerPattern().IsMatch(value))
        {
            return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? JsonValue.Create(integer)
                : JsonValue.Create(double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        if (FloatPattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(value);
    }

    [GeneratedRegex("^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();
}
