using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Nango.Core.Providers;

namespace Nango.Core.Webhooks.Incoming;

public enum WebhookSignatureStatus
{
    Verified,

    /// <summary>The signature header (or the timestamp header the scheme signs) is absent.</summary>
    Missing,

    /// <summary>Wrong signature, stale or malformed timestamp, or a catalog scheme that cannot be used.</summary>
    Invalid,
}

public sealed record WebhookSignatureCheck(WebhookSignatureStatus Status, string Reason);

/// <summary>
/// Checks a provider's HMAC over the exact raw body as the catalog's <see cref="ProviderWebhookSignature"/> states
/// it. The digest sent is decoded and compared as bytes in constant time, so neither hex case nor timing says
/// anything about the expected value.
/// </summary>
public static class WebhookSignatureVerifier
{
    public static WebhookSignatureCheck Verify(
        ProviderWebhookSignature scheme, string secret, Func<string, string?> header, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(header);
        if (scheme.Problem is { } problem)
        {
            return new(WebhookSignatureStatus.Invalid, $"The provider's webhook_signature cannot be used: {problem}.");
        }

        var sent = header(scheme.Header);
        if (string.IsNullOrEmpty(sent))
        {
            return new(WebhookSignatureStatus.Missing, $"The {scheme.Header} header is missing.");
        }

        var timestamp = "";
        if (scheme.TimestampHeader is { } timestampHeader)
        {
            timestamp = header(timestampHeader) ?? "";
            if (timestamp.Length == 0)
            {
                return new(WebhookSignatureStatus.Missing, $"The {timestampHeader} header is missing.");
            }
            if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                return new(WebhookSignatureStatus.Invalid, $"The {timestampHeader} header is not a Unix timestamp.");
            }
            var age = now - DateTimeOffset.FromUnixTimeSeconds(seconds);
            if (age.Duration() > scheme.TimestampTolerance)
            {
                return new(WebhookSignatureStatus.Invalid,
                    $"The {timestampHeader} timestamp is {Math.Round(age.TotalSeconds):0} s from now, outside the {scheme.TimestampTolerance.TotalSeconds:0} s allowed (a replay or a wrong clock).");
            }
        }

        if (!sent.StartsWith(scheme.Prefix, StringComparison.Ordinal) || Decode(sent[scheme.Prefix.Length..], scheme.Encoding) is not { } digest)
        {
            return new(WebhookSignatureStatus.Invalid, $"The {scheme.Header} header is not of the form {scheme.Prefix}<{scheme.Encoding} digest>.");
        }
        var expected = Compute(scheme, Encoding.UTF8.GetBytes(secret), timestamp, body);
        return CryptographicOperations.FixedTimeEquals(expected, digest)
            ? new(WebhookSignatureStatus.Verified, $"Signature verified ({scheme.Header}).")
            : new(WebhookSignatureStatus.Invalid, $"The {scheme.Header} signature does not match the body and the integration's webhook secret.");
    }

    /// <summary>The digest a provider would send for this body: <c>signed_payload</c> filled in, then the HMAC.</summary>
    [SuppressMessage("Security", "CA5350:Do not use weak cryptographic algorithms",
        Justification = "The provider chose the algorithm; some still sign with HMAC-SHA1, and checking it is better than not.")]
    public static byte[] Compute(ProviderWebhookSignature scheme, byte[] key, string timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        var template = scheme.SignedPayload.Replace(ProviderWebhookSignature.TimestampPlaceholder, timestamp, StringComparison.Ordinal);
        var at = template.IndexOf(ProviderWebhookSignature.BodyPlaceholder, StringComparison.Ordinal);
        var before = Encoding.UTF8.GetBytes(template[..at]);
        var after = Encoding.UTF8.GetBytes(template[(at + ProviderWebhookSignature.BodyPlaceholder.Length)..]);
        var message = new byte[before.Length + body.Length + after.Length];
        before.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(before.Length));
        after.CopyTo(message, before.Length + body.Length);
        return scheme.Algorithm switch
        {
            "sha1" => HMACSHA1.HashData(key, message),
            "sha512" => HMACSHA512.HashData(key, message),
            _ => HMACSHA256.HashData(key, message),
        };
    }

    private static byte[]? Decode(string digest, string encoding)
    {
        try
        {
            return encoding == "base64" ? Convert.FromBase64String(digest) : Convert.FromHexString(digest);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
