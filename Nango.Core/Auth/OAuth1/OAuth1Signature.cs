using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Nango.Core.Auth.OAuth1;

/// <summary>
/// RFC 5849 signing: percent-encoding (§3.6), the base string URI (§3.4.1.2), parameter normalisation
/// (§3.4.1.3.2), the signature base string (§3.4.1.1), the HMAC-SHA1 and PLAINTEXT methods (§3.4.2, §3.4.4), the
/// HMAC-SHA256 variant NetSuite's token-based auth uses, and the <c>Authorization: OAuth …</c> header (§3.5.1).
/// </summary>
public static class OAuth1Signature
{
    public const string HmacSha1 = "HMAC-SHA1";
    public const string HmacSha256 = "HMAC-SHA256";
    public const string PlainText = "PLAINTEXT";

    public static bool IsSupported(string? method) => method is HmacSha1 or HmacSha256 or PlainText;

    /// <summary>§3.6: UTF-8, then every byte outside ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX with upper-case hex.</summary>
    public static string PercentEncode(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        var builder = new StringBuilder(value.Length * 2);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
                or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    /// <summary>§3.4.1.2: lower-case scheme and host, the port only when not the scheme's default, the path, no query or fragment.</summary>
    public static string BaseStringUri(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var scheme = uri.Scheme.ToLowerInvariant();
        var host = uri.Host.ToLowerInvariant();
        var defaultPort = (scheme == "http" && uri.Port == 80) || (scheme == "https" && uri.Port == 443);
        var port = uri.IsDefaultPort || defaultPort ? "" : ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        var path = uri.AbsolutePath.Length == 0 ? "/" : uri.AbsolutePath;
        return $"{scheme}://{host}{port}{path}";
    }

    /// <summary>
    /// Name/value pairs of a query string or an <c>application/x-www-form-urlencoded</c> body, decoded (§3.4.1.3.1:
    /// "+" is a space there). A name without "=" has an empty value.
    /// </summary>
    public static List<KeyValuePair<string, string>> ParseForm(string? text)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(text))
        {
            return pairs;
        }
        foreach (var part in text.TrimStart('?').Split('&'))
        {
            if (part.Length == 0)
            {
                continue;
            }
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? part : part[..equals];
            var value = equals < 0 ? "" : part[(equals + 1)..];
            pairs.Add(new(FormDecode(name), FormDecode(value)));
        }
        return pairs;
    }

    /// <summary>§3.4.1.3.2: each name and value encoded, sorted by name then value (byte order), joined with "=" and "&amp;".</summary>
    public static string NormalizeParameters(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var encoded = parameters
            .Select(p => (Name: PercentEncode(p.Key), Value: PercentEncode(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal);
        return string.Join('&', encoded.Select(p => p.Name + "=" + p.Value));
    }

    /// <summary>§3.4.1.1: METHOD &amp; encoded base string URI &amp; encoded normalised parameters.</summary>
    public static string BaseString(string method, Uri uri, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        return method.ToUpperInvariant() + "&" + PercentEncode(BaseStringUri(uri)) + "&" + PercentEncode(NormalizeParameters(parameters));
    }

    /// <summary>The <c>oauth_signature</c> value (not yet percent-encoded for a header).</summary>
    public static string Sign(string signatureMethod, string baseString, string? consumerSecret, string? tokenSecret)
    {
        ArgumentNullException.ThrowIfNull(baseString);
        var key = PercentEncode(consumerSecret) + "&" + PercentEncode(tokenSecret);
        return signatureMethod switch
        {
            PlainText => key,
#pragma warning disable CA5350 // HMAC-SHA1 is what OAuth 1.0a providers verify; the protocol leaves no choice.
            HmacSha1 => Convert.ToBase64String(HMACSHA1.HashData(Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(baseString))),
#pragma warning restore CA5350
            HmacSha256 => Convert.ToBase64String(HMACSHA256.HashData(Encoding.ASCII.GetBytes(key), Encoding.ASCII.GetBytes(baseString))),
            _ => throw new NotSupportedException($"OAuth 1 signature method '{signatureMethod}' is not supported."),
        };
    }

    /// <summary>§3.5.1: <c>OAuth realm="…", name="value", …</c> with names and values percent-encoded, realm first when given.</summary>
    public static string AuthorizationHeader(IEnumerable<KeyValuePair<string, string>> oauthParameters, string? realm = null)
    {
        ArgumentNullException.ThrowIfNull(oauthParameters);
        var parts = new List<string>();
        if (!string.IsNullOrEmpty(realm))
        {
            // The realm is a quoted-string (RFC 2617), not percent-encoded.
            parts.Add($"realm=\"{realm.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
        }
        parts.AddRange(oauthParameters.Select(p => $"{PercentEncode(p.Key)}=\"{PercentEncode(p.Value)}\""));
        return "OAuth " + string.Join(", ", parts);
    }

    private static string FormDecode(string value) => Uri.UnescapeDataString(value.Replace('+', ' '));
}
