namespace Nango.Core.ConnectSessions;

/// <summary>
/// A short-lived grant an app's backend hands to its frontend so an end user can create (or, when
/// <see cref="ConnectionId"/> is set, re-authorise) one connection without ever seeing the secret key.
/// </summary>
public sealed class ConnectSession
{
    public int Id { get; set; }

    public int EnvironmentId { get; set; }

    /// <summary>Lookup hash of the token (<see cref="Secrets.SecretHasher"/>); the token itself is never stored.</summary>
    public required string TokenHash { get; set; }

    /// <summary>The connection row a reconnect session re-authorises; null for a session that creates one.</summary>
    public int? ConnectionId { get; set; }

    /// <summary>Integration unique keys the end user may pick from; null means every integration.</summary>
    public List<string>? AllowedIntegrations { get; set; }

    /// <summary>jsonb object: unique key → <c>{user_scopes?, authorization_params?, connection_config?}</c>.</summary>
    public string? IntegrationsConfigDefaults { get; set; }

    /// <summary>jsonb object: unique key → <c>{docs_connect?}</c>.</summary>
    public string? Overrides { get; set; }

    public string? WebhookUrlOverride { get; set; }

    public string? EndUserId { get; set; }

    public string? EndUserEmail { get; set; }

    public string? EndUserDisplayName { get; set; }

    /// <summary>jsonb object of string values, or null when the caller gave none.</summary>
    public string? EndUserTags { get; set; }

    public string? EndUserOrganizationId { get; set; }

    public string? EndUserOrganizationDisplayName { get; set; }

    /// <summary>jsonb object of string values: the caller's tags merged over the ones derived from the end user.</summary>
    public string Tags { get; set; } = "{}";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
