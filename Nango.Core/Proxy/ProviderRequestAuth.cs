using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Nango.Core.Auth;
using Nango.Core.Auth.OAuth1;
using Nango.Core.Providers;

namespace Nango.Core.Proxy;

/// <summary>
/// How a request to a provider carries a connection's credentials (reference §1.6): the provider's
/// <c>proxy.headers</c>/<c>proxy.query</c> templates filled from credentials and connection config, then the auth
/// mode's own header when no template or caller set one — Basic for BASIC, a bearer token for the token modes, an
/// OAuth 1 signature for OAUTH1 and TBA.
/// </summary>
public static class ProviderRequestAuth
{
    private static readonly HashSet<string> _accessTokenModes = new(StringComparer.Ordinal)
    {
        "OAUTH2", "APP", "CUSTOM", "MCP_OAUTH2", "MCP_OAUTH2_GENERIC", "INSTALL_PLUGIN",
    };

    private static readonly HashSet<string> _tokenModes = new(StringComparer.Ordinal)
    {
        "OAUTH2_CC", "JWT", "SIGNATURE", "TWO_STEP", "BILL",
    };

    public static InterpolationContext Context(JsonObject credentials, JsonObject connectionConfig)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        return new InterpolationContext
        {
            ConnectionConfig = connectionConfig,
            Credentials = credentials,
            ApiKey = credentials["apiKey"]?.ToString(),
            AccessToken = credentials["access_token"]?.ToString() ?? credentials["token"]?.ToString(),
        };
    }

    /// <summary>
    /// The provider's header templates, filled in. A header whose placeholders cannot all be filled is left out: sending
    /// <c>Bearer ${apiKey}</c> literally would only leak the template and fail later with a confusing answer.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> ProviderHeaders(IReadOnlyDictionary<string, string> templates, InterpolationContext context)
    {
        ArgumentNullException.ThrowIfNull(templates);
        foreach (var (name, template) in templates)
        {
            var value = ProviderInterpolation.Resolve(template, context);
            if (value.IsComplete)
            {
                yield return new(name, value.Value);
            }
        }
    }

    /// <summary>The provider's query templates, filled in; incomplete ones are left out as for headers.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ProviderQuery(ProviderDefinition provider, InterpolationContext context) =>
        ProviderHeaders(provider.Proxy?.Query ?? new Dictionary<string, string>(), context);

    /// <summary>
    /// Adds the auth mode's header unless the request already has an <c>Authorization</c> header or the provider's
    /// templates place the token elsewhere. OAuth 1 signs the final URL and method, so call it last, once per attempt.
    /// </summary>
    public static void Apply(HttpRequestMessage request, ProviderDefinition provider, JsonObject credentials, JsonObject connectionConfig, OAuthClient? consumer, DateTimeOffset now, IEnumerable<KeyValuePair<string, string>>? formBody = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(credentials);
        if (request.Headers.Authorization is not null || request.Headers.Contains("Authorization"))
        {
            return;
        }
        var type = credentials["type"]?.ToString() ?? provider.AuthMode;
        switch (type)
        {
            case "BASIC":
                var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials["username"]}:{credentials["password"]}"));
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
                break;
            case "OAUTH1" when consumer is not null:
                Sign(request, provider.SignatureMethod ?? OAuth1Signature.HmacSha1, consumer,
                    credentials["oauth_token"]?.ToString(), credentials["oauth_token_secret"]?.ToString(), realm: null, now, formBody);
                break;
            case "TBA" when consumer is not null:
                // NetSuite's token-based auth: HMAC-SHA256 unless the catalog says otherwise, realm = the account id.
                Sign(request, provider.SignatureMethod ?? OAuth1Signature.HmacSha256, consumer,
                    credentials["token_id"]?.ToString(), credentials["token_secret"]?.ToString(), connectionConfig?["accountId"]?.ToString(), now, formBody);
                break;
            case var mode when _accessTokenModes.Contains(mode) && !TemplatesCarryToken(provider):
                Bearer(request, credentials["access_token"]?.ToString());
                break;
            case var mode when _tokenModes.Contains(mode) && !TemplatesCarryToken(provider):
                Bearer(request, credentials["token"]?.ToString() ?? credentials["access_token"]?.ToString());
                break;
            default:
                // API_KEY, NONE and modes whose credentials travel only through the provider's templates.
                break;
        }
    }

    /// <summary>
    /// The consumer (client) credentials that sign OAuth 1 and TBA requests: the connection's override, else the
    /// integration's. The integration's secret is decrypted only when it is needed, not on every proxied request.
    /// </summary>
    public static OAuthClient? Consumer(JsonObject credentials, string? integrationClientId, Func<string?> integrationClientSecret)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var type = credentials["type"]?.ToString();
        if (type is not ("OAUTH1" or "TBA"))
        {
            return null;
        }
        var configOverride = credentials["config_override"] as JsonObject;
        return new OAuthClient(
            configOverride?["client_id"]?.ToString() ?? integrationClientId ?? "",
            configOverride?["client_secret"]?.ToString() ?? integrationClientSecret());
    }

    /// <summary>Whether the provider's header templates already place the token (a custom header, or its own Authorization).</summary>
    private static bool TemplatesCarryToken(ProviderDefinition provider) =>
        provider.Proxy?.Headers is { Count: > 0 } headers && headers.Any(h =>
            h.Key.Equals("authorization", StringComparison.OrdinalIgnoreCase)
            || h.Value.Contains("${accessToken}", StringComparison.Ordinal)
            || h.Value.Contains("${credentials.token}", StringComparison.Ordinal)
            || h.Value.Contains("${credentials.access_token}", StringComparison.Ordinal));

    private static void Bearer(HttpRequestMessage request, string? token)
    {
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    private static void Sign(HttpRequestMessage request, string method, OAuthClient consumer, string? token, string? tokenSecret, string? realm, DateTimeOffset now, IEnumerable<KeyValuePair<string, string>>? formBody)
    {
        var signed = OAuth1Request.Sign(
            request.Method.Method, request.RequestUri!,
            new OAuth1Credentials(consumer.ClientId, consumer.ClientSecret, token, tokenSecret),
            method, OAuth1Request.Timestamp(now), OAuth1Request.NewNonce(), formBody: formBody, realm: realm);
        request.Headers.TryAddWithoutValidation("Authorization", signed.AuthorizationHeader);
    }
}
