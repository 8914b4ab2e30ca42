namespace Nango.Core.Integrations;

/// <summary>A configured provider in one environment (Nango's "provider config"), keyed by <see cref="UniqueKey"/>.</summary>
public sealed class Integration
{
    public int Id { get; set; }

    public int EnvironmentId { get; set; }

    public required string UniqueKey { get; set; }

    public required string Provider { get; set; }

    public string? DisplayName { get; set; }

    /// <summary>OAUTH1, OAUTH2, TBA, APP or CUSTOM when app credentials are set.</summary>
    public string? CredentialsType { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecretCiphertext { get; set; }

    /// <summary>Comma-separated, as Nango stores them.</summary>
    public string? Scopes { get; set; }

    public string? WebhookSecretCiphertext { get; set; }

    public string? AppId { get; set; }

    public string? AppLink { get; set; }

    public string? PrivateKeyCiphertext { get; set; }

    public bool ForwardWebhooks { get; set; } = true;

    /// <summary>jsonb object of string values.</summary>
    public string IntegrationConfig { get; set; } = "{}";

    /// <summary>jsonb object of string values (Nango's <c>custom</c>).</summary>
    public string Custom { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }
}
