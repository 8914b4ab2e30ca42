using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>
/// One provider of the catalog (Nango's providers.yaml entry), after alias resolution. <see cref="Raw"/> is the
/// entry as served; the typed properties are read from it when it is set, leniently (a value of the wrong shape
/// reads as absent). Treat <see cref="Raw"/> as read-only: the typed view does not follow later edits.
/// </summary>
public sealed class ProviderDefinition
{
    /// <summary>
    /// Catalog keys of our own, not in Nango's catalog: they declare as data what Nango's webhook routing
    /// scripts do in code. The API serves the catalog without them, so it states exactly Nango's facts.
    /// </summary>
    public static readonly IReadOnlyList<string> OwnFields = ["webhook_signature", "webhook_routing", "webhook_event_type"];

    private readonly JsonObject _raw = [];

    public required string Name { get; init; }

    public required string DisplayName { get; init; }

    public required string AuthMode { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public string? Docs { get; init; }

    /// <summary>The entry this one inherits from (its <c>alias</c>), already merged into <see cref="Raw"/>.</summary>
    public string? Alias { get; init; }

    /// <summary>The full entry as JSON, exactly as the catalog states it (aliases merged, the <c>alias</c> key itself dropped as Nango does).</summary>
    public required JsonObject Raw
    {
        get => _raw;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _raw = value;
            DocsConnect = ProviderJson.String(value["docs_connect"]);
            SetupGuideUrl = ProviderJson.String(value["setup_guide_url"]);
            Logo = ProviderJson.String(value["logo"]);

            AuthorizationUrl = ProviderJson.String(value["authorization_url"]);
            AuthorizationParams = ProviderJson.StringMap(value["authorization_params"]);
            AuthorizationUrlReplacements = ProviderJson.StringMap(value["authorization_url_replacements"]);
            AuthorizationUrlSkipEncode = ProviderJson.Strings(value["authorization_url_skip_encode"]);
            AuthorizationUrlSkipEmpty = ProviderJson.Bool(value["authorization_url_skip_empty"]) ?? false;
            AuthorizationUrlFragment = ProviderJson.String(value["authorization_url_fragment"]);
            AuthorizationCodeParamInCallback = ProviderJson.String(value["authorization_code_param_in_callback"]);

            TokenUrl = ProviderTokenUrl.From(value["token_url"]);
            TokenParams = ProviderJson.Object(value["token_params"]);
            TokenHeaders = ProviderJson.StringMap(value["token_headers"]);
            RefreshUrl = ProviderJson.String(value["refresh_url"]);
            RefreshParams = ProviderJson.Object(value["refresh_params"]);
            TokenRequestAuthMethod = ProviderJson.String(value["token_request_auth_method"]);
            AuthorizationMethod = ProviderJson.String(value["authorization_method"]);
            BodyFormat = ProviderJson.String(value["body_format"]);
            DisablePkce = ProviderJson.Bool(value["disable_pkce"]) ?? false;
            TokenExpirationBuffer = ProviderJson.Int(value["token_expiration_buffer"]);
            TokenExpiresInMs = ProviderJson.Long(value["token_expires_in_ms"]);
            ExpiresInUnit = ProviderJson.String(value["expires_in_unit"]);
            AlternateAccessTokenResponsePath = ProviderJson.String(value["alternate_access_token_response_path"]);

            ScopeSeparator = ProviderJson.String(value["scope_separator"]);
            DefaultScopes = ProviderJson.Strings(value["default_scopes"]);

            TokenResponseMetadata = ProviderJson.Strings(value["token_response_metadata"]);
            RedirectUriMetadata = ProviderJson.Strings(value["redirect_uri_metadata"]);
            WebhookResponseMetadata = ProviderJson.Strings(value["webhook_response_metadata"]);

            ConnectionConfigFields = ProviderField.ListFrom(value["connection_config"]);
            CredentialsFields = ProviderField.ListFrom(value["credentials"]);
            IntegrationConfigFields = ProviderField.ListFrom(value["integration_config"]);
            AssertionOptionFields = ProviderField.ListFrom(value["assertion_option"]);
            LegacyConnectionConfiguration = ProviderJson.Strings(value["connection_configuration"]);

            Proxy = ProviderProxy.From(value["proxy"]);

            PostConnectionScript = ProviderJson.String(value["post_connection_script"]);
            PreConnectionDeletionScript = ProviderJson.String(value["pre_connection_deletion_script"]);
            CredentialsVerificationScript = ProviderJson.String(value["credentials_verification_script"]);
            WebhookRoutingScript = ProviderJson.String(value["webhook_routing_script"]);
            WebhookUserDefinedSecret = ProviderJson.Bool(value["webhook_user_defined_secret"]) ?? false;
            WebhookAllowedQueryParams = ProviderJson.Strings(value["webhook_allowed_query_params"]);
            WebhookSignature = ProviderWebhookSignature.From(value["webhook_signature"]);
            WebhookRouting = ProviderWebhookRoute.ListFrom(value["webhook_routing"]);
            WebhookEventType = ProviderWebhookSource.From(value["webhook_event_type"]);

            RequestUrl = ProviderJson.String(value["request_url"]);
            RequestParams = ProviderJson.StringMap(value["request_params"]);
            SignatureMethod = ProviderJson.String(value["signature_method"]);

            ClientRegistration = ProviderJson.String(value["client_registration"]);
            RegistrationUrl = ProviderJson.String(value["registration_url"]);
            RequireClientCertificate = ProviderJson.Bool(value["require_client_certificate"]) ?? false;
            Installation = ProviderJson.String(value["installation"]);
        }
    }

