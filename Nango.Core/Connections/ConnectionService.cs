using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;
using Nango.Core.Secrets;
using Nango.Core.Syncs.Schedules;
using Npgsql;

namespace Nango.Core.Connections;

public sealed class ConnectionService(
    IDbContextFactory<NangoDbContext> contextFactory,
    SecretProtector protector,
    TimeProvider clock,
    ILogService logs)
{
    public const int MaxPageSize = 2000;

    /// <summary>Required credential fields per credentials type (reference §3.2).</summary>
    private static readonly Dictionary<string, string[]> _requiredCredentialFields = new(StringComparer.Ordinal)
    {
        ["OAUTH2"] = ["access_token"],
        ["OAUTH1"] = ["oauth_token", "oauth_token_secret"],
        ["OAUTH2_CC"] = ["token"],
        ["API_KEY"] = ["apiKey"],
        ["BASIC"] = ["username"],
        ["APP"] = ["access_token"],
        ["CUSTOM"] = [],
        ["TBA"] = ["token_id", "token_secret"],
        ["JWT"] = [],
        ["TWO_STEP"] = [],
        ["BILL"] = ["username", "password"],
        ["SIGNATURE"] = ["username", "password"],
        ["AWS_SIGV4"] = [],
        ["NONE"] = [],
    };

    public async Task<IReadOnlyList<ConnectionSummary>> ListAsync(EnvironmentContext env, ConnectionQuery query, CancellationToken ct)
    {
        var (rows, _) = await QueryAsync(env, query, countTotal: false, ct);
        return rows;
    }

    /// <summary>A page of connections plus the total that matches, for server-paged grids.</summary>
    public Task<(IReadOnlyList<ConnectionSummary> Items, int Total)> PageAsync(EnvironmentContext env, ConnectionQuery query, CancellationToken ct) =>
        QueryAsync(env, query, countTotal: true, ct);

    private async Task<(IReadOnlyList<ConnectionSummary>, int)> QueryAsync(EnvironmentContext env, ConnectionQuery query, bool countTotal, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var rows = from c in db.Connections.AsNoTracking()
                   join i in db.Integrations.AsNoTracking() on c.IntegrationId equals i.Id
                   where c.EnvironmentId == env.EnvironmentId && c.DeletedAt == null && i.DeletedAt == null
                   select new { c, i.UniqueKey, i.Provider };
        if (!string.IsNullOrEmpty(query.ConnectionId))
        {
            rows = rows.Where(r => r.c.ConnectionId == query.ConnectionId);
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var pattern = "%" + EscapeLike(query.Search.Trim()) + "%";
            rows = rows.Where(r => EF.Functions.ILike(r.c.ConnectionId, pattern, "\\")
                || (r.c.EndUserDisplayName != null && EF.Functions.ILike(r.c.EndUserDisplayName, pattern, "\\"))
                || (r.c.EndUserEmail != null && EF.Functions.ILike(r.c.EndUserEmail, pattern, "\\"))
                || (r.c.EndUserId != null && EF.Functions.ILike(r.c.EndUserId, pattern, "\\")));
        }
        if (!string.IsNullOrEmpty(query.EndUserId))
        {
            rows = rows.Where(r => r.c.EndUserId == query.EndUserId);
        }
        if (!string.IsNullOrEmpty(query.EndUserOrganizationId))
        {
            rows = rows.Where(r => r.c.EndUserOrganizationId == query.EndUserOrganizationId);
        }
        if (query.IntegrationKeys.Count > 0)
        {
            var keys = query.IntegrationKeys.ToList();
            rows = rows.Where(r => keys.Contains(r.UniqueKey));
        }
        if (query.Tags.Count > 0)
        {
            var tags = JsonSerializer.Serialize(query.Tags);
            rows = rows.Where(r => EF.Functions.JsonContains(r.c.Tags, tags));
        }
        if (query.WithErrorsOnly)
        {
            rows = rows.Where(r => r.c.Errors != "[]");
        }
        var total = countTotal ? await rows.CountAsync(ct) : 0;
        var limit = Math.Clamp(query.Limit, 1, 10_000);
        var page = await rows
            .OrderByDescending(r => r.c.CreatedAt).ThenByDescending(r => r.c.Id)
            .Skip(Math.Max(query.Page, 0) * limit)
            .Take(limit)
            .ToListAsync(ct);
        return (page.Select(r => ToSummary(r.c, r.UniqueKey, r.Provider)).ToList(), total);
    }

    /// <summary>
    /// The connection with its decrypted credentials. Reading credentials through the API marks the
    /// connection as fetched (Nango's <c>last_fetched_at</c>).
    /// </summary>
    public async Task<ConnectionResult> GetAsync(EnvironmentContext env, string providerConfigKey, string connectionId, bool markFetched, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, integration, connection) = await FindWithIntegrationAsync(db, env, providerConfigKey, connectionId, ct);
        if (outcome != ConnectionOutcome.Ok)
        {
            return new ConnectionResult(outcome);
        }
        if (markFetched)
        {
            connection.LastFetchedAt = clock.GetUtcNow();
            await db.SaveChangesAsync(ct);
        }
        return new ConnectionResult(ConnectionOutcome.Ok, ToDetails(connection, integration));
    }

    /// <summary>Creates a connection from credentials obtained elsewhere (Nango's import), or replaces one that exists.</summary>
    public async Task<ConnectionResult> ImportAsync(EnvironmentContext env, ImportConnection request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = ValidateCredentials(request.Credentials);
        if (!Identifiers.IsConnectionId(request.ConnectionId))
        {
            errors.Add(ValidationError.At("Invalid connection_id", "connection_id"));
        }
        if (errors.Count > 0)
        {
            return new ConnectionResult(ConnectionOutcome.Invalid, Errors: errors);
        }
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await IntegrationService.FindAsync(db, env, request.ProviderConfigKey, ct);
        if (integration is null)
        {
            return new ConnectionResult(ConnectionOutcome.UnknownIntegration);
        }
        var now = clock.GetUtcNow();
        var connection = await FindAsync(db, env, integration.Id, request.ConnectionId, ct);
        if (connection is null)
        {
            connection = new Connection
            {
                EnvironmentId = env.EnvironmentId,
                IntegrationId = integration.Id,
                ConnectionId = request.ConnectionId,
                CredentialsCiphertext = "",
                CreatedAt = now,
            };
            db.Connections.Add(connection);
        }
        connection.CredentialsCiphertext = protector.Protect(request.Credentials.ToJsonString());
        connection.CredentialsExpiresAt = ReadExpiry(request.Credentials);
        connection.ConnectionConfig = JsonObjects.Serialize(request.ConnectionConfig ?? []);
        if (request.Metadata is not null)
        {
            connection.Metadata = JsonObjects.Serialize(request.Metadata);
        }
        if (request.Tags is not null)
        {
            connection.Tags = JsonObjects.Serialize(NormalizeTags(request.Tags));
        }
        if (request.EndUser is not null)
        {
            ApplyEndUser(connection, request.EndUser);
        }
        connection.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (PostgresErrors.IsUniqueViolation(e))
        {
            return new ConnectionResult(ConnectionOutcome.Duplicate);
        }
        await SyncScheduleWriter.EnsureForConnectionAsync(db, env.EnvironmentId, integration.Id, connection.Id, ct);
        Log(env, LogOperationKinds.ConnectionImport, integration, connection, $"Connection '{connection.ConnectionId}' imported ({request.Credentials["type"]} credentials)");
        return new ConnectionResult(ConnectionOutcome.Ok, ToDetails(connection, integration));
    }

    public async Task<ConnectionResult> PatchAsync(EnvironmentContext env, string providerConfigKey, string connectionId, PatchConnection patch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(patch);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, integration, connection) = await FindWithIntegrationAsync(db, env, providerConfigKey, connectionId, ct);
        if (outcome != ConnectionOutcome.Ok)
        {
            return new ConnectionResult(outcome);
        }
        if (patch.EndUser is not null)
        {
            ApplyEndUser(connection, patch.EndUser);
        }
        if (patch.Tags is not null)
        {
            connection.Tags = JsonObjects.Serialize(NormalizeTags(patch.Tags));
        }
        if (patch.WebhookUrlOverride is not null || patch.ClearWebhookUrlOverride)
        {
            connection.WebhookUrlOverride = patch.ClearWebhookUrlOverride ? null : patch.WebhookUrlOverride;
        }
        connection.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        Log(env, LogOperationKinds.ConnectionUpdate, integration, connection, $"Connection '{connection.ConnectionId}' updated");
        return new ConnectionResult(ConnectionOutcome.Ok, ToDetails(connection, integration));
    }

    public async Task<ConnectionOutcome> DeleteAsync(EnvironmentContext env, string providerConfigKey, string connectionId, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var (outcome, integration, connection) = await FindWithIntegrationAsync(db, env, providerConfigKey, connectionId, ct);
        if (outcome != ConnectionOutcome.Ok)
        {
            return outcome;
        }
        connection.DeletedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await SyncScheduleWriter.DeleteForConnectionsAsync(db, [connection.Id], ct);
        Log(env, LogOperationKinds.ConnectionDelete, integration, connection, $"Connection '{connection.ConnectionId}' deleted");
        return ConnectionOutcome.Ok;
    }

    /// <summary>
    /// Replaces (<paramref name="merge"/> false) or shallow-merges the metadata of one or more connections;
    /// all of them or none are changed.
    /// </summary>
    public async Task<ConnectionOutcome> SetMetadataAsync(EnvironmentContext env, string providerConfigKey, IReadOnlyList<string> connectionIds, JsonObject metadata, bool merge, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connectionIds);
        ArgumentNullException.ThrowIfNull(metadata);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var integration = await IntegrationService.FindAsync(db, env, providerConfigKey, ct);
        if (integration is null)
        {
            return ConnectionOutcome.UnknownIntegration;
        }
        var ids = connectionIds.Distinct(StringComparer.Ordinal).ToList();
        var connections = await db.Connections
            .Where(c => c.EnvironmentId == env.EnvironmentId && c.IntegrationId == integration.Id && c.DeletedAt == null && ids.Contains(c.ConnectionId))
            .ToListAsync(ct);
        if (connections.Count != ids.Count)
        {
            return ConnectionOutcome.NotFound;
        }
        var now = clock.GetUtcNow();
        foreach (var connection in connections)
        {
            var next = merge ? JsonObjects.Parse(connection.Metadata) : [];
            foreach (var (key, value) in metadata)
            {
                next[key] = value?.DeepClone();
            }
            connection.Metadata = JsonObjects.Serialize(next);
            connection.UpdatedAt = now;
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        foreach (var connection in connections)
        {
            Log(env, LogOperationKinds.ConnectionMetadata, integration, connection, (merge ? "Metadata updated: " : "Metadata replaced: ") + string.Join(", ", metadata.Select(p => p.Key)));
        }
        return ConnectionOutcome.Ok;
    }

    /// <summary>
    /// The connections of one integration of <paramref name="env"/> whose <paramref name="field"/> equals one of
    /// <paramref name="values"/>: how incoming provider webhooks find their connections. Config and metadata keys
    /// are compared as text (<c>-&gt;&gt;</c>), as Nango does, so a provider's number matches the string stored at
    /// connect time. Ordered by creation so forwards go out in a stable order.
    /// </summary>
    public async Task<IReadOnlyList<Connection>> FindForWebhookAsync(
        EnvironmentContext env, int integrationId, WebhookConnectionField field, string? key, IReadOnlyCollection<string> values, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0 || (field != WebhookConnectionField.ConnectionId && string.IsNullOrEmpty(key)))
        {
            return [];
        }
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        if (field == WebhookConnectionField.ConnectionId)
        {
            var ids = values.ToList();
            return await db.Connections.AsNoTracking()
                .Where(c => c.EnvironmentId == env.EnvironmentId && c.IntegrationId == integrationId && c.DeletedAt == null && ids.Contains(c.ConnectionId))
                .OrderBy(c => c.Id)
                .ToListAsync(ct);
        }
        // EF has no translation for ->> on a jsonb column mapped as text, hence SQL; the key and values are parameters.
        return await db.Connections
            .FromSqlRaw(
                field == WebhookConnectionField.Metadata ? FindByMetadataValueSql : FindByConnectionConfigValueSql,
                new NpgsqlParameter("environment_id", env.EnvironmentId),
                new NpgsqlParameter("integration_id", integrationId),
                new NpgsqlParameter("key", key),
                new NpgsqlParameter("values", values.ToArray()))
            .AsNoTracking()
            .ToListAsync(ct);
    }

    private const string FindByConnectionConfigValueSql = """
        SELECT * FROM connections
        WHERE environment_id = @environment_id AND integration_id = @integration_id AND deleted_at IS NULL
          AND connection_config ->> @key = ANY(@values)
        ORDER BY id
        """;

    private const string FindByMetadataValueSql = """
        SELECT * FROM connections
        WHERE environment_id = @environment_id AND integration_id = @integration_id AND deleted_at IS NULL
          AND metadata ->> @key = ANY(@values)
        ORDER BY id
        """;

    private void Log(EnvironmentContext env, LogOperationKind kind, Integration integration, Connection connection, string message) =>
        logs.RecordOperation(
            OperationStart.For(kind, env) with
            {
                IntegrationId = integration.Id,
                IntegrationKey = integration.UniqueKey,
                Provider = integration.Provider,
                ConnectionId = connection.Id,
                ConnectionName = connection.ConnectionId,
            },
            message);

    public static List<ValidationError> ValidateCredentials(JsonObject? credentials)
    {
        var errors = new List<ValidationError>();
        if (credentials is null)
        {
            errors.Add(ValidationError.At("credentials are required", "credentials"));
            return errors;
        }
        var type = credentials["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
        if (type is null || !_requiredCredentialFields.TryGetValue(type, out var required))
        {
            errors.Add(ValidationError.At($"credentials.type must be one of {string.Join(", ", _requiredCredentialFields.Keys)}", "credentials", "type"));
            return errors;
        }
        foreach (var field in required)
        {
            if (credentials[field] is not JsonValue v || !v.TryGetValue<string>(out var value) || value.Length == 0)
            {
                errors.Add(ValidationError.At($"credentials.{field} is required for {type}", "credentials", field));
            }
        }
        if (credentials["expires_at"] is { } expires && ReadExpiry(credentials) is null && expires.GetValueKind() != JsonValueKind.Null)
        {
            errors.Add(ValidationError.At("credentials.expires_at must be an ISO 8601 date", "credentials", "expires_at"));
        }
        return errors;
    }

    internal static DateTimeOffset? ReadExpiry(JsonObject credentials) =>
        credentials["expires_at"] is JsonValue v && v.TryGetValue<string>(out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;

    /// <summary>Nango lower-cases tag keys so filters match however the caller spelled them.</summary>
    internal static Dictionary<string, string> NormalizeTags(IReadOnlyDictionary<string, string> tags) =>
        tags.ToDictionary(t => t.Key.ToLowerInvariant(), t => t.Value, StringComparer.Ordinal);

    internal static void ApplyEndUser(Connection connection, EndUser endUser)
    {
        connection.EndUserId = endUser.Id;
        connection.EndUserEmail = endUser.Email;
        connection.EndUserDisplayName = endUser.DisplayName;
        connection.EndUserOrganizationId = endUser.OrganizationId;
        connection.EndUserOrganizationDisplayName = endUser.OrganizationDisplayName;
    }

    /// <summary>The integration by key, then its connection; the outcome says which one is missing.</summary>
    private static async Task<(ConnectionOutcome Outcome, Integration Integration, Connection Connection)> FindWithIntegrationAsync(
        NangoDbContext db, EnvironmentContext env, string providerConfigKey, string connectionId, CancellationToken ct)
    {
        var integration = await IntegrationService.FindAsync(db, env, providerConfigKey, ct);
        if (integration is null)
        {
            return (ConnectionOutcome.UnknownIntegration, null!, null!);
        }
        var connection = await FindAsync(db, env, integration.Id, connectionId, ct);
        return connection is null ? (ConnectionOutcome.NotFound, integration, null!) : (ConnectionOutcome.Ok, integration, connection);
    }

    internal static Task<Connection?> FindAsync(NangoDbContext db, EnvironmentContext env, int integrationId, string connectionId, CancellationToken ct) =>
        db.Connections.SingleOrDefaultAsync(
            c => c.EnvironmentId == env.EnvironmentId && c.IntegrationId == integrationId && c.ConnectionId == connectionId && c.DeletedAt == null, ct);

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static ConnectionSummary ToSummary(Connection c, string providerConfigKey, string provider) => new(
        c.Id, c.ConnectionId, providerConfigKey, provider, c.CreatedAt,
        JsonObjects.Parse(c.Metadata),
        JsonSerializer.Deserialize<List<ConnectionError>>(c.Errors, _webJson) ?? [],
        c.EndUserId is null ? null : new EndUser(c.EndUserId, c.EndUserEmail, c.EndUserDisplayName, c.EndUserOrganizationId, c.EndUserOrganizationDisplayName),
        JsonObjects.ParseStringMap(c.Tags));

    private ConnectionDetails ToDetails(Connection c, Integration integration) => new(
        ToSummary(c, integration.UniqueKey, integration.Provider),
        JsonObjects.Parse(c.ConnectionConfig),
        JsonObjects.Parse(protector.Unprotect(c.CredentialsCiphertext)),
        c.WebhookUrlOverride, c.UpdatedAt, c.LastFetchedAt, c.CredentialsExpiresAt,
        c.LastRefreshSuccess, c.LastRefreshFailure, c.RefreshAttempts, c.RefreshExhausted);

    private static readonly JsonSerializerOptions _webJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
