using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nango.Core.Providers;

namespace Nango.Core.Auth.Tokens;

/// <summary>
/// The helper functions catalog templates of the token modes call around placeholders: <c>${base64(…)}</c>,
/// <c>${sha256Hex(…)}</c> and <c>${fingerprint(pem)}</c> (the SHA-256 of a private key's public part, as Snowflake
/// expects it). They run after the placeholders inside them are filled, innermost first.
/// </summary>
public static partial class TemplateFunctions
{
    public static string Apply(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        for (var i = 0; i < 8 && value.Contains("${", StringComparison.Ordinal); i++)
        {
            var next = Call().Replace(value, match => Evaluate(match.Groups[1].Value, match.Groups[2].Value) ?? match.Value);
            if (next == value)
            {
                break;
            }
            value = next;
        }
        return value;
    }

    /// <summary>
    /// Fills a JSON template (a JWT header or payload, token params) for a token request: placeholders without the
    /// <c>||</c> rule, then the functions. A string still holding a placeholder is dropped (an optional value the
    /// user did not give), and so is an array left empty.
    /// </summary>
    public static JsonNode? Fill(JsonNode? template, InterpolationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        switch (ProviderInterpolation.InterpolateNode(template, context, allowFallback: false))
        {
            case JsonObject obj:
                var filled = new JsonObject();
                foreach (var (key, value) in obj.ToList())
                {
                    if (Clean(value) is var (keep, node) && keep)
                    {
                        filled[key] = node;
                    }
                }
                return filled;
            case var other:
                return Clean(other).Node;
        }
    }

    private static (bool Keep, JsonNode? Node) Clean(JsonNode? node)
    {
        switch (node)
        {
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = Apply(value.GetValue<string>());
                return ProviderInterpolation.HasUnresolvedPlaceholders(text) ? (false, null) : (true, JsonValue.Create(text));
            case JsonArray array:
                var items = array.Select(item => Clean(item?.DeepClone())).Where(c => c.Keep).Select(c => c.Node).ToArray();
                return items.Length == 0 && array.Count > 0 ? (false, null) : (true, new JsonArray(items));
            case JsonObject obj:
                return (true, Fill(obj, InterpolationContext.Empty));
            default:
                return (true, node?.DeepClone());
        }
    }

    private static string? Evaluate(string function, string argument) => function switch
    {
        "base64" => Convert.ToBase64String(Encoding.UTF8.GetBytes(argument)),
        "sha256Hex" => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(argument))),
        "fingerprint" => Fingerprint(argument),
        _ => null,
    };

    private static string? Fingerprint(string pem)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(JwtSigner.NormalizePem(pem));
            return "SHA256:" + Convert.ToBase64String(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()));
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"\$\{(base64|sha256Hex|fingerprint)\(((?:(?!\$\{).)*?)\)\}", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Call();
}
