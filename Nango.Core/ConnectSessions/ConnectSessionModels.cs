using System.Text.Json.Nodes;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.Environments;

namespace Nango.Core.ConnectSessions;

public sealed record ConnectSessionOrganization(string Id, string? DisplayName = null);

public sealed record ConnectSessionEndUser(
    string Id,
    string? Email = null,
    string? DisplayName = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    ConnectSessionOrganization? Organization = null)
{
    /// <summary>The end user as a connection stores it (tags go to the connection's own tags instead).</summary>
    public EndUser ToConnectionEndUser() => new(Id, Email, DisplayName, Organization?.Id, Organization?.DisplayName);
}

/// <summary>What the app pre-sets for one integration: Nango's <c>integrations_config_defaults[key]</c>.</summary>
public sealed record ConnectSessionIntegrationDefaults(
    string? UserScopes = null,
    IReadOnlyDictionary<string, string>? AuthorizationParams = null,
    JsonObject? ConnectionConfig = null);

public sealed record ConnectSessionOverride(string? DocsConnect = null);

/// <summary>Everything a session can carry; a reconnect session ignores <see cref="AllowedIntegrations"/> (it allows its connection's integration only).</summary>
public sealed record ConnectSessionRequest
{
    public ConnectSessionEndUser? EndUser { get; init; }

    /// <summary>Nango's deprecated top-level <c>organization</c>; it is folded into the end user and the tags.</summary>
    public ConnectSessionOrganization? Organization { get; init; }

    public IReadOnlyList<string>? AllowedIntegrations { get; init; }

    public IReadOnlyDictionary<string, ConnectSessionIntegrationDefaults>? IntegrationsConfigDefaults { get; init; }

    public IReadOnlyDictionary<string, ConnectSessionOverride>? Overrides { get; init; }

    public string? WebhookUrlOverride { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

public sealed record ReconnectSessionRequest(string ConnectionId, string IntegrationKey, ConnectSessionRequest Session);

public enum ConnectSessionOutcome
{
    Ok,
    Invalid,
    UnknownConnection,
}

/// <summary>The token exists only here, on its way to the caller; the database keeps its hash.</summary>
public sealed record IssuedConnectSession(string Token, DateTimeOffset ExpiresAt);

public sealed record ConnectSessionResult(ConnectSessionOutcome Outcome, IssuedConnectSession? Session = null, IReadOnlyList<ValidationError>? Errors = null)
{
    public static ConnectSessionResult Invalid(IReadOnlyList<ValidationError> errors) => new(ConnectSessionOutcome.Invalid, Errors: errors);
}

public enum ConnectSessionTokenStatus
{
    Valid,
    InvalidFormat,

    /// <summary>No session has this token, or it expired, or it was deleted: the caller cannot tell which.</summary>
    Unknown,
}

public sealed record ConnectSessionLookup(ConnectSessionTokenStatus Status, ConnectSessionContext? Session = null);

/// <summary>The connection a reconnect session re-authorises.</summary>
public sealed record ReconnectTarget(int ConnectionRowId, string ConnectionId, string IntegrationKey);

/// <summary>What an auth flow sets on the connection it creates through a session.</summary>
public sealed record NewConnectionDefaults(
    EndUser? EndUser,
    IReadOnlyDictionary<string, string> Tags,
    string? WebhookUrlOverride,
    JsonObject ConnectionConfig,
    string? UserScopes,
    IReadOnlyDictionary<string, string> AuthorizationParams);

/// <summary>A live session resolved from its token, scoped to the environment that created it.</summary>
public sealed record ConnectSessionContext
{
    public required int Id { get; init; }

    public required EnvironmentContext Environment { get; init; }

    public IReadOnlyList<string>? AllowedIntegrations { get; init; }

    public IReadOnlyDictionary<string, ConnectSessionIntegrationDefaults>? IntegrationsConfigDefaults { get; init; }

    public IReadOnlyDictionary<string, ConnectSessionOverride>? Overrides { get; init; }

    public string? WebhookUrlOverride { get; init; }

    public ConnectSessionEndUser? EndUser { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    public ReconnectTarget? Reconnect { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public bool IsReconnecting => Reconnect is not null;

    public bool AllowsIntegration(string uniqueKey) =>
        AllowedIntegrations is null || AllowedIntegrations.Contains(uniqueKey, StringComparer.Ordinal);

    public ConnectSessionIntegrationDefaults? DefaultsFor(string uniqueKey) => IntegrationsConfigDefaults?.GetValueOrDefault(uniqueKey);

    /// <summary>
    /// The end user, tags, webhook URL override and pre-set configuration that a connection created (or
    /// re-authorised) through this session for <paramref name="uniqueKey"/> takes on. Copies, so the
    /// caller may change them.
    /// </summary>
    public NewConnectionDefaults ApplyToNewConnection(string uniqueKey)
    {
        var defaults = DefaultsFor(uniqueKey);
        return new NewConnectionDefaults(
            EndUser?.ToConnectionEndUser(),
            new Dictionary<string, string>(Tags, StringComparer.Ordinal),
            WebhookUrlOverride,
            defaults?.ConnectionConfig?.DeepClone().AsObject() ?? [],
            defaults?.UserScopes,
            defaults?.AuthorizationParams is { } parameters ? new Dictionary<string, string>(parameters, StringComparer.Ordinal) : []);
    }
}
