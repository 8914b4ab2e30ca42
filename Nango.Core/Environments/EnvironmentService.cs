using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nango.Core.Caching;
using Nango.Core.Common;
using Nango.Core.Persistence;
using Nango.Core.Secrets;

namespace Nango.Core.Environments;

public sealed record EnvironmentSettings(
    int Id,
    string Name,
    Guid Uuid,
    Guid PublicKey,
    string CallbackUrl,
    bool CallbackUrlIsDefault,
    string? WebhookUrl,
    string? WebhookUrlSecondary,
    bool SendAuthWebhook,
    bool SendRefreshFailedWebhook,
    bool SendSyncErrorWebhook,
    bool AlwaysSendSyncCompletionWebhook,
    bool SendAsyncActionWebhook,
    string IncomingWebhookBaseUrl,
    DateTimeOffset? PreviousWebhookSigningKeyExpiresAt,
    bool AllowBaseUrlOverride);

public sealed record WebhookSettingsUpdate(
    string? WebhookUrl,
    string? WebhookUrlSecondary,
    bool SendAuthWebhook,
    bool SendRefreshFailedWebhook,
    bool SendSyncErrorWebhook,
    bool AlwaysSendSyncCompletionWebhook,
    bool SendAsyncActionWebhook);

public sealed record EnvironmentVariableValue(string Name, string Value);