    public string? DocsConnect { get; private init; }

    public string? SetupGuideUrl { get; private init; }

    /// <summary>
    /// <c>logo</c> as the entry states it; Nango's catalog has none. The dashboard does not hotlink it: see
    /// <see cref="ProviderLogoFiles"/>.
    /// </summary>
    public string? Logo { get; private init; }

    public string? AuthorizationUrl { get; private init; }

    /// <summary>Extra query parameters of the authorize URL (templates).</summary>
    public IReadOnlyDictionary<string, string> AuthorizationParams { get; private init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> AuthorizationUrlReplacements { get; private init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> AuthorizationUrlSkipEncode { get; private init; } = [];

    public bool AuthorizationUrlSkipEmpty { get; private init; }

    public string? AuthorizationUrlFragment { get; private init; }

    public string? AuthorizationCodeParamInCallback { get; private init; }

    public ProviderTokenUrl? TokenUrl { get; private init; }

    /// <summary>Extra token request parameters (templates); may nest when <see cref="BodyFormat"/> is json or xml.</summary>
    public JsonObject TokenParams { get; private init; } = [];

    public IReadOnlyDictionary<string, string> TokenHeaders { get; private init; } = new Dictionary<string, string>();

    /// <summary>Refresh endpoint when it differs from the token URL.</summary>
    public string? RefreshUrl { get; private init; }

    public JsonObject RefreshParams { get; private init; } = [];

    /// <summary><c>basic</c>, <c>custom</c> or <c>private_key_jwt</c>.</summary>
    public string? TokenRequestAuthMethod { get; private init; }

    /// <summary><c>body</c> or <c>header</c>.</summary>
    public string? AuthorizationMethod { get; private init; }

    /// <summary><c>form</c>, <c>json</c>, <c>query</c> or <c>xml</c>.</summary>
    public string? BodyFormat { get; private init; }

    public bool DisablePkce { get; private init; }

    /// <summary>Seconds before expiry at which the token is refreshed; absent means the default (15 minutes).</summary>
    public int? TokenExpirationBuffer { get; private init; }

    /// <summary>Token lifetime to assume when the token response does not state one.</summary>
    public long? TokenExpiresInMs { get; private init; }

    /// <summary><c>milliseconds</c> when the token response's <c>expires_in</c> is not in seconds.</summary>
    public string? ExpiresInUnit { get; private init; }

    /// <summary>Path in the token response where the token actually is (Slack user tokens: <c>authed_user</c>).</summary>
    public string? AlternateAccessTokenResponsePath { get; private init; }

    /// <summary>Absent means a space.</summary>
    public string? ScopeSeparator { get; private init; }

    public IReadOnlyList<string> DefaultScopes { get; private init; } = [];

    /// <summary>Token response paths copied into the connection config.</summary>
    public IReadOnlyList<string> TokenResponseMetadata { get; private init; } = [];

    /// <summary>OAuth callback query parameters copied into the connection config.</summary>
    public IReadOnlyList<string> RedirectUriMetadata { get; private init; } = [];

    /// <summary>Webhook payload paths copied into the connection config.</summary>
    public IReadOnlyList<string> WebhookResponseMetadata { get; private init; } = [];

    /// <summary><c>connection_config</c>: what the end user supplies to connect, in file order.</summary>
    public IReadOnlyList<ProviderField> ConnectionConfigFields { get; private init; } = [];

    /// <summary><c>credentials</c>: the credential inputs of non-OAuth modes, in file order.</summary>
    public IReadOnlyList<ProviderField> CredentialsFields { get; private init; } = [];

    /// <summary><c>integration_config</c>: settings of the integration (not of each connection), in file order.</summary>
    public IReadOnlyList<ProviderField> IntegrationConfigFields { get; private init; } = [];

    public IReadOnlyList<ProviderField> AssertionOptionFields { get; private init; } = [];

    /// <summary><c>connection_configuration</c>: the older list of connection config keys some entries still carry.</summary>
    public IReadOnlyList<string> LegacyConnectionConfiguration { get; private init; } = [];

    public ProviderProxy? Proxy { get; private init; }

    /// <summary>Names of built-in server hooks; they refer to code, not to anything in the catalog.</summary>
    public string? PostConnectionScript { get; private init; }

    public string? PreConnectionDeletionScript { get; private init; }

    public string? CredentialsVerificationScript { get; private init; }

    public string? WebhookRoutingScript { get; private init; }

    /// <summary>The integration asks for a webhook secret of the user's choosing.</summary>
    public bool WebhookUserDefinedSecret { get; private init; }

    public IReadOnlyList<string> WebhookAllowedQueryParams { get; private init; } = [];

    /// <summary>Our <c>webhook_signature</c>: how incoming webhooks are signed; null when the catalog does not say.</summary>
    public ProviderWebhookSignature? WebhookSignature { get; private init; }

    /// <summary>Our <c>webhook_routing</c>: how an incoming webhook finds its connections, rules in order.</summary>
    public IReadOnlyList<ProviderWebhookRoute> WebhookRouting { get; private init; } = [];

    /// <summary>Our <c>webhook_event_type</c>: where an incoming webhook states its event type (for <c>onWebhook</c> subscriptions).</summary>
    public ProviderWebhookSource? WebhookEventType { get; private init; }

    /// <summary>OAuth 1.0a request-token endpoint.</summary>
    public string? RequestUrl { get; private init; }

    public IReadOnlyDictionary<string, string> RequestParams { get; private init; } = new Dictionary<string, string>();

    /// <summary>OAuth 1.0a: <c>HMAC-SHA1</c>, <c>RSA-SHA1</c> or <c>PLAINTEXT</c>.</summary>
    public string? SignatureMethod { get; private init; }

    /// <summary>MCP OAuth: <c>dynamic</c>, <c>static</c> or <c>cimd</c>.</summary>
    public string? ClientRegistration { get; private init; }

    public string? RegistrationUrl { get; private init; }

    public bool RequireClientCertificate { get; private init; }

    public string? Installation { get; private init; }

    /// <summary>How long before expiry a token counts as expiring: <see cref="TokenExpirationBuffer"/> or 15 minutes.</summary>
    public TimeSpan RefreshBuffer => TokenExpirationBuffer is { } seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(15);
}
