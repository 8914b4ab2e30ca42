using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Nango.Core.Auth.Tokens;

/// <summary>
/// Compact JWS tokens with a header and payload as the catalog spells them. The key follows the catalog's
/// <c>signature.protocol</c> (or the algorithm's family when absent): RSA and EC keys are PEM, HMAC secrets are hex
/// unless <c>signature.hmac_secret_encoding</c> says <c>utf8</c> (Nango's reading of both).
/// </summary>
public static class JwtSigner
{
    public static string Sign(JsonObject header, JsonObject payload, string signingKey, string? protocol = null, string? hmacEncoding = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentException.ThrowIfNullOrEmpty(signingKey);
        var algorithm = header["alg"]?.ToString() ?? throw new ArgumentException("The JWT header has no alg.", nameof(header));
        protocol ??= algorithm[..2] switch { "RS" or "PS" => "RSA", "ES" => "EC", _ => "HMAC" };

        using var asymmetric = protocol switch
        {
            "RSA" => (AsymmetricAlgorithm)RSA.Create(),
            "EC" => ECDsa.Create(),
            _ => null,
        };
        SecurityKey key;
        switch (asymmetric)
        {
            case RSA rsa:
                rsa.ImportFromPem(NormalizePem(signingKey));
                key = new RsaSecurityKey(rsa);
                break;
            case ECDsa ec:
                ec.ImportFromPem(NormalizePem(signingKey));
                key = new ECDsaSecurityKey(ec);
                break;
            default:
                key = new SymmetricSecurityKey(string.Equals(hmacEncoding, "utf8", StringComparison.OrdinalIgnoreCase)
                    ? Encoding.UTF8.GetBytes(signingKey)
                    : Convert.FromHexString(signingKey));
                break;
        }
        // The key lives for this call only: keep IdentityModel from caching a provider around it.
        key.CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false };
        key.KeyId = header["kid"]?.ToString();

        var extraHeader = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in header)
        {
            // alg and kid come from the credentials; typ is JWT unless the catalog says otherwise.
            if (name is "alg" or "kid" || value is null || (name == "typ" && value.ToString() == "JWT"))
            {
                continue;
            }
            extraHeader[name] = value.ToString();
        }
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(payload.ToJsonString(), new SigningCredentials(key, algorithm), extraHeader);
    }

    /// <summary>An app's JWT (GitHub App style): RS256 over <c>iat</c> (a minute back, for clock drift), <c>exp</c> and <c>iss</c>.</summary>
    public static string AppToken(string privateKeyPem, string issuer, DateTimeOffset now, TimeSpan lifetime) =>
        Sign(
            new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT" },
            new JsonObject { ["iat"] = now.AddSeconds(-60).ToUnixTimeSeconds(), ["exp"] = now.Add(lifetime).ToUnixTimeSeconds(), ["iss"] = issuer },
            privateKeyPem, "RSA");

    /// <summary>
    /// PEM as users paste it: with literal <c>\n</c> escapes, or base64 of the whole PEM (how Nango stores an app's key).
    /// </summary>
    public static string NormalizePem(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var text = key.Trim().Replace("\\n", "\n", StringComparison.Ordinal);
        if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(text));
                if (decoded.Contains("-----BEGIN", StringComparison.Ordinal))
                {
                    return decoded;
                }
            }
            catch (FormatException)
            {
                // Not base64: let the PEM import report the problem.
            }
        }
        return text;
    }
}