public sealed class EnvironmentService(
    IDbContextFactory<NangoDbContext> contextFactory,
    SecretProtector protector,
    IOptions<NangoOptions> options,
    TimeProvider clock,
    ChangeSignals changes)
{
    /// <summary>
    /// Secret key hash → environment. Every API call authenticates, and the lookup was the largest part of a proxied
    /// call's own cost. A rotated key or a deleted environment is evicted on every instance by the environments
    /// trigger's NOTIFY (and on this one as soon as EF saves it); unknown keys are never cached.
    /// </summary>
    private readonly CoherentCache<string, EnvironmentContext> _bySecretKey = CreateCache<string>(changes, clock, options, StringComparer.Ordinal);

    /// <summary>Row id → environment: every runner callback names its task's environment by id.</summary>
    private readonly CoherentCache<int, EnvironmentContext> _byId = CreateCache<int>(changes, clock, options, null);

    private static CoherentCache<TKey, EnvironmentContext> CreateCache<TKey>(ChangeSignals changes, TimeProvider clock, IOptions<NangoOptions> options, IEqualityComparer<TKey>? comparer)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CoherentCache<TKey, EnvironmentContext>(changes, clock, options.Value.Cache.SecretKeyTtl, comparer)
            .EvictOn((signal, _, env) => env.EnvironmentId == signal.EnvironmentId, ChangeScope.Environment);
    }

    /// <summary>Every API call runs it, so it is compiled once and reads only the columns the context needs.</summary>
    private static readonly Func<NangoDbContext, string, CancellationToken, Task<EnvironmentContext?>> _bySecretKeyHash =
        EF.CompileAsyncQuery((NangoDbContext db, string hash, CancellationToken ct) =>
            db.Environments.Where(e => e.SecretKeyHash == hash).Select(e => new EnvironmentContext(e.AccountId, e.Id, e.Name, e.Uuid)).FirstOrDefault());

    /// <summary>Finds the environment a secret key belongs to, by hash; null when no environment has it.</summary>
    public async Task<EnvironmentContext?> FindBySecretKeyAsync(string secretKey, CancellationToken ct)
    {
        var hash = SecretHasher.Hash(secretKey);
        if (_bySecretKey.TryGet(hash, out var cached))
        {
            return cached;
        }
        var generation = _bySecretKey.Generation;
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var environment = await _bySecretKeyHash(db, hash, ct);
        if (environment is not null)
        {
            _bySecretKey.Store(hash, environment, generation);
        }
        return environment;
    }

    /// <summary>An environment by its row id (internal callers that hold one, such as function tasks).</summary>
    public async Task<EnvironmentContext?> FindByIdAsync(int environmentId, CancellationToken ct)
    {
        if (_byId.TryGet(environmentId, out var cached))
        {
            return cached;
        }
        var generation = _byId.Generation;
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var environment = await _byIdQuery(db, environmentId, ct);
        if (environment is not null)
        {
            _byId.Store(environmentId, environment, generation);
        }
        return environment;
    }

    private static readonly Func<NangoDbContext, int, CancellationToken, Task<EnvironmentContext?>> _byIdQuery =
        EF.CompileAsyncQuery((NangoDbContext db, int id, CancellationToken ct) =>
            db.Environments.Where(e => e.Id == id).Select(e => new EnvironmentContext(e.AccountId, e.Id, e.Name, e.Uuid)).FirstOrDefault());

    /// <summary>The environment of a legacy frontend public key (<c>?public_key=</c>); null when none has it.</summary>
    public async Task<EnvironmentContext?> FindByPublicKeyAsync(Guid publicKey, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var environment = await db.Environments.AsNoTracking().SingleOrDefaultAsync(e => e.PublicKey == publicKey, ct);
        return environment is null ? null : EnvironmentContext.From(environment);
    }

    public async Task<IReadOnlyList<EnvironmentContext>> ListForAccountAsync(int accountId, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var environments = await db.Environments.AsNoTracking().Where(e => e.AccountId == accountId).OrderBy(e => e.Id).ToListAsync(ct);
        return environments.Select(EnvironmentContext.From).ToList();
    }

    public async Task<EnvironmentContext?> FindByNameAsync(int accountId, string name, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var environment = await db.Environments.AsNoTracking().SingleOrDefaultAsync(e => e.AccountId == accountId && e.Name == name, ct);
        return environment is null ? null : EnvironmentContext.From(environment);
    }

    public async Task<EnvironmentSettings> GetSettingsAsync(EnvironmentContext env, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        return ToSettings(e);
    }

    public async Task<string> RevealSecretKeyAsync(EnvironmentContext env, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        return protector.Unprotect(e.SecretKeyCiphertext);
    }

    /// <summary>Replaces the secret key; the old key stops working at once.</summary>
    public async Task<string> RotateSecretKeyAsync(EnvironmentContext env, CancellationToken ct)
    {
        var key = SecretKeyFormat.NewKey();
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        e.SecretKeyHash = SecretHasher.Hash(key);
        e.SecretKeyCiphertext = protector.Protect(key);
        e.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return key;
    }

    public async Task<string> RevealWebhookSigningKeyAsync(EnvironmentContext env, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        return protector.Unprotect(e.WebhookSigningKeyCiphertext);
    }

    /// <summary>The key replaced by the last rotation while it still signs; null once its grace period is over.</summary>
    public async Task<string?> RevealPreviousWebhookSigningKeyAsync(EnvironmentContext env, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        return e.PreviousWebhookSigningKeyExpiresAt > clock.GetUtcNow() && e.PreviousWebhookSigningKeyCiphertext is { } previous
            ? protector.Unprotect(previous)
            : null;
    }

    /// <summary>
    /// Replaces the webhook signing key. The old key keeps signing beside the new one (a second signature) for
    /// <c>Nango__Webhooks__SigningKeyGracePeriod</c>, so receivers can switch keys without rejecting anything.
    /// </summary>
    public async Task<string> RotateWebhookSigningKeyAsync(EnvironmentContext env, CancellationToken ct)
    {
        var key = NewWebhookSigningKey();
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        var now = clock.GetUtcNow();
        e.PreviousWebhookSigningKeyCiphertext = e.WebhookSigningKeyCiphertext;
        e.PreviousWebhookSigningKeyExpiresAt = now + options.Value.Webhooks.SigningKeyGracePeriod;
        e.WebhookSigningKeyCiphertext = protector.Protect(key);
        e.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return key;
    }

    /// <summary>Null or empty restores the default callback URL.</summary>
    public async Task UpdateCallbackUrlAsync(EnvironmentContext env, string? callbackUrl, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        e.CallbackUrl = string.IsNullOrWhiteSpace(callbackUrl) ? null : callbackUrl.Trim();
        e.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    public async Task UpdateWebhookSettingsAsync(EnvironmentContext env, WebhookSettingsUpdate update, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(update);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        e.WebhookUrl = string.IsNullOrWhiteSpace(update.WebhookUrl) ? null : update.WebhookUrl.Trim();
        e.WebhookUrlSecondary = string.IsNullOrWhiteSpace(update.WebhookUrlSecondary) ? null : update.WebhookUrlSecondary.Trim();
        e.SendAuthWebhook = update.SendAuthWebhook;
        e.SendRefreshFailedWebhook = update.SendRefreshFailedWebhook;
        e.SendSyncErrorWebhook = update.SendSyncErrorWebhook;
        e.AlwaysSendSyncCompletionWebhook = update.AlwaysSendSyncCompletionWebhook;
        e.SendAsyncActionWebhook = update.SendAsyncActionWebhook;
        e.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Lets proxy callers choose the provider's base URL with <c>Base-Url-Override</c>, or forbids it.</summary>
    public async Task SetBaseUrlOverrideAllowedAsync(EnvironmentContext env, bool allowed, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var e = await LoadAsync(db, env, ct);
        e.AllowBaseUrlOverride = allowed;
        e.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    public async Task<IReadOnlyList<EnvironmentVariableValue>> GetVariablesAsync(EnvironmentContext env, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var rows = await db.EnvironmentVariables.AsNoTracking()
            .Where(v => v.EnvironmentId == env.EnvironmentId)
            .OrderBy(v => v.Name)
            .ToListAsync(ct);
        return rows.Select(v => new EnvironmentVariableValue(v.Name, protector.Unprotect(v.ValueCiphertext))).ToList();
    }

    /// <summary>Replaces the whole set of variables. Names must be valid and unique; otherwise nothing changes.</summary>
    public async Task<IReadOnlyList<string>> ReplaceVariablesAsync(EnvironmentContext env, IReadOnlyList<EnvironmentVariableValue> variables, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var problems = new List<string>();
        foreach (var v in variables.Where(v => !Identifiers.IsEnvironmentVariableName(v.Name)))
        {
            problems.Add($"'{v.Name}' is not a valid variable name (letters, digits and _; not starting with a digit).");
        }
        foreach (var group in variables.GroupBy(v => v.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"'{group.Key}' is defined more than once.");
        }
        if (problems.Count > 0)
        {
            return problems;
        }

        await using var db = await contextFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.EnvironmentVariables.Where(v => v.EnvironmentId == env.EnvironmentId).ExecuteDeleteAsync(ct);
        db.EnvironmentVariables.AddRange(variables.Select(v => new EnvironmentVariable
        {
            EnvironmentId = env.EnvironmentId,
            Name = v.Name,
            ValueCiphertext = protector.Protect(v.Value),
        }));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return [];
    }

    public static string NewWebhookSigningKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public string DefaultCallbackUrl => options.Value.ServerUrl.TrimEnd('/') + "/oauth/callback";

    private EnvironmentSettings ToSettings(NangoEnvironment e) => new(
        e.Id, e.Name, e.Uuid, e.PublicKey,
        e.CallbackUrl ?? DefaultCallbackUrl, e.CallbackUrl is null,
        e.WebhookUrl, e.WebhookUrlSecondary,
        e.SendAuthWebhook, e.SendRefreshFailedWebhook, e.SendSyncErrorWebhook, e.AlwaysSendSyncCompletionWebhook, e.SendAsyncActionWebhook,
        $"{options.Value.ServerUrl.TrimEnd('/')}/webhook/{e.Uuid}",
        // Only while the grace period runs: after it the previous key signs nothing, whatever the row still holds.
        e.PreviousWebhookSigningKeyExpiresAt > clock.GetUtcNow() ? e.PreviousWebhookSigningKeyExpiresAt : null,
        e.AllowBaseUrlOverride);

    private static async Task<NangoEnvironment> LoadAsync(NangoDbContext db, EnvironmentContext env, CancellationToken ct) =>
        await db.Environments.SingleAsync(e => e.Id == env.EnvironmentId && e.AccountId == env.AccountId, ct);
}
