using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Nango.Core.Webhooks;

/// <summary>
/// Signs a delivery's exact body bytes three ways:
/// <list type="bullet">
/// <item><c>X-Nango-Hmac-Sha256</c>: hex HMAC-SHA256(signing key, body), what <c>verifyIncomingWebhookRequest</c> checks.</item>
/// <item><c>X-Nango-Signature</c>: Nango's legacy hex SHA-256(signing key + body). Replayable; kept for old receivers.</item>
/// <item>Standard Webhooks: <c>webhook-id</c>, <c>webhook-timestamp</c> and <c>webhook-signature</c> =
/// <c>v1,</c> base64 HMAC-SHA256 over <c>id.timestamp.body</c>, so receivers can refuse old or replayed requests.</item>
/// </list>
/// One signing key serves both schemes: its UTF-8 bytes are the HMAC key, and the Standard Webhooks secret shown
/// to users is <c>whsec_</c> + base64 of those bytes (<see cref="StandardWebhooksSecret"/>), which the spec decodes
/// back to the same bytes. During a rotation's grace period <c>webhook-signature</c> carries a second signature
/// made with the previous key, and <c>X-Nango-Hmac-Sha256-Previous</c> the previous key's Nango signature.
/// </summary>
public static class WebhookSigner
{
    public const string NangoHmacHeader = "X-Nango-Hmac-Sha256";
    public const string NangoPreviousHmacHeader = "X-Nango-Hmac-Sha256-Previous";
    public const string NangoLegacyHeader = "X-Nango-Signature";
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    public static IReadOnlyList<KeyValuePair<string, string>> Sign(
        string body, Guid eventId, DateTimeOffset timestamp, string signingKey, string? previousSigningKey = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrEmpty(signingKey);
        var bodyBytes = Encoding.UTF8.GetBytes(body);
        var id = eventId.ToString();
        var unixSeconds = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        var signatures = "v1," + StandardSignature(signingKey, id, unixSeconds, bodyBytes);
        var headers = new List<KeyValuePair<string, string>>
        {
            new(NangoHmacHeader, NangoHmac(signingKey, bodyBytes)),
            new(NangoLegacyHeader, NangoLegacySignature(signingKey, bodyBytes)),
            new(IdHeader, id),
            new(TimestampHeader, unixSeconds),
        };
        if (!string.IsNullOrEmpty(previousSigningKey))
        {
            signatures += " v1," + StandardSignature(previousSigningKey, id, unixSeconds, bodyBytes);
            headers.Add(new(NangoPreviousHmacHeader, NangoHmac(previousSigningKey, bodyBytes)));
        }
        headers.Add(new(SignatureHeader, signatures));
        return headers;
    }

    /// <summary>The signing key as a Standard Webhooks secret (<c>whsec_</c> + base64 of its UTF-8 bytes).</summary>
    public static string StandardWebhooksSecret(string signingKey) =>
        "whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes(signingKey));

    public static string NangoHmac(string signingKey, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), body));

    private static string NangoLegacySignature(string signingKey, byte[] body)
    {
        var key = Encoding.UTF8.GetBytes(signingKey);
        var message = new byte[key.Length + body.Length];
        key.CopyTo(message, 0);
        body.CopyTo(message, key.Length);
        return Convert.ToHexStringLower(SHA256.HashData(message));
    }

    private static string StandardSignature(string signingKey, string id, string unixSeconds, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes(id + "." + unixSeconds + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message, prefix.Length);
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), message));
    }
}
