using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Nango.Core.Providers;

namespace Nango.Core.Auth.Tokens;

/// <summary>
/// JWT mode (reference §3.2): the token is made here from what the user gave, per the catalog's
/// <c>token{signing_key, expires_in_ms, header, payload}</c> and <c>signature{protocol, hmac_secret_encoding}</c>.
/// The user's fields stay in the credentials (a refresh signs a new token from them), beside <c>token</c> and
/// <c>expires_at</c>.
/// </summary>
public static class JwtCredentials
{
    public static (JsonObject? Credentials, AuthError? Error) Issue(ProviderDefinition provider, JsonObject input, JsonObject connectionConfig, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(input);
        if (provider.Raw["token"] is not JsonObject token || ProviderJson.String(token["signing_key"]) is not { } signingKeyTemplate)
        {
            return (null, new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' has no token block in the catalog."));
        }
        var fields = input.DeepClone().AsObject();
        fields.Remove("type");
        var missing = provider.CredentialsFields.Where(f => !f.Optional && fields[f.Name] is null).Select(f => f.Name).ToList();
        if (missing.Count > 0)
        {
            return (null, new AuthError("invalid_credentials", $"Missing credentials: {string.Join(", ", missing)}."));
        }
        SplitKeyPairs(fields, token);

        var context = new InterpolationContext { Credentials = fields, ConnectionConfig = connectionConfig };
        var signingKey = TemplateFunctions.Apply(ProviderInterpolation.Interpolate(signingKeyTemplate, context));
        if (ProviderInterpolation.HasUnresolvedPlaceholders(signingKey))
        {
            return (null, new AuthError("invalid_credentials", $"Missing credentials for the signing key: {string.Join(", ", ProviderInterpolation.Placeholders(signingKey))}."));
        }
        var header = TemplateFunctions.Fill(token["header"], context) as JsonObject ?? [];
        var payload = TemplateFunctions.Fill(token["payload"], context) as JsonObject ?? [];
        var lifetime = TimeSpan.FromMilliseconds(ProviderJson.Long(token["expires_in_ms"]) ?? 3_600_000);
        payload["iat"] = now.ToUnixTimeSeconds();
        payload["exp"] = now.Add(lifetime).ToUnixTimeSeconds();
        var signature = provider.Raw["signature"] as JsonObject;
        string jwt;
        try
        {
            jwt = JwtSigner.Sign(header, payload, signingKey, ProviderJson.String(signature?["protocol"]), ProviderJson.String(signature?["hmac_secret_encoding"]));
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or CryptographicException or NotSupportedException or InvalidOperationException
            or Microsoft.IdentityModel.Tokens.SecurityTokenException)
        {
            return (null, new AuthError("invalid_credentials", $"The token could not be signed with the key given: {ex.Message}"));
        }

        var credentials = new JsonObject { ["type"] = "JWT" };
        foreach (var (name, value) in fields)
        {
            credentials[name] = value?.DeepClone();
        }
        credentials["token"] = jwt;
        credentials["expires_at"] = now.Add(lifetime).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return (credentials, null);
    }

    /// <summary>
    /// A field the templates read as <c>credentials.key.id</c> / <c>.secret</c> but that the user typed as one
    /// <c>id:secret</c> string (Ghost's admin API key) becomes the object the templates expect.
    /// </summary>
    private static void SplitKeyPairs(JsonObject fields, JsonObject token)
    {
        var templates = token.ToJsonString();
        foreach (var (name, value) in fields.ToList())
        {
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.IndexOf(':', StringComparison.Ordinal) is var colon and > 0
                && (templates.Contains($"credentials.{name}.id", StringComparison.Ordinal) || templates.Contains($"credentials.{name}.secret", StringComparison.Ordinal)))
            {
                fields[name] = new JsonObject { ["id"] = text[..colon], ["secret"] = text[(colon + 1)..] };
            }
        }
    }
}
