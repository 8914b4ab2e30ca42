using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using YamlDotNet.RepresentationModel;

namespace Nango.Core.Providers;

/// <summary>The built-in catalog merged with <c>Nango:Catalog:ExtraFiles</c>, later files winning per provider.</summary>
public sealed class ProviderCatalog : IProviderCatalog
{
    private readonly Dictionary<string, ProviderDefinition> _byName;

    public ProviderCatalog(IOptions<NangoOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entries = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        using (var stream = typeof(ProviderCatalog).Assembly.GetManifestResourceStream("Nango.Core.Providers.providers.yaml")
            ?? throw new InvalidOperationException("The built-in provider catalog is missing."))
        using (var reader = new StreamReader(stream))
        {
            Merge(entries, Parse(reader));
        }
        foreach (var file in options.Value.Catalog.ExtraFiles)
        {
            using var reader = new StreamReader(file);
            Merge(entries, Parse(reader));
        }
        _byName = entries.ToDictionary(e => e.Key, e => ToDefinition(e.Key, Resolve(e.Key, entries)), StringComparer.Ordinal);
        All = _byName.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    public IReadOnlyList<ProviderDefinition> All { get; }

    public ProviderDefinition? Find(string name) => _byName.GetValueOrDefault(name);

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
            if (ToJson(value) is JsonObject entry)
            {
                result[((YamlScalarNode)key).Value!] = entry;
            }
        }
        return result;
    }

    private static void Merge(Dictionary<string, JsonObject> target, Dictionary<string, JsonObject> source)
    {
        foreach (var (key, value) in source)
        {
            target[key] = value;
        }
    }

    private static JsonObject Resolve(string name, Dictionary<string, JsonObject> entries, int depth = 0)
    {
        var entry = entries[name];
        if (depth > 5 || entry["alias"]?.GetValue<string>() is not { } alias || !entries.ContainsKey(alias))
        {
            return entry;
        }
        var merged = (JsonObject)Resolve(alias, entries, depth + 1).DeepClone();
        foreach (var (key, value) in entry)
        {
            merged[key] = value?.DeepClone();
        }
        return merged;
    }

    private static ProviderDefinition ToDefinition(string name, JsonObject raw) => new()
    {
        Name = name,
        DisplayName = raw["display_name"]?.GetValue<string>() ?? name,
        AuthMode = raw["auth_mode"]?.GetValue<string>() ?? "NONE",
        Categories = raw["categories"] is JsonArray categories ? categories.Select(c => c!.GetValue<string>()).ToList() : [],
        Docs = raw["docs"]?.GetValue<string>(),
        Raw = raw,
    };

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value;
        if (value is null)
        {
            return null;
        }
        if (scalar.Style is YamlDotNet.Core.ScalarStyle.Plain)
        {
            if (value is "true" or "false")
            {
                return JsonValue.Create(value == "true");
            }
            if (value is "~" or "null" or "")
            {
                return null;
            }
            if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer))
            {
                return JsonValue.Create(integer);
            }
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return JsonValue.Create(number);
            }
        }
        return JsonValue.Create(value);
    }
}
