namespace Nango.Core.Auth.OAuth1;

/// <summary>Who signs: the client (consumer) credentials and, once there is one, the token and its secret.</summary>
public sealed record OAuth1Credentials(string ConsumerKey, string? ConsumerSecret, string? Token = null, string? TokenSecret = null);

/// <summary>The <c>oauth_*</c> protocol parameters of a signed request, the base string they were signed over, and the header to send.</summary>
public sealed record OAuth1SignedRequest(IReadOnlyList<KeyValuePair<string, string>> OAuthParameters, string BaseString, string Signature, string AuthorizationHeader);

/// <summary>
/// Signs one request (RFC 5849 §3.1): the protocol parameters, plus the query's and a form body's parameters in the
/// base string; the signature goes in the <c>Authorization</c> header. The realm is sent but never signed (§3.4.1.3.1).
/// </summary>
public static class OAuth1Request
{
    public static OAuth1SignedRequest Sign(
        string method,
        Uri url,
        OAuth1Credentials credentials,
        string signatureMethod,
        string timestamp,
        string nonce,
        IEnumerable<KeyValuePair<string, string>>? extraOAuthParameters = null,
        IEnumerable<KeyValuePair<string, string>>? formBody = null,
        string? realm = null,
        string? version = "1.0")
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(credentials);
        var oauth = new List<KeyValuePair<string, string>> { new("oauth_consumer_key", credentials.ConsumerKey) };
        if (!string.IsNullOrEmpty(credentials.Token))
        {
            oauth.Add(new("oauth_token", credentials.Token));
        }
        oauth.Add(new("oauth_signature_method", signatureMethod));
        oauth.Add(new("oauth_timestamp", timestamp));
        oauth.Add(new("oauth_nonce", nonce));
        if (version is not null)
        {
            oauth.Add(new("oauth_version", version));
        }
        oauth.AddRange(extraOAuthParameters ?? []);

        var signed = new List<KeyValuePair<string, string>>(oauth);
        signed.AddRange(OAuth1Signature.ParseForm(url.Query));
        signed.AddRange(formBody ?? []);
        var baseString = OAuth1Signature.BaseString(method, url, signed);
        var signature = OAuth1Signature.Sign(signatureMethod, baseString, credentials.ConsumerSecret, credentials.TokenSecret);
        oauth.Add(new("oauth_signature", signature));
        return new OAuth1SignedRequest(oauth, baseString, signature, OAuth1Signature.AuthorizationHeader(oauth, realm));
    }

    /// <summary>A fresh nonce: 32 random alphanumerics.</summary>
    public static string NewNonce() => System.Security.Cryptography.RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);

    public static string Timestamp(DateTimeOffset now) => now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
