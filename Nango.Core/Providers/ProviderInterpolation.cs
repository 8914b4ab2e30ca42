using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Nango.Core.Providers;

/// <summary>
/// Fills the <c>${…}</c> placeholders of catalog templates (base URLs, headers, token URLs, parameters).
/// A placeholder whose value is missing, empty or not a scalar is left in place, so callers can detect it with
/// <see cref="HasUnresolvedPlaceholders"/> and name it in an error. Substituted values are inserted as they are
/// (not URL-encoded, not scanned again for placeholders).
/// </summary>
public static partial class ProviderInterpolation
{
    private const string FallbackSeparator = "||";

    /// <summary>Fills every placeholder it can; <c>||</c> is ordinary text here.</summary>
    public static string Interpolate(string template, InterpolationContext context) => Fill(template, context, missing: null);

    /// <summary>
    /// Nango's <c>A || B</c> rule for URLs and header values: the first alternative whose placeholders all resolve,
    /// interpolated. When none does, the last alternative, as far as it resolves: the last one is the catalog's
    /// default form, so its missing placeholders are the ones worth reporting. Not for JWT signing keys, where
    /// <c>||</c> joins two secrets.
    /// </summary>
    public static InterpolationResult Resolve(string template, InterpolationContext context)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(context);
        var alternatives = template.Contains(FallbackSeparator, StringComparison.Ordinal)
            ? template.Split(FallbackSeparator, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [template];
        var result = new InterpolationResult(string.Empty, []);
        foreach (var alternative in alternatives)
        {
            var missing = new List<string>();
            result = new InterpolationResult(Fill(alternative, context, missing), missing);
            if (result.IsComplete)
            {
                break;
            }
        }
        return result;
    }

    /// <summary><see cref="Resolve"/>'s value: the chosen alternative, possibly with placeholders left.</summary>
    public static string InterpolateWithFallback(string template, InterpolationContext context) => Resolve(template, context).Value;

    /// <summary>Interpolates every map value with the <c>||</c> rule (provider headers, query, params).</summary>
    public static Dictionary<string, string> InterpolateAll(IReadOnlyDictionary<string, string> templates, InterpolationContext context)
    {
        ArgumentNullException.ThrowIfNull(templates);
        return templates.ToDictionary(t => t.Key, t => InterpolateWithFallback(t.Value, context), StringComparer.Ordinal);
    }

    /// <summary>A copy of <paramref name="node"/> with every string inside interpolated (token params, proxy body), with the <c>||</c> rule unless <paramref name="allowFallback"/> is false.</summary>
    public static JsonNode? InterpolateNode(JsonNode? node, InterpolationContext context, bool allowFallback = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    copy[key] = InterpolateNode(value, context, allowFallback);
                }
                return copy;
            case JsonArray array:
                return new JsonArray(array.Select(item => InterpolateNode(item, context, allowFallback)).ToArray());
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                return JsonValue.Create(allowFallback ? InterpolateWithFallback(text, context) : Interpolate(text, context));
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>
    /// Whether <paramref name="value"/> still holds a <c>${…}</c>. A filled-in value that itself contains <c>${</c>
    /// also counts; <see cref="InterpolationResult.Missing"/> from <see cref="Resolve"/> does not have that blind spot.
    /// </summary>
    public static bool HasUnresolvedPlaceholders(string? value) => value is not null && PlaceholderPattern().IsMatch(value);

    /// <summary>The names inside the placeholders of <paramref name="value"/> (<c>connectionConfig.subdomain</c>), in order, once each.</summary>
    public static IReadOnlyList<string> Placeholders(string? value) => value is null
        ? []
        : PlaceholderPattern().Matches(value).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

    private static string Fill(string template, InterpolationContext context, List<string>? missing)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(context);
        if (!template.Contains("${", StringComparison.Ordinal))
        {
            return template;
        }
        return PlaceholderPattern().Replace(template, match =>
        {
            var name = match.Groups[1].Value;
            if (Lookup(name, context) is { } value)
            {
                return value;
            }
            if (missing is not null && !missing.Contains(name, StringComparer.Ordinal))
            {
                missing.Add(name);
            }
            return match.Value;
        });
    }

    private static string? Lookup(string expression, InterpolationContext context)
    {
        var name = expression.Trim();
        var value = name switch
        {
            "apiKey" => context.ApiKey ?? Scalar(context.Credentials, "apiKey"),
            "accessToken" => context.AccessToken ?? Scalar(context.Credentials, "access_token") ?? Scalar(context.Credentials, "token"),
            "clientId" => context.ClientId,
            "clientSecret" => context.ClientSecret,
            _ => context.Values.TryGetValue(name, out var named) ? named : FromRoot(name, context),
        };
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string? FromRoot(string name, InterpolationContext context)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == name.Length - 1)
        {
            return null;
        }
        var root = name[..dot];
        var path = name[(dot + 1)..];
        var source = root switch
        {
            "connectionConfig" => context.ConnectionConfig,
            "credentials" => context.Credentials,
            "metadata" => context.Metadata,
            _ => context.Objects.GetValueOrDefault(root),
        };
        return Scalar(source, path);
    }

    /// <summary>
    /// A key holding dots is tried whole first: values copied from token responses (<c>team.id</c>) are stored under
    /// their dotted path. Otherwise the path walks nested objects.
    /// </summary>
    private static string? Scalar(JsonObject? source, string path)
    {
        if (source is null)
        {
            return null;
        }
        if (source.TryGetPropertyValue(path, out var direct))
        {
            return ProviderJson.String(direct);
        }
        JsonNode? current = source;
        foreach (var segment in path.Split('.'))
        {
            if (current is not JsonObject obj || !obj.TryGetPropertyValue(segment, out current))
            {
                return null;
            }
        }
        return ProviderJson.String(current);
    }

    [GeneratedRegex(@"\$\{([^{}]*)\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderPattern();
}

/// <summary>An interpolated template and the names of the placeholders it could not fill.</summary>
public sealed record InterpolationResult(string Value, IReadOnlyList<string> Missing)
{
    public bool IsComplete => Missing.Count == 0;
}
