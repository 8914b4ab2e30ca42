using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;
using Nango.Core.Secrets;
using Nango.Core.Webhooks;

namespace Nango.Core.Auth;

public enum RefreshOutcome
{
    /// <summary>Nothing to do: the credentials are valid beyond the buffer, or another caller just refreshed them.</summary>
    Fresh,
    Refreshed,

    /// <summary>Nothing to refresh with (no refresh token, or a mode without refresh): the credentials stay as they are.</summary>
    NotRefreshable,
    Failed,
    NotFound,
}

public sealed record RefreshResult(RefreshOutcome Outcome, AuthError? Error = null);

/// <summary>
/// Refreshes a connection's credentials before they are returned or used, exactly once across every instance:
/// the refresh runs inside a transaction holding a Postgres advisory lock for the connection, re-reads the row
/// after acquiring it, and skips when another caller already refreshed (Nango's Redis lock, without Redis). A
/// rotating refresh token is therefore never spent twice, and the new one is stored in the same transaction.
/// Failures back off for 30 s, count once per day, and exhaust the connection after 4 failing days (or at once
/// on <c>invalid_grant</c>); each failure puts an auth error on the connection and sends the refresh webhook.
/// </summary>
public sealed class CredentialRefresher(
    IDbContextFactory<NangoDbContext> contextFactory,
    IProviderCatalog catalog,
    SecretProtector protector,
    OAuth2TokenClient tokens,
    WebhookPublisher webhooks,
    ILogService logs,
    TimeProvider clock,
    Tokens.TokenModeRefresher tokenModes)
{
    /// <summary>Advisory-lock namespace (first key) for connection refreshes; the second key is the connection id.</summary>
    private const int LockNamespace = 0x4e52; // "NR"

    public static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(30);

    /// <summary>A forced refresh is satisfied by one that finished this shortly before it was asked for: a burst of forced
    /// calls (the race Nango's users hit) makes one refresh, not one each.</summary>
    public static readonly TimeSpan ForcedRefreshWindow = TimeSpan.FromSeconds(5);

    public const int MaxFailingDays = 4;

    /// <summary>
    /// Refreshes running in this process, one per connection (by row id). Callers that find one running share it
    /// rather than each holding a database connection while queueing on the advisory lock: a burst of calls would
    /// otherwise exhaust the connection pool and stall every request of the instance.
    /// </summary>
    private readonly ConcurrentDictionary<int, Lazy<Task<RefreshResult>>> _running = new();

    public async Task<RefreshResult> EnsureFreshAsync(EnvironmentContext env, string providerConfigKey, string connectionId, bool force, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        var askedAt = clock.GetUtcNow();
        Integration? integration;
        Connection? connection;
        await using (var db = await contextFactory.CreateDbContextAsync(ct))
        {
            integration = await IntegrationService.FindAsync(db, env, providerConfigKey, ct);
            connection = integration is null ? null : await ConnectionService.FindAsync(db, env, integration.Id, connectionId, ct);
        }
        if (integration is null || connection is null)
        {
            return new RefreshResult(RefreshOutcome.NotFound);
        }
        var provider = catalog.Find(integration.Provider);
        if (provider is null || !IsDue(provider, connection, force, askedAt))
        {
            return new RefreshResult(RefreshOutcome.Fresh);
        }
        if (CheckRefreshState(connection, askedAt) is { } blocked)
        {
            return blocked;
        }
        if (!HasSomethingToRefreshWith(connection))
        {
            // Decided before locking or logging: an expiring token without a refresh token would otherwise lock and
            // log on every read.
            return new RefreshResult(RefreshOutcome.NotRefreshable);
        }

        // The refresh itself does not take the caller's token: once the provider has rotated the refresh token, the
        // new one must be stored even if this caller went away, or the connection is lost.
        var seenRefresh = connection.LastRefreshSuccess;
        var mine = new Lazy<Task<RefreshResult>>(() => RefreshUnderLockAsync(env, integration, provider, connection.Id, force, askedAt, seenRefresh, CancellationToken.None));
        var running = _running.GetOrAdd(connection.Id, mine);
        if (ReferenceEquals(running, mine))
        {
            _ = mine.Value.ContinueWith(
                _ => _running.TryRemove(new KeyValuePair<int, Lazy<Task<RefreshResult>>>(connection.Id, mine)),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return await running.Value.WaitAsync(ct);
    }

    private async Task<RefreshResult> RefreshUnderLockAsync(
        EnvironmentContext env, Integration integration, ProviderDefinition provider, int connectionRowId, bool force,
        DateTimeOffset askedAt, DateTimeOffset? seenRefresh, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({LockNamespace}, {connectionRowId})", ct);
        var connection = await db.Connections.SingleOrDefaultAsync(c => c.Id == connectionRowId, ct);
        var now = clock.GetUtcNow();
        if (connection is null || connection.DeletedAt is not null)
        {
            return new RefreshResult(RefreshOutcome.NotFound);
        }
        if (connection.LastRefreshSuccess != seenRefresh || !IsDue(provider, connection, force, askedAt))
        {
            // Someone else refreshed while we waited for the lock (in another instance, or before this flight began).
            return new RefreshResult(RefreshOutcome.Fresh);
        }
        if (CheckRefreshState(connection, now) is { } blockedNow)
        {
            return blockedNow;
        }

        var credentials = JsonObjects.Parse(protector.Unprotect(connection.CredentialsCiphertext));
        var type = credentials["type"]?.ToString();
        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.AuthRefreshToken, env) with
        {
            IntegrationId = integration.Id,
            IntegrationKey = integration.UniqueKey,
            Provider = integration.Provider,
            ConnectionId = connection.Id,
            ConnectionName = connection.ConnectionId,
        });
        var connectionConfig = JsonObjects.Parse(connection.ConnectionConfig);
        TokenResponse response;
        JsonObject? regenerated = null;
        switch (type)
        {
            case "OAUTH2" when credentials["refresh_token"]?.ToString() is { Length: > 0 } refreshToken:
                response = await tokens.RefreshAsync(provider, ClientFor(integration, credentials), refreshToken, connectionConfig, ct);
                break;
            case "OAUTH2_CC":
                var ccClient = new OAuthClient(credentials["client_id"]?.ToString() ?? integration.ClientId ?? "", credentials["client_secret"]?.ToString() ?? protector.UnprotectOrNull(integration.ClientSecretCiphertext));
                response = await tokens.ClientCredentialsAsync(provider, ccClient, Scopes(integration), connectionConfig, ct);
                break;
            case var _ when Tokens.TokenModeRefresher.Handles(type):
                // JWT, TWO_STEP and APP tokens are made anew (re-signed or re-requested) rather than refreshed.
                var made = await tokenModes.RefreshAsync(provider, integration, credentials, connectionConfig, ct);
                regenerated = made.Credentials;
                response = new TokenResponse(null, made.StatusCode, made.Error?.Code, made.Error?.Message);
                if (made.Url is not null)
                {
                    log.Http(new LogHttpRequest("POST", made.Url), made.StatusCode == 0 ? null : new LogHttpResponse(made.StatusCode, null, null), "Token request", context: MessageContexts.Auth);
                }
                break;
            default:
                // Nothing to refresh with (no refresh token, or a mode without refresh): the caller gets what exists.
                log.Info($"Credentials of type {type} cannot be refreshed; returned as they are.");
                log.Succeed();
                return new RefreshResult(RefreshOutcome.NotRefreshable);
        }
        if (!Tokens.TokenModeRefresher.Handles(type))
        {
            log.Http(new LogHttpRequest("POST", provider.RefreshUrl ?? provider.TokenUrl?.For(provider.AuthMode) ?? ""),
                response.StatusCode == 0 ? null : new LogHttpResponse(response.StatusCode, null, response.Body?.ToJsonString()),
                "Token refresh", context: MessageContexts.Auth);
        }

        if (regenerated is not null || (response.Succeeded && (response.Body!["access_token"] is not null || provider.AlternateAccessTokenResponsePath is not null)))
        {
            var refreshed = regenerated ?? OAuth2Credentials.FromTokenResponse(provider, response.Body!, now, type!, credentials["refresh_token"]?.ToString());
            if (type == "OAUTH2_CC")
            {
                refreshed["client_id"] = credentials["client_id"]?.DeepClone();
                refreshed["client_secret"] = credentials["client_secret"]?.DeepClone();
            }
            if (credentials["config_override"] is { } configOverride)
            {
                refreshed["config_override"] = configOverride.DeepClone();
            }
            connection.CredentialsCiphertext = protector.Protect(refreshed.ToJsonString());
            connection.CredentialsExpiresAt = ConnectionService.ReadExpiry(refreshed);
            // When it finished, not when it started: a forced refresh asked for while this one ran is satisfied by it.
            connection.LastRefreshSuccess = clock.GetUtcNow();
            connection.RefreshAttempts = 0;
            connection.RefreshExhausted = false;
            connection.Errors = "[]";
            connection.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            log.Info("Credentials refreshed");
            log.Succeed();
            return new RefreshResult(RefreshOutcome.Refreshed);
        }

        var error = new AuthError(
            response.Error == "invalid_grant" ? "refresh_token_invalid" : "refresh_token_external_error",
            $"Refreshing the credentials failed: {response.Describe()}");
        // Attempts count failing days, not failing calls.
        if (connection.LastRefreshFailure is not { } lastFailure || lastFailure.UtcDateTime.Date != now.UtcDateTime.Date)
        {
            connection.RefreshAttempts++;
        }
        connection.LastRefreshFailure = now;
        connection.RefreshExhausted = connection.RefreshAttempts >= MaxFailingDays || response.Error == "invalid_grant";
        connection.Errors = new JsonArray(new JsonObject { ["type"] = "auth", ["log_id"] = log.Id.ToString() }).ToJsonString();
        connection.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await webhooks.PublishAsync(db, new WebhookMessage(env.EnvironmentId, WebhookTopic.AuthRefreshError,
            WebhookPayloads.Auth(new AuthWebhookEvent(
                connection.ConnectionId, type ?? "OAUTH2", integration.UniqueKey, integration.Provider, env.EnvironmentName,
                AuthOperations.Refresh, Success: false,
                Tags: JsonObjects.ParseStringMap(connection.Tags),
                EndUser: connection.EndUserId is null ? null : new WebhookEndUser(connection.EndUserId, connection.EndUserOrganizationId, connection.EndUserEmail, null),
                Error: new WebhookError(error.Code, error.Message))),
            connection), ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        log.Error(error.Message, new LogError(error.Code, error.Message));
        log.Fail(new LogError(error.Code, error.Message));
        return new RefreshResult(RefreshOutcome.Failed, error);
    }

    /// <summary>
    /// The periodic sweep (Nango's 10-minute cron): connections whose credentials expire within 15 minutes, and
    /// connections not refreshed for a day (a refresh token unused for long can lapse), not exhausted. Returns how
    /// many were refreshed; each goes through <see cref="EnsureFreshAsync"/>, so it never races a request.
    /// </summary>
    public async Task<int> RefreshDueAsync(int batchSize, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var soon = now.AddMinutes(15);
        var dayAgo = now.AddDays(-1);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var due = await (
            from c in db.Connections.AsNoTracking()
            join i in db.Integrations.AsNoTracking() on c.IntegrationId equals i.Id
            join e in db.Environments.AsNoTracking() on c.EnvironmentId equals e.Id
            where c.DeletedAt == null && i.DeletedAt == null && !c.RefreshExhausted && c.CredentialsExpiresAt != null
                && (c.CredentialsExpiresAt < soon || (c.LastRefreshSuccess ?? c.CreatedAt) < dayAgo)
                && (c.LastRefreshFailure == null || c.LastRefreshFailure < now - FailureBackoff)
            orderby c.CredentialsExpiresAt
            select new { Environment = e, i.UniqueKey, c.ConnectionId, Expiring = c.CredentialsExpiresAt < soon })
            .Take(batchSize)
            .ToListAsync(ct);
        var refreshed = 0;
        foreach (var item in due)
        {
            var result = await EnsureFreshAsync(EnvironmentContext.From(item.Environment), item.UniqueKey, item.ConnectionId, force: !item.Expiring, ct);
            refreshed += result.Outcome == RefreshOutcome.Refreshed ? 1 : 0;
        }
        return refreshed;
    }

    /// <summary>Due when forced (unless a refresh finished just before the request), or when expiring within the provider's buffer.</summary>
    private static bool IsDue(ProviderDefinition provider, Connection connection, bool force, DateTimeOffset askedAt)
    {
        if (force)
        {
            return connection.LastRefreshSuccess is not { } last || last < askedAt - ForcedRefreshWindow;
        }
        return connection.CredentialsExpiresAt is { } expiresAt && expiresAt - provider.RefreshBuffer <= askedAt;
    }

    private bool HasSomethingToRefreshWith(Connection connection)
    {
        var credentials = JsonObjects.Parse(protector.Unprotect(connection.CredentialsCiphertext));
        return credentials["type"]?.ToString() switch
        {
            "OAUTH2" => credentials["refresh_token"]?.ToString() is { Length: > 0 },
            "OAUTH2_CC" or "APP" or "JWT" or "TWO_STEP" => true,
            _ => false,
        };
    }

    private static RefreshResult? CheckRefreshState(Connection connection, DateTimeOffset now)
    {
        if (connection.RefreshExhausted)
        {
            return new RefreshResult(RefreshOutcome.Failed, new AuthError("connection_refresh_exhausted",
                "Refreshing this connection's credentials kept failing; the end user has to re-authorise it."));
        }
        if (connection.LastRefreshFailure is { } failure && now - failure < FailureBackoff)
        {
            return new RefreshResult(RefreshOutcome.Failed, new AuthError("connection_refresh_backoff",
                $"The last refresh failed less than {FailureBackoff.TotalSeconds:0} s ago; try again shortly."));
        }
        return null;
    }

    private OAuthClient ClientFor(Integration integration, JsonObject credentials)
    {
        var configOverride = credentials["config_override"] as JsonObject;
        return new OAuthClient(
            configOverride?["client_id"]?.ToString() ?? integration.ClientId ?? "",
            configOverride?["client_secret"]?.ToString() ?? protector.UnprotectOrNull(integration.ClientSecretCiphertext));
    }

    private static List<string> Scopes(Integration integration) =>
        string.IsNullOrWhiteSpace(integration.Scopes) ? [] : integration.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
