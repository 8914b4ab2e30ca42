namespace Nango.Core.Connections;

/// <summary>An end user's authorised account at a provider, through one integration.</summary>
public sealed class Connection
{
    public int Id { get; set; }

    public int EnvironmentId { get; set; }

    public int IntegrationId { get; set; }

    public required string ConnectionId { get; set; }

    /// <summary>Encrypted JSON of the credentials object (reference §3.2).</summary>
    public required string CredentialsCiphertext { get; set; }

    public DateTimeOffset? CredentialsExpiresAt { get; set; }

    /// <summary>jsonb object.</summary>
    public string ConnectionConfig { get; set; } = "{}";

    /// <summary>jsonb object.</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>jsonb object of string values.</summary>
    public string Tags { get; set; } = "{}";

    /// <summary>jsonb array of <c>{type, log_id}</c>.</summary>
    public string Errors { get; set; } = "[]";

    public string? EndUserId { get; set; }

    public string? EndUserEmail { get; set; }

    public string? EndUserDisplayName { get; set; }

    public string? EndUserOrganizationId { get; set; }

    public string? EndUserOrganizationDisplayName { get; set; }

    public string? WebhookUrlOverride { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? LastFetchedAt { get; set; }

    public DateTimeOffset? LastRefreshSuccess { get; set; }

    public DateTimeOffset? LastRefreshFailure { get; set; }

    public int RefreshAttempts { get; set; }

    public bool RefreshExhausted { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }
}
