using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Persistence;
using Nango.Core.Secrets;

namespace Nango.Core.ConnectSessions;

public sealed class ConnectSessionService(IDbContextFactory<NangoDbContext> contextFactory, TimeProvider clock)
{
    private const string UnknownIntegrationMessage = "Integration does not exist";

    /// <summary>A session for creating a connection, limited to the integrations the request names (all of them by default).</summary>
    public async Task<ConnectSessionResult> CreateAsync(EnvironmentContext env, ConnectSessionRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(request);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var errors = await CheckIntegrationsExistAsync(db, env, request, ct);
        if (errors.Count > 0)
        {
            return ConnectSessionResult.Invalid(errors);
        }
        var session = NewSession(env, request, WithOrganization(request.EndUser, request.Organization));
        // Nango stores no list for "all integrations", and an empty list would allow none: both mean all.
        session.AllowedIntegrations = request.AllowedIntegrations is { Count: > 0 } allowed ? [.. allowed] : null;
        return await SaveAsync(db, session, ct);
    }

    /// <summary>
    /// A session bound to an existing connection: the end user may only re-authorise that connection's
    /// integration, and the connection keeps its id and its end user.
    /// </summary>
    public async Task<ConnectSessionResult> CreateReconnectAsync(EnvironmentContext env, ReconnectSessionRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(request);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await IntegrationService.FindAsync(db, env, request.IntegrationKey, ct);
        var connection = integration is null
            ? null
            : await db.Connections.AsNoTracking().SingleOrDefaultAsync(
                c => c.EnvironmentId == env.EnvironmentId && c.IntegrationId == integration.Id && c.ConnectionId == request.ConnectionId && c.DeletedAt == null, ct);
        if (connection is null)
        {
            return new ConnectSessionResult(ConnectSessionOutcome.UnknownConnection);
        }
        var errors = await CheckIntegrationsExistAsync(db, env, request.Session with { AllowedIntegrations = null }, ct);
        if (errors.Count > 0)
        {
            return ConnectSessionResult.Invalid(errors);
        }
        // The connection already belongs to someone: that end user is the one re-authorising it.
        var endUser = connection.EndUserId is { } id
            ? new ConnectSessionEndUser(id, connection.EndUserEmail, connection.EndUserDisplayName, null,
                connection.EndUserOrganizationId is { } org ? new ConnectSessionOrganization(org, connection.EndUserOrganizationDisplayName) : null)
            : WithOrganization(request.Session.EndUser, request.Session.Organization);
        var session = NewSession(env, request.Session, endUser);
        session.ConnectionId = connection.Id;
        session.AllowedIntegrations = [integration!.UniqueKey];
        return await SaveAsync(db, session, ct);
    }

    /// <summary>The live session a token stands for, with its environment; expired and deleted sessions are unknown.</summary>
    public async Task<ConnectSessionLookup> ResolveAsync(string? token, CancellationToken ct)
    {
        if (!ConnectSessionToken.IsValid(token))
        {
            return new ConnectSessionLookup(ConnectSessionTokenStatus.InvalidFormat);
        }
        var hash = SecretHasher.Hash(token!);
        var now = clock.GetUtcNow();
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var row = await (
                from s in db.ConnectSessions.AsNoTracking()
                join e in db.Environments.AsNoTracking() on s.EnvironmentId equals e.Id
                where s.TokenHash == hash && s.ExpiresAt > now
                select new
                {
                    Session = s,
                    Environment = e,
                    Reconnect = (from c in db.Connections
                                 join i in db.Integrations on c.IntegrationId equals i.Id
                                 where c.Id == s.ConnectionId && c.EnvironmentId == s.EnvironmentId
                                 select new ReconnectTarget(c.Id, c.ConnectionId, i.UniqueKey)).FirstOrDefault(),
                })
            .SingleOrDefaultAsync(ct);
        if (row is null)
        {
            return new ConnectSessionLookup(ConnectSessionTokenStatus.Unknown);
        }
        return new ConnectSessionLookup(ConnectSessionTokenStatus.Valid, ToContext(row.Session, EnvironmentContext.From(row.Environment), row.Reconnect));
    }

