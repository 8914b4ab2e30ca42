using System.Text.Json.Nodes;

namespace Nango.Core.Connections;

public sealed record EndUser(string Id, string? Email = null, string? DisplayName = null, string? OrganizationId = null, string? OrganizationDisplayName = null);

public sealed record ConnectionError(string Type, string LogId);

public sealed record ConnectionQuery
{
    public string? ConnectionId { get; init; }

    public string? Search { get; init; }

    public string? EndUserId { get; init; }

    public string? EndUserOrganizationId { get; init; }

    /// <summary>Integration unique keys; empty means all.</summary>
    public IReadOnlyList<string> IntegrationKeys { get; init; } = [];

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Only connections that carry errors (the dashboard's error filter).</summary>
    public bool WithErrorsOnly { get; init; }

    public int Limit { get; init; } = 10_000;

    public int Page { get; init; }
}

public sealed record ConnectionSummary(
    int Id,
    string ConnectionId,
    string ProviderConfigKey,
    string Provider,
    DateTimeOffset CreatedAt,
    JsonObject Metadata,
    IReadOnlyList<ConnectionError> Errors,
    EndUser? EndUser,
    IReadOnlyDictionary<string, string> Tags);

public sealed record ConnectionDetails(
    ConnectionSummary Summary,
    JsonObject ConnectionConfig,
    JsonObject Credentials,
    string? WebhookUrlOverride,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastFetchedAt,
    DateTimeOffset? CredentialsExpiresAt,
    DateTimeOffset? LastRefreshSuccess,
    DateTimeOffset? LastRefreshFailure,
    int RefreshAttempts,
    bool RefreshExhausted);

public sealed record ImportConnection(
    string ProviderConfigKey,
    string ConnectionId,
    JsonObject Credentials,
    JsonObject? ConnectionConfig = null,
    JsonObject? Metadata = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    EndUser? EndUser = null);

public sealed record PatchConnection(EndUser? EndUser = null, IReadOnlyDictionary<string, string>? Tags = null, string? WebhookUrlOverride = null, bool ClearWebhookUrlOverride = false);

public enum ConnectionOutcome
{
    Ok,
    UnknownIntegration,
    NotFound,
    Duplicate,
    Invalid,
}

public sealed record ConnectionResult(ConnectionOutcome Outcome, ConnectionDetails? Connection = null, IReadOnlyList<Common.ValidationError>? Errors = null);
