using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Api.Proxy.Support;

/// <summary>
/// The providers the proxy tests call, in Nango's providers.yaml format. Each one's <c>proxy.base_url</c> is a folder of
/// the <see cref="ProxyUpstream"/> named after the provider (<c>/api-key</c>, <c>/oauth1</c>, …), so the upstream can
/// tell who a request was meant for. Integrations use the provider name as their unique key.
/// </summary>
public static class ProxyCatalog
{
    /// <summary>API key; <c>proxy.headers</c> put the key in a bearer header and add a header the caller may override.</summary>
    public const string ApiKey = "proxy-api-key";

    /// <summary>API key; header and query templates from the key and the connection config.</summary>
    public const string Templates = "proxy-templates";

    /// <summary>API key; base URL <c>…/${connectionConfig.region}/v1 || …/global/v1</c>.</summary>
    public const string Fallback = "proxy-fallback";

    /// <summary>API key; base URL needs <c>${connectionConfig.subdomain}</c>, with no fallback.</summary>
    public const string Placeholder = "proxy-placeholder";

    /// <summary>API key; the key is part of the base URL (<c>…/bot${apiKey}</c>, the way Telegram's is).</summary>
    public const string KeyInUrl = "proxy-key-in-url";

    /// <summary>API key; no <c>proxy</c> block at all.</summary>
    public const string NoBaseUrl = "proxy-no-base";

    public const string Basic = "proxy-basic";
    public const string OAuth2 = "proxy-oauth2";

    /// <summary>OAuth 2 whose token endpoint is a closed port: every refresh fails.</summary>
    public const string OAuth2Down = "proxy-oauth2-down";

    public const string ClientCredentials = "proxy-oauth2-cc";
    public const string App = "proxy-app";
    public const string Custom = "proxy-custom";
    public const string Jwt = "proxy-jwt";
    public const string Signature = "proxy-signature";
    public const string TwoStep = "proxy-two-step";
    public const string OAuth1 = "proxy-oauth1";
    public const string Tba = "proxy-tba";
    public const string None = "proxy-none";

    public const string RetryAt = "proxy-retry-at";
    public const string RetryAfter = "proxy-retry-after";
    public const string RetryRemaining = "proxy-retry-remaining";
    public const string RetryErrorCode = "proxy-retry-error-code";
    public const string RetryInBody = "proxy-retry-in-body";

    /// <summary>Integrations created for every provider above, keyed like it.</summary>
    public static readonly IReadOnlyList<string> Providers =
    [
        ApiKey, Templates, Fallback, Placeholder, KeyInUrl, NoBaseUrl, Basic, OAuth2, OAuth2Down, ClientCredentials, App, Custom,
        Jwt, Signature, TwoStep, OAuth1, Tba, None, RetryAt, RetryAfter, RetryRemaining, RetryErrorCode, RetryInBody,
    ];

    /// <summary>The upstream folder a provider's base URL points at (<c>/proxy-api-key</c> → <c>/api-key</c>).</summary>
    public static string Folder(string provider) => "/" + provider["proxy-".Length..];

