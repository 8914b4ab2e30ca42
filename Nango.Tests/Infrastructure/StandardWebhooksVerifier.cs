using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Nango.Tests.Infrastructure;

public enum StandardWebhooksResult
{
    Valid,
    MissingHeaders,
    InvalidSecret,
    TimestampOutOfTolerance,
    NoMatchingSignature,
}

/// <summary>
/// A receiver's check of a Standard Webhooks request, written from the specification (standardwebhooks.com), not
/// from Nango's signer: the secret is <c>whsec_</c> + base64 key bytes; the signed content is
/// <c>{webhook-id}.{webhook-timestamp}.{body}</c>; <c>webhook-signature</c> is a space-separated list of
/// <c>v1,{base64 HMAC-SHA256}</c>, any of which may match; timestamps more than five minutes away are refused.
/// </summary>
public static class StandardWebhooksVerifier
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static StandardWebhooksResult Verify(string secret, IReadOnlyDictionary<string, string> headers, byte[] body, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(body);
        if (!headers.TryGetValue("webhook-id", out var id) || !headers.TryGetValue("webhook-timestamp", out var timestamp)
            || !headers.TryGetValue("webhook-signature", out var signatures))
        {
            return StandardWebhooksResult.MissingHeaders;
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        }
        catch (FormatException)
        {
            return StandardWebhooksResult.InvalidSecret;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
        {
            return StandardWebhooksResult.TimestampOutOfTolerance;
        }

        var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
        var expected = HMACSHA256.HashData(key, signed);
        foreach (var versioned in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = versioned.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || versioned[..comma] != "v1")
            {
                continue;
            }
            byte[] candidate;
            try
            {
                candidate = Convert.FromBase64String(versioned[(comma + 1)..]);
            }
            catch (FormatException)
            {
                continue;
            }
            if (CryptographicOperations.FixedTimeEquals(candidate, expected))
            {
                return StandardWebhooksResult.Valid;
            }
        }
        return StandardWebhooksResult.NoMatchingSignature;
    }

    /// <summary>Every <c>v1</c> entry of a <c>webhook-signature</c> header.</summary>
    public static IReadOnlyList<string> Signatures(string header) =>
        header.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => s.StartsWith("v1,", StringComparison.Ordinal)).ToList();
}
