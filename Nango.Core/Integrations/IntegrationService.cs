using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;
using Nango.Core.Secrets;
using Nango.Core.Syncs.Schedules;

namespace Nango.Core.Integrations;

/// <summary>App credentials for an integration; which fields apply depends on <see cref="Type"/>.</summary>
public sealed record IntegrationCredentials(
    string Type,
    string? ClientId = null,
    string? ClientSecret = null,
    string? Scopes = null,
    string? WebhookSecret = null,
    string? AppId = null,
    string? AppLink = null,
    string? PrivateKey = null);

public sealed record IntegrationSummary(
    int Id,
    string UniqueKey,
    string Provider,
    string DisplayName,
    string AuthMode,
    bool ForwardWebhooks,
    int ConnectionCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record IntegrationDetails(
    IntegrationSummary Summary,
    IntegrationCredentials? Credentials,
    IReadOnlyDictionary<string, string> IntegrationConfig,
    IReadOnlyDictionary<string, string> Custom);

public sealed record CreateIntegration(
    string Provider,
    string UniqueKey,
    string? DisplayName = null,
    IntegrationCredentials? Credentials = null,
    bool? ForwardWebhooks = null,
    IReadOnlyDictionary<string, string>? IntegrationConfig = null,
    IReadOnlyDictionary<string, string>? Custom = null);

public sealed record UpdateIntegration(
    string? UniqueKey = null,
    string? DisplayName = null,
    IntegrationCredentials? Credentials = null,
    bool? ForwardWebhooks = null,
    IReadOnlyDictionary<string, string>? IntegrationConfig = null,
    IReadOnlyDictionary<string, string>? Custom = null);

public enum IntegrationOutcome
{
    Ok,
    NotFound,
    Duplicate,
    Invalid,
}

public sealed record IntegrationResult(IntegrationOutcome Outcome, IntegrationDetails? Integration = null, IReadOnlyList<ValidationError>? Errors = null)
{
    public static IntegrationResult Invalid(params ValidationError[] errors) => new(IntegrationOutcome.Invalid, Errors: errors);
}

public sealed class IntegrationService(
    IDbContextFactory<NangoDbContext> contextFactory,
    IProviderCatalog catalog,
    SecretProtector protector,
    TimeProvider clock,
    ILogService logs)
{
    /// <summary>Which app-credential types each provider auth mode accepts.</summary>
    private static readonly Dictionary<string, string[]> _credentialTypesByAuthMode = new(StringComparer.Ordinal)
    {
        ["OAUTH2"] = ["OAUTH2"],
        ["MCP_OAUTH2"] = ["OAUTH2"],
        ["MCP_OAUTH2_GENERIC"] = ["OAUTH2"],
        ["OAUTH1"] = ["OAUTH1"],
        ["TBA"] = ["TBA", "OAUTH2"],
        ["APP"] = ["APP"],
        ["CUSTOM"] = ["CUSTOM"],
    };

    public async Task<IReadOnlyList<IntegrationSummary>> ListAsync(EnvironmentContext env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var rows = await db.Integrations.AsNoTracking()
            .Where(i => i.EnvironmentId == env.EnvironmentId && i.DeletedAt == null)
            .OrderBy(i => i.CreatedAt).ThenBy(i => i.Id)
            .Select(i => new { Integration = i, Count = db.Connections.Count(c => c.IntegrationId == i.Id && c.DeletedAt == null) })
            .ToListAsync(ct);
        return rows.Select(r => ToSummary(r.Integration, r.Count)).ToList();
    }

    public async Task<IntegrationDetails?> GetAsync(EnvironmentContext env, string uniqueKey, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await FindAsync(db, env, uniqueKey, ct);
        if (integration is null)
        {
            return null;
        }
        var count = await db.Connections.CountAsync(c => c.IntegrationId == integration.Id && c.DeletedAt == null, ct);
        return ToDetails(integration, count);
    }

    public async Task<IntegrationResult> CreateAsync(EnvironmentContext env, CreateIntegration request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<ValidationError>();
        if (!Identifiers.IsProvider(request.Provider))
        {
            errors.Add(ValidationError.At("Invalid provider", "provider"));
        }
        if (!Identifiers.IsProviderConfigKey(request.UniqueKey))
        {
            errors.Add(ValidationError.At("Invalid unique_key: use letters, digits and ~:.@ _- (at most 255)", "unique_key"));
        }
        var provider = Identifiers.IsProvider(request.Provider) ? catalog.Find(request.Provider) : null;
        if (provider is null && Identifiers.IsProvider(request.Provider))
        {
            errors.Add(ValidationError.At($"Unknown provider '{request.Provider}'", "provider"));
        }
        if (provider is not null && request.Credentials is not null)
        {
            errors.AddRange(CheckCredentials(provider, request.Credentials));
        }
        if (request.DisplayName is { Length: > 255 })
        {
            errors.Add(ValidationError.At("display_name is longer than 255 characters", "display_name"));
        }
        if (errors.Count > 0)
        {
            Log(env, LogOperationKinds.IntegrationCreate, null, request.UniqueKey, request.Provider, "Integration not created: invalid request", Invalid(errors));
            return new IntegrationResult(IntegrationOutcome.Invalid, Errors: errors);
        }

        await using var db = await contextFactory.CreateDbContextAsync(ct);
        if (await FindAsync(db, env, request.UniqueKey, ct) is not null)
        {
            Log(env, LogOperationKinds.IntegrationCreate, null, request.UniqueKey, request.Provider, "Integration not created: the unique key is taken", new LogError("duplicate", $"An integration '{request.UniqueKey}' already exists"));
            return new IntegrationResult(IntegrationOutcome.Duplicate);
        }
        var now = clock.GetUtcNow();
        var integration = new Integration
        {
            EnvironmentId = env.EnvironmentId,
            UniqueKey = request.UniqueKey,
            Provider = request.Provider,
            DisplayName = string.IsNullOrWhiteSpace(request.DisplayName) ? null : request.DisplayName,
            ForwardWebhooks = request.ForwardWebhooks ?? true,
            IntegrationConfig = JsonObjects.Serialize(request.IntegrationConfig),
            Custom = JsonObjects.Serialize(request.Custom),
            CreatedAt = now,
            UpdatedAt = now,
        };
        ApplyCredentials(integration, request.Credentials);
        db.Integrations.Add(integration);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (PostgresErrors.IsUniqueViolation(e))
        {
            return new IntegrationResult(IntegrationOutcome.Duplicate);
        }
        Log(env, LogOperationKinds.IntegrationCreate, integration.Id, integration.UniqueKey, integration.Provider, $"Integration '{integration.UniqueKey}' created for provider {integration.Provider}");
        return new IntegrationResult(IntegrationOutcome.Ok, ToDetails(integration, 0));
    }

    public async Task<IntegrationResult> UpdateAsync(EnvironmentContext env, string uniqueKey, UpdateIntegration request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await FindAsync(db, env, uniqueKey, ct, tracking: true);
        if (integration is null)
        {
            return new IntegrationResult(IntegrationOutcome.NotFound);
        }
        var errors = new List<ValidationError>();
        if (request.UniqueKey is not null && !Identifiers.IsProviderConfigKey(request.UniqueKey))
        {
            errors.Add(ValidationError.At("Invalid unique_key: use letters, digits and ~:.@ _- (at most 255)", "unique_key"));
        }
        if (request.Credentials is not null && catalog.Find(integration.Provider) is { } provider)
        {
            errors.AddRange(CheckCredentials(provider, request.Credentials));
        }
        if (request.DisplayName is { Length: > 255 })
        {
            errors.Add(ValidationError.At("display_name is longer than 255 characters", "display_name"));
        }
        if (errors.Count > 0)
        {
            Log(env, LogOperationKinds.IntegrationUpdate, integration.Id, integration.UniqueKey, integration.Provider, "Integration not updated: invalid request", Invalid(errors));
            return new IntegrationResult(IntegrationOutcome.Invalid, Errors: errors);
        }
        if (request.UniqueKey is not null && request.UniqueKey != integration.UniqueKey)
        {
            if (await FindAsync(db, env, request.UniqueKey, ct) is not null)
            {
                return new IntegrationResult(IntegrationOutcome.Duplicate);
            }
            integration.UniqueKey = request.UniqueKey;
        }
        if (request.DisplayName is not null)
        {
            integration.DisplayName = request.DisplayName.Length == 0 ? null : request.DisplayName;
        }
        if (request.ForwardWebhooks is { } forward)
        {
            integration.ForwardWebhooks = forward;
        }
        if (request.IntegrationConfig is not null)
        {
            integration.IntegrationConfig = JsonObjects.Serialize(request.IntegrationConfig);
        }
        if (request.Custom is not null)
        {
            integration.Custom = JsonObjects.Serialize(request.Custom);
        }
        if (request.Credentials is not null)
        {
            ApplyCredentials(integration, request.Credentials);
        }
        integration.UpdatedAt = clock.GetUtcNow();
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (PostgresErrors.IsUniqueViolation(e))
        {
            return new IntegrationResult(IntegrationOutcome.Duplicate);
        }
        Log(env, LogOperationKinds.IntegrationUpdate, integration.Id, integration.UniqueKey, integration.Provider, $"Integration '{integration.UniqueKey}' updated");
        var count = await db.Connections.CountAsync(c => c.IntegrationId == integration.Id && c.DeletedAt == null, ct);
        return new IntegrationResult(IntegrationOutcome.Ok, ToDetails(integration, count));
    }

    /// <summary>Soft-deletes the integration and its connections together.</summary>
    public async Task<bool> DeleteAsync(EnvironmentContext env, string uniqueKey, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var integration = await FindAsync(db, env, uniqueKey, ct, tracking: true);
        if (integration is null)
        {
            return false;
        }
        var now = clock.GetUtcNow();
        integration.DeletedAt = now;
        await db.SaveChangesAsync(ct);
        await db.Connections
            .Where(c => c.IntegrationId == integration.Id && c.DeletedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.DeletedAt, now), ct);
        await SyncScheduleWriter.DeleteForIntegrationAsync(db, integration.Id, ct);
        await transaction.CommitAsync(ct);
        Log(env, LogOperationKinds.IntegrationDelete, integration.Id, integration.UniqueKey, integration.Provider, $"Integration '{integration.UniqueKey}' deleted with its connections");
        return true;
    }

    private void Log(EnvironmentContext env, LogOperationKind kind, int? integrationId, string? key, string? provider, string message, LogError? error = null) =>
        logs.RecordOperation(OperationStart.For(kind, env) with { IntegrationId = integrationId, IntegrationKey = key, Provider = provider }, message, error);

    private static LogError Invalid(List<ValidationError> errors) =>
        new("invalid_body", string.Join("; ", errors.Select(e => e.Message)));

    internal static Task<Integration?> FindAsync(NangoDbContext db, EnvironmentContext env, string uniqueKey, CancellationToken ct, bool tracking = false)
    {
        var query = db.Integrations.Where(i => i.EnvironmentId == env.EnvironmentId && i.UniqueKey == uniqueKey && i.DeletedAt == null);
        return (tracking ? query : query.AsNoTracking()).SingleOrDefaultAsync(ct);
    }

    private static IEnumerable<ValidationError> CheckCredentials(ProviderDefinition provider, IntegrationCredentials credentials)
    {
        if (!_credentialTypesByAuthMode.TryGetValue(provider.AuthMode, out var accepted) || !accepted.Contains(credentials.Type, StringComparer.Ordinal))
        {
            yield return ValidationError.At($"incompatible credentials auth type and provider auth ({credentials.Type} given, provider uses {provider.AuthMode})", "credentials", "type");
            yield break;
        }
        if (credentials.Type is "OAUTH1" or "OAUTH2" or "TBA" or "CUSTOM")
        {
            if (string.IsNullOrEmpty(credentials.ClientId))
            {
                yield return ValidationError.At("Missing credentials: client_id is required", "credentials", "client_id");
            }
            if (string.IsNullOrEmpty(credentials.ClientSecret))
            {
                yield return ValidationError.At("Missing credentials: client_secret is required", "credentials", "client_secret");
            }
        }
        if (credentials.Type is "APP" or "CUSTOM")
        {
            if (string.IsNullOrEmpty(credentials.AppId))
            {
                yield return ValidationError.At("Missing credentials: app_id is required", "credentials", "app_id");
            }
            if (string.IsNullOrEmpty(credentials.PrivateKey))
            {
                yield return ValidationError.At("Missing credentials: private_key is required", "credentials", "private_key");
            }
        }
    }

    private void ApplyCredentials(Integration integration, IntegrationCredentials? credentials)
    {
        if (credentials is null)
        {
            return;
        }
        integration.CredentialsType = credentials.Type;
        integration.ClientId = credentials.ClientId;
        integration.ClientSecretCiphertext = protector.ProtectOrNull(credentials.ClientSecret);
        integration.Scopes = NormalizeScopes(credentials.Scopes);
        integration.WebhookSecretCiphertext = protector.ProtectOrNull(credentials.WebhookSecret);
        integration.AppId = credentials.AppId;
        integration.AppLink = credentials.AppLink;
        integration.PrivateKeyCiphertext = protector.ProtectOrNull(credentials.PrivateKey);
    }

    /// <summary>Nango stores scopes comma-separated whatever separator the caller used.</summary>
    private static string? NormalizeScopes(string? scopes) =>
        scopes is null ? null : string.Join(',', scopes.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private IntegrationSummary ToSummary(Integration i, int connectionCount)
    {
        var provider = catalog.Find(i.Provider);
        return new IntegrationSummary(
            i.Id, i.UniqueKey, i.Provider,
            i.DisplayName ?? provider?.DisplayName ?? i.Provider,
            provider?.AuthMode ?? "NONE",
            i.ForwardWebhooks, connectionCount, i.CreatedAt, i.UpdatedAt);
    }

    private IntegrationDetails ToDetails(Integration i, int connectionCount) => new(
        ToSummary(i, connectionCount),
        i.CredentialsType is null ? null : new IntegrationCredentials(
            i.CredentialsType, i.ClientId, protector.UnprotectOrNull(i.ClientSecretCiphertext), i.Scopes,
            protector.UnprotectOrNull(i.WebhookSecretCiphertext), i.AppId, i.AppLink, protector.UnprotectOrNull(i.PrivateKeyCiphertext)),
        JsonObjects.ParseStringMap(i.IntegrationConfig),
        JsonObjects.ParseStringMap(i.Custom));
}