    /// <summary>Ends a session early (the Connect UI does this when the end user is done); false if it was already gone.</summary>
    public async Task<bool> DeleteAsync(ConnectSessionContext session, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var deleted = await db.ConnectSessions
            .Where(s => s.Id == session.Id && s.EnvironmentId == session.Environment.EnvironmentId)
            .ExecuteDeleteAsync(ct);
        return deleted > 0;
    }

    /// <summary>Removes sessions that expired before <paramref name="before"/>; they can no longer be resolved anyway.</summary>
    public async Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await db.ConnectSessions.Where(s => s.ExpiresAt < before).ExecuteDeleteAsync(ct);
    }

    private static async Task<List<ValidationError>> CheckIntegrationsExistAsync(NangoDbContext db, EnvironmentContext env, ConnectSessionRequest request, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        var named = (request.AllowedIntegrations ?? [])
            .Concat(request.IntegrationsConfigDefaults?.Keys ?? [])
            .Concat(request.Overrides?.Keys ?? [])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (named.Count == 0)
        {
            return errors;
        }
        var existing = (await db.Integrations.AsNoTracking()
                .Where(i => i.EnvironmentId == env.EnvironmentId && i.DeletedAt == null && named.Contains(i.UniqueKey))
                .Select(i => i.UniqueKey)
                .ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        // Nango reports unknown allowed integrations alone first; the other two maps are checked together after.
        for (var index = 0; index < (request.AllowedIntegrations?.Count ?? 0); index++)
        {
            if (!existing.Contains(request.AllowedIntegrations![index]))
            {
                errors.Add(new ValidationError("custom", UnknownIntegrationMessage, ["allowed_integrations", index]));
            }
        }
        if (errors.Count > 0)
        {
            return errors;
        }
        errors.AddRange((request.IntegrationsConfigDefaults?.Keys ?? []).Where(k => !existing.Contains(k))
            .Select(k => new ValidationError("custom", UnknownIntegrationMessage, ["integrations_config_defaults", k])));
        errors.AddRange((request.Overrides?.Keys ?? []).Where(k => !existing.Contains(k))
            .Select(k => new ValidationError("custom", UnknownIntegrationMessage, ["overrides", k])));
        return errors;
    }

    private static ConnectSessionEndUser? WithOrganization(ConnectSessionEndUser? endUser, ConnectSessionOrganization? organization) =>
        endUser is null ? null : endUser with { Organization = organization ?? endUser.Organization };

    private ConnectSession NewSession(EnvironmentContext env, ConnectSessionRequest request, ConnectSessionEndUser? endUser)
    {
        var now = Clock.ToMicroseconds(clock.GetUtcNow());
        return new ConnectSession
        {
            EnvironmentId = env.EnvironmentId,
            TokenHash = "",
            IntegrationsConfigDefaults = request.IntegrationsConfigDefaults is { } defaults ? SerializeDefaults(defaults) : null,
            Overrides = request.Overrides is { } overrides ? SerializeOverrides(overrides) : null,
            WebhookUrlOverride = string.IsNullOrEmpty(request.WebhookUrlOverride) ? null : request.WebhookUrlOverride,
            EndUserId = endUser?.Id,
            EndUserEmail = endUser?.Email,
            EndUserDisplayName = endUser?.DisplayName,
            EndUserTags = endUser?.Tags is { } endUserTags ? JsonObjects.Serialize(endUserTags) : null,
            EndUserOrganizationId = endUser?.Organization?.Id,
            EndUserOrganizationDisplayName = endUser?.Organization?.DisplayName,
            Tags = JsonObjects.Serialize(MergeTags(request)),
            CreatedAt = now,
            ExpiresAt = now + ConnectSessionToken.Lifetime,
        };
    }

    private static async Task<ConnectSessionResult> SaveAsync(NangoDbContext db, ConnectSession session, CancellationToken ct)
    {
        var token = ConnectSessionToken.New();
        session.TokenHash = SecretHasher.Hash(token);
        db.ConnectSessions.Add(session);
        await db.SaveChangesAsync(ct);
        return new ConnectSessionResult(ConnectSessionOutcome.Ok, new IssuedConnectSession(token, session.ExpiresAt));
    }

    /// <summary>
    /// Nango keeps the older end-user and organization fields searchable by turning them into tags, lowest
    /// priority first: end user and organization fields, then the end user's own tags (dropped whole if they
    /// would push the total past the limit), then the request's tags.
    /// </summary>
    private static Dictionary<string, string> MergeTags(ConnectSessionRequest request)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        void SetBase(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                tags[key] = value.Length > ConnectionTags.MaxValueLength ? value[..ConnectionTags.MaxValueLength] : value;
            }
        }
        SetBase("end_user_id", request.EndUser?.Id);
        SetBase("end_user_email", request.EndUser?.Email);
        SetBase("end_user_display_name", request.EndUser?.DisplayName);
        SetBase("organization_id", request.Organization?.Id);
        SetBase("organization_display_name", request.Organization?.DisplayName);
        if (request.EndUser?.Tags is { Count: > 0 } endUserTags)
        {
            var merged = new Dictionary<string, string>(tags, StringComparer.Ordinal);
            foreach (var (key, value) in ConnectionTags.Normalize(endUserTags))
            {
                merged[key] = value;
            }
            if (merged.Count <= ConnectionTags.MaxCount)
            {
                tags = merged;
            }
        }
        foreach (var (key, value) in ConnectionTags.Normalize(request.Tags ?? new Dictionary<string, string>()))
        {
            tags[key] = value;
        }
        return tags;
    }

    private static string SerializeDefaults(IReadOnlyDictionary<string, ConnectSessionIntegrationDefaults> defaults)
    {
        var json = new JsonObject();
        foreach (var (key, value) in defaults)
        {
            var entry = new JsonObject();
            if (value.UserScopes is not null)
            {
                entry["user_scopes"] = value.UserScopes;
            }
            if (value.AuthorizationParams is not null)
            {
                entry["authorization_params"] = JsonSerializer.SerializeToNode(value.AuthorizationParams);
            }
            if (value.ConnectionConfig is not null)
            {
                entry["connection_config"] = value.ConnectionConfig.DeepClone();
            }
            json[key] = entry;
        }
        return json.ToJsonString();
    }

    private static Dictionary<string, ConnectSessionIntegrationDefaults> ParseDefaults(string json) =>
        JsonObjects.Parse(json).ToDictionary(
            p => p.Key,
            p => new ConnectSessionIntegrationDefaults(
                (string?)p.Value?["user_scopes"],
                p.Value?["authorization_params"] is JsonObject parameters ? parameters.Deserialize<Dictionary<string, string>>() : null,
                p.Value?["connection_config"] is JsonObject config ? config.DeepClone().AsObject() : null),
            StringComparer.Ordinal);

    private static string SerializeOverrides(IReadOnlyDictionary<string, ConnectSessionOverride> overrides)
    {
        var json = new JsonObject();
        foreach (var (key, value) in overrides)
        {
            json[key] = value.DocsConnect is null ? new JsonObject() : new JsonObject { ["docs_connect"] = value.DocsConnect };
        }
        return json.ToJsonString();
    }

    private static Dictionary<string, ConnectSessionOverride> ParseOverrides(string json) =>
        JsonObjects.Parse(json).ToDictionary(p => p.Key, p => new ConnectSessionOverride((string?)p.Value?["docs_connect"]), StringComparer.Ordinal);

    private static ConnectSessionContext ToContext(ConnectSession s, EnvironmentContext env, ReconnectTarget? reconnect) => new()
    {
        Id = s.Id,
        Environment = env,
        AllowedIntegrations = s.AllowedIntegrations,
        IntegrationsConfigDefaults = s.IntegrationsConfigDefaults is { } defaults ? ParseDefaults(defaults) : null,
        Overrides = s.Overrides is { } overrides ? ParseOverrides(overrides) : null,
        WebhookUrlOverride = s.WebhookUrlOverride,
        EndUser = s.EndUserId is null ? null : new ConnectSessionEndUser(
            s.EndUserId, s.EndUserEmail, s.EndUserDisplayName,
            s.EndUserTags is { } tags ? JsonObjects.ParseStringMap(tags) : null,
            s.EndUserOrganizationId is { } org ? new ConnectSessionOrganization(org, s.EndUserOrganizationDisplayName) : null),
        Tags = JsonObjects.ParseStringMap(s.Tags),
        Reconnect = reconnect,
        CreatedAt = s.CreatedAt,
        ExpiresAt = s.ExpiresAt,
    };
}