    /// <summary>Writes the catalog file into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string directory, ProxyUpstream upstream, TestOAuthServer oauth, int closedPort)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentNullException.ThrowIfNull(oauth);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "proxy-test-providers.yaml");
        File.WriteAllText(path, Yaml(upstream.Base, oauth, closedPort));
        return path;
    }

    /// <summary>Only <see cref="ApiKey"/>, for instances that need nothing else.</summary>
    public static string WriteApiKeyOnly(string directory, ProxyUpstream upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "proxy-api-key-provider.yaml");
        File.WriteAllText(path, ApiKeyYaml(upstream.Base));
        return path;
    }

    private static string ApiKeyYaml(string u) => $$"""
        {{ApiKey}}:
          display_name: Proxy test (API key)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/api-key'
            headers:
              authorization: Bearer ${apiKey}
              x-provider-header: provider-value
          docs: 'https://nango.dev/docs'

        """;

    // Single-quoted YAML scalars; none of the values holds a quote.
    private static string Yaml(string u, TestOAuthServer oauth, int closedPort) => ApiKeyYaml(u) + $$"""
        {{Templates}}:
          display_name: Proxy test (templates)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/templates'
            headers:
              x-api-key: ${apiKey}
              x-tenant: tenant-${connectionConfig.tenant}
            query:
              api_key: ${apiKey}
              tenant: ${connectionConfig.tenant}
          docs: 'https://nango.dev/docs'
        {{Fallback}}:
          display_name: Proxy test (fallback base URL)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/fallback/${connectionConfig.region}/v1 || {{u}}/fallback/global/v1'
            headers:
              authorization: Bearer ${apiKey}
          docs: 'https://nango.dev/docs'
        {{Placeholder}}:
          display_name: Proxy test (base URL placeholder)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/placeholder/${connectionConfig.subdomain}/api'
          docs: 'https://nango.dev/docs'
        {{KeyInUrl}}:
          display_name: Proxy test (key in the base URL)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/key-in-url/bot${apiKey}'
          docs: 'https://nango.dev/docs'
        {{NoBaseUrl}}:
          display_name: Proxy test (no base URL)
          categories:
            - dev-tools
          auth_mode: API_KEY
          docs: 'https://nango.dev/docs'
        {{Basic}}:
          display_name: Proxy test (basic)
          categories:
            - dev-tools
          auth_mode: BASIC
          proxy:
            base_url: '{{u}}/basic'
          docs: 'https://nango.dev/docs'
        {{OAuth2}}:
          display_name: Proxy test (OAuth 2)
          categories:
            - dev-tools
          auth_mode: OAUTH2
          authorization_url: '{{oauth.AuthorizationUrl}}'
          token_url: '{{oauth.TokenUrl}}'
          default_scopes:
            - read
          proxy:
            base_url: '{{u}}/oauth2'
          docs: 'https://nango.dev/docs'
        {{OAuth2Down}}:
          display_name: Proxy test (OAuth 2, token endpoint down)
          categories:
            - dev-tools
          auth_mode: OAUTH2
          authorization_url: '{{oauth.AuthorizationUrl}}'
          token_url: 'http://127.0.0.1:{{closedPort}}/oauth/token'
          proxy:
            base_url: '{{u}}/oauth2-down'
          docs: 'https://nango.dev/docs'
        {{ClientCredentials}}:
          display_name: Proxy test (client credentials)
          categories:
            - dev-tools
          auth_mode: OAUTH2_CC
          token_url: '{{oauth.TokenUrl}}'
          token_params:
            grant_type: client_credentials
          proxy:
            base_url: '{{u}}/oauth2-cc'
          docs: 'https://nango.dev/docs'
        {{App}}:
          display_name: Proxy test (app)
          categories:
            - dev-tools
          auth_mode: APP
          authorization_url: '{{u}}/app/install'
          token_url: '{{u}}/app/token'
          proxy:
            base_url: '{{u}}/app'
          docs: 'https://nango.dev/docs'
        {{Custom}}:
          display_name: Proxy test (custom)
          categories:
            - dev-tools
          auth_mode: CUSTOM
          authorization_url: '{{u}}/custom/authorize'
          token_url: '{{u}}/custom/token'
          proxy:
            base_url: '{{u}}/custom'
          docs: 'https://nango.dev/docs'
        {{Jwt}}:
          display_name: Proxy test (JWT)
          categories:
            - dev-tools
          auth_mode: JWT
          proxy:
            base_url: '{{u}}/jwt'
          docs: 'https://nango.dev/docs'
        {{Signature}}:
          display_name: Proxy test (signature)
          categories:
            - dev-tools
          auth_mode: SIGNATURE
          proxy:
            base_url: '{{u}}/signature'
          docs: 'https://nango.dev/docs'
        {{TwoStep}}:
          display_name: Proxy test (two step)
          categories:
            - dev-tools
          auth_mode: TWO_STEP
          token_url: '{{u}}/two-step/token'
          proxy:
            base_url: '{{u}}/two-step'
          docs: 'https://nango.dev/docs'
        {{OAuth1}}:
          display_name: Proxy test (OAuth 1)
          categories:
            - dev-tools
          auth_mode: OAUTH1
          request_url: '{{u}}/oauth1/request_token'
          authorization_url: '{{u}}/oauth1/authorize'
          token_url: '{{u}}/oauth1/access_token'
          signature_method: HMAC-SHA1
          proxy:
            base_url: '{{u}}/oauth1'
          docs: 'https://nango.dev/docs'
        {{Tba}}:
          display_name: Proxy test (TBA)
          categories:
            - erp
          auth_mode: TBA
          signature_method: HMAC-SHA256
          connection_config:
            accountId:
              type: string
              title: Account ID
          proxy:
            base_url: '{{u}}/tba'
          docs: 'https://nango.dev/docs'
        {{None}}:
          display_name: Proxy test (none)
          categories:
            - dev-tools
          auth_mode: NONE
          proxy:
            base_url: '{{u}}/none'
          docs: 'https://nango.dev/docs'
        {{RetryAt}}:
          display_name: Proxy test (retry at)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/retry-at'
            retry:
              at:
                - 'x-rate-reset'
          docs: 'https://nango.dev/docs'
        {{RetryAfter}}:
          display_name: Proxy test (retry after)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/retry-after'
            retry:
              after:
                - 'x-wait-seconds'
          docs: 'https://nango.dev/docs'
        {{RetryRemaining}}:
          display_name: Proxy test (retry remaining)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/retry-remaining'
            retry:
              remaining: 'x-rate-remaining'
          docs: 'https://nango.dev/docs'
        {{RetryErrorCode}}:
          display_name: Proxy test (retry error codes)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/retry-error-code'
            retry:
              error_code:
                - '403'
                - '520-522'
          docs: 'https://nango.dev/docs'
        {{RetryInBody}}:
          display_name: Proxy test (retry in body)
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{u}}/retry-in-body'
            retry:
              in_body:
                path: error.message
                value: 'retry in (\d+) s'
                strategy: after
          docs: 'https://nango.dev/docs'

        """;
}
