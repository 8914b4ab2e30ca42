using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Nango.Tests.Infrastructure.AuthModes;

/// <summary>
/// Checks an incoming OAuth 1 signature the provider's way, written apart from Nango's signer (RFC 5849 §3.4 read
/// afresh: .NET's RFC 3986 escaping, ASP.NET's own query and form parsing), so the two cannot share a mistake.
/// </summary>
public static partial class OAuth1Verifier
{
    /// <summary>The <c>Authorization: OAuth …</c> parameters, decoded; realm included.</summary>
    public static Dictionary<string, string> ReadHeader(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!header.StartsWith("OAuth ", StringComparison.Ordinal))
        {
            return values;
        }
        foreach (Match match in HeaderParameter().Matches(header[6..]))
        {
            values[Uri.UnescapeDataString(match.Groups[1].Value)] = match.Groups[1].Value == "realm" ? match.Groups[2].Value : Uri.UnescapeDataString(match.Groups[2].Value);
        }
        return values;
    }

    public static async Task<bool> IsValidAsync(HttpRequest request, string consumerSecret, string? tokenSecret)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = ReadHeader(request);
        if (!header.TryGetValue("oauth_signature", out var signature) || !header.TryGetValue("oauth_signature_method", out var method))
        {
            return false;
        }
        var pairs = new List<(string Name, string Value)>();
        foreach (var (name, values) in request.Query)
        {
            pairs.AddRange(values.Select(v => (name, v ?? "")));
        }
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            foreach (var (name, values) in form)
            {
                pairs.AddRange(values.Select(v => (name, v ?? "")));
            }
        }
        pairs.AddRange(header.Where(p => p.Key is not ("oauth_signature" or "realm")).Select(p => (p.Key, p.Value)));
        var normalized = string.Join("&", pairs
            .Select(p => (Name: Uri.EscapeDataString(p.Name), Value: Uri.EscapeDataString(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={p.Value}"));
        var baseUri = $"{request.Scheme}://{request.Host.Value!.ToLowerInvariant()}{request.PathBase}{request.Path}";
        var baseString = $"{request.Method.ToUpperInvariant()}&{Uri.EscapeDataString(baseUri)}&{Uri.EscapeDataString(normalized)}";
        var key = Encoding.ASCII.GetBytes($"{Uri.EscapeDataString(consumerSecret)}&{Uri.EscapeDataString(tokenSecret ?? "")}");
        var expected = method switch
        {
#pragma warning disable CA5350 // The protocol under test.
            "HMAC-SHA1" => Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.ASCII.GetBytes(baseString))),
#pragma warning restore CA5350
            "HMAC-SHA256" => Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(baseString))),
            "PLAINTEXT" => Encoding.ASCII.GetString(key),
            _ => null,
        };
        return expected is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }

    [GeneratedRegex("([A-Za-z0-9_%.-]+)=\"([^\"]*)\"")]
    private static partial Regex HeaderParameter();
}
