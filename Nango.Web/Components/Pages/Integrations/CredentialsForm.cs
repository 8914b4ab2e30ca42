using Nango.Core.Integrations;

namespace Nango.Web.Components.Pages.Integrations;

/// <summary>
/// The editable app credentials of an integration. Which fields apply follows the provider's auth mode,
/// mirroring what <see cref="IntegrationService"/> accepts for that mode.
/// </summary>
public sealed class CredentialsForm
{
    public string? Type { get; private init; }

    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    public string Scopes { get; set; } = "";

    public string WebhookSecret { get; set; } = "";

    public string AppId { get; set; } = "";

    public string AppLink { get; set; } = "";

    public string PrivateKey { get; set; } = "";

    /// <summary>OAuth-style client id and secret (and scopes).</summary>
    public bool UsesClient => Type is "OAUTH1" or "OAUTH2" or "TBA" or "CUSTOM";

    /// <summary>App id, app link and private key (GitHub App style).</summary>
    public bool UsesApp => Type is "APP" or "CUSTOM";

    public bool Applies => Type is not null;

    private bool IsEmpty => new[] { ClientId, ClientSecret, Scopes, WebhookSecret, AppId, AppLink, PrivateKey }.All(string.IsNullOrWhiteSpace);

    /// <summary>The credential type an integration of this auth mode takes; null when it takes none (API keys, basic auth…).</summary>
    public static string? TypeFor(string authMode) => authMode switch
    {
        "OAUTH2" or "MCP_OAUTH2" or "MCP_OAUTH2_GENERIC" => "OAUTH2",
        "OAUTH1" => "OAUTH1",
        "TBA" => "TBA",
        "APP" => "APP",
        "CUSTOM" => "CUSTOM",
        _ => null,
    };

    public static CredentialsForm ForAuthMode(string authMode) => new() { Type = TypeFor(authMode) };

    public static CredentialsForm From(IntegrationCredentials? credentials, string authMode) => credentials is null
        ? ForAuthMode(authMode)
        : new CredentialsForm
        {
            Type = credentials.Type,
            ClientId = credentials.ClientId ?? "",
            ClientSecret = credentials.ClientSecret ?? "",
            // Stored comma-separated; shown the same way so an unchanged form saves unchanged scopes.
            Scopes = credentials.Scopes ?? "",
            WebhookSecret = credentials.WebhookSecret ?? "",
            AppId = credentials.AppId ?? "",
            AppLink = credentials.AppLink ?? "",
            PrivateKey = credentials.PrivateKey ?? "",
        };

    /// <summary>Null when nothing applies or nothing was filled in: an integration may be created without credentials.</summary>
    public IntegrationCredentials? ToCredentials() => Type is null || IsEmpty
        ? null
        : new IntegrationCredentials(
            Type,
            UsesClient ? Blank(ClientId) : null,
            UsesClient ? Blank(ClientSecret) : null,
            UsesClient ? Blank(Scopes) : null,
            Blank(WebhookSecret),
            UsesApp ? Blank(AppId) : null,
            UsesApp ? Blank(AppLink) : null,
            UsesApp ? Blank(PrivateKey) : null);

    private static string? Blank(string value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
