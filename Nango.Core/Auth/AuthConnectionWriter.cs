using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.ConnectSessions;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Persistence;
using Nango.Core.Secrets;
using Nango.Core.Syncs.Schedules;
using Nango.Core.Webhooks;

namespace Nango.Core.Auth;

/// <summary>
/// Who is authorising, beyond the environment: what a connect session (or a legacy public-key call) brings.
/// <c>ReconnectConnectionId</c> is set for reconnect sessions: the connection whose credentials the flow replaces.
/// </summary>
public sealed record AuthCaller(
    EnvironmentContext Environment,
    EndUser? EndUser = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? WebhookUrlOverride = null,
    IReadOnlyList<string>? AllowedIntegrations = null,
    string? ReconnectConnectionId = null,
    int? ConnectSessionId = null,
    IReadOnlyDictionary<string, ConnectSessionIntegrationDefaults>? IntegrationDefaults = null)
{
    public bool IsAllowed(string providerConfigKey) =>
        AllowedIntegrations is not { Count: > 0 } allowed || allowed.Contains(providerConfigKey, StringComparer.Ordinal);

    /// <summary>What the app pre-set for this integration in the connect session, if anything.</summary>
    public ConnectSessionIntegrationDefaults? DefaultsFor(string providerConfigKey) => IntegrationDefaults?.GetValueOrDefault(providerConfigKey);

    public static AuthCaller FromSession(ConnectSessionContext session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new AuthCaller(
            session.Environment,
            session.EndUser?.ToConnectionEndUser(),
            session.Tags,
            session.WebhookUrlOverride,
            session.AllowedIntegrations,
            session.Reconnect?.ConnectionId,
            session.Id,
            session.IntegrationsConfigDefaults);
    }
}

/// <summary>A connection just authorised, and whether it was new.</summary>
public sealed record AuthorizedConnection(Connection Connection, Integration Integration, string Operation);

/// <summary>
/// Stores the outcome of every auth flow: creates the connection or overrides its credentials, applies the
/// caller's end user, tags and webhook override, and publishes the <c>auth</c> webhook (creation or override) in
/// the same transaction, so the app hears of exactly the connections that exist.
/// </summary>
public sealed class AuthConnectionWriter(
    IDbContextFactory<NangoDbContext> contextFactory,
    SecretProtector protector,
    WebhookPublisher webhooks,
    TimeProvider clock)
{
    public async Task<AuthorizedConnection> SaveAsync(
        AuthCaller caller, Integration integration, string connectionId, JsonObject credentials, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(integration);
        ArgumentNullException.ThrowIfNull(credentials);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow();
        var connection = await ConnectionService.FindAsync(db, caller.Environment, integration.Id, connectionId, ct);
        var operation = connection is null ? AuthOperations.Creation : AuthOperations.Override;
        if (connection is null)
        {
            connection = new Connection
            {
                EnvironmentId = caller.Environment.EnvironmentId,
                IntegrationId = integration.Id,
                ConnectionId = connectionId,
                CredentialsCiphertext = "",
                CreatedAt = now,
            };
            db.Connections.Add(connection);
        }
        connection.CredentialsCiphertext = protector.Protect(credentials.ToJsonString());
        connection.CredentialsExpiresAt = ConnectionService.ReadExpiry(credentials);
        connection.ConnectionConfig = JsonObjects.Serialize(connectionConfig);
        if (caller.EndUser is not null)
        {
            ConnectionService.ApplyEndUser(connection, caller.EndUser);
        }
        if (caller.Tags is { Count: > 0 })
        {
            connection.Tags = JsonObjects.Serialize(ConnectionService.NormalizeTags(caller.Tags));
        }
        if (caller.WebhookUrlOverride is not null)
        {
            connection.WebhookUrlOverride = caller.WebhookUrlOverride;
        }
        // Fresh credentials clear the refresh trouble of the old ones.
        connection.RefreshAttempts = 0;
        connection.RefreshExhausted = false;
        connection.LastRefreshFailure = null;
        connection.Errors = "[]";
        connection.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await SyncScheduleWriter.EnsureForConnectionAsync(db, caller.Environment.EnvironmentId, integration.Id, connection.Id, ct);

        var provider = integration.Provider;
        await webhooks.PublishAsync(db, new WebhookMessage(
            caller.Environment.EnvironmentId,
            WebhookTopic.AuthCreation,
            WebhookPayloads.Auth(new AuthWebhookEvent(
                connectionId,
                credentials["type"]?.ToString() ?? "NONE",
                integration.UniqueKey,
                provider,
                caller.Environment.EnvironmentName,
                operation,
                Success: true,
                Tags: JsonObjects.ParseStringMap(connection.Tags),
                EndUser: connection.EndUserId is null ? null : new WebhookEndUser(connection.EndUserId, connection.EndUserOrganizationId, connection.EndUserEmail, null))),
            connection), ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new AuthorizedConnection(connection, integration, operation);
    }
}
