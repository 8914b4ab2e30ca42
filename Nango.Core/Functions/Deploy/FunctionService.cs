using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Nango.Core.Caching;
using Nango.Core.Environments;
using Nango.Core.Functions.Store;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;

namespace Nango.Core.Functions.Deploy;

/// <summary>A live function with its current version, as the API and the dashboard show it.</summary>
public sealed record FunctionSummary(
    int Id,
    string IntegrationKey,
    string Provider,
    string Type,
    string Name,
    string? Event,
    bool Enabled,
    string Source,
    DateTimeOffset LastDeployedAt,
    FunctionVersionInfo Current);

public sealed record FunctionVersionInfo(
    int Revision,
    string Version,
    string? Description,
    IReadOnlyList<string> Models,
    string? Input,
    JsonObject? JsonSchema,
    string? Runs,
    bool AutoStart,
    bool TrackDeletes,
    string? SyncType,
    IReadOnlyList<FunctionEndpoint> Endpoints,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> WebhookSubscriptions,
    JsonObject Attributes,
    IReadOnlyList<string> Features,
    string? SdkVersion,
    string BundleKey,
    string? SourceKey,
    string CodeHash,
    DateTimeOffset DeployedAt);

/// <summary>
/// What running a live function needs of it, read on every action trigger, dispatch and result, so cached (see
/// <see cref="FunctionService.FindRunnableAsync"/>). Immutable: the schema stays text, compiled once per text by
/// <see cref="Actions.FunctionSchemas"/>.
/// </summary>
public sealed record RunnableFunction(
    int Id,
    int IntegrationId,
    string Type,
    string Name,
    bool Enabled,
    int Revision,
    string Version,
    string CodeHash,
    string BundleKey,
    string? InputModel,
    string? OutputModel,
    string? JsonSchema);

public sealed record FunctionListPage(IReadOnlyList<FunctionSummary> Rows, int Total);

public enum FunctionCodeOutcome
{
    Ok,
    IntegrationNotFound,
    NotFound,
    Ambiguous,
    SourceMissing,
}

public sealed record FunctionCode(FunctionCodeOutcome Outcome, string? Type = null, string? Code = null, IReadOnlyList<(string Type, string Name)>? Matches = null);

public enum FunctionChangeOutcome
{
    Ok,
    IntegrationNotFound,
    NotFound,
    ManagedByDeploy,
}

/// <summary>Reads deployed functions (lists, details, code, the scripts config) and turns them on and off.</summary>
public sealed class FunctionService(
    IDbContextFactory<NangoDbContext> contextFactory,
    IFunctionStore store,
    ILogService logs,
    ChangeSignals changes,
    TimeProvider clock,
    IOptions<NangoOptions> options)
{
    /// <summary>
    /// (environment, integration key, name, type) → the live function as it runs. Evicted for the whole environment on
    /// any change to its functions, integrations or the environment itself, on every instance (<c>f:</c>, <c>i:</c>,
    /// <c>e:</c> signals); unknown functions are never cached.
    /// </summary>
    private readonly CoherentCache<(int EnvironmentId, string IntegrationKey, string Name, string Type), RunnableFunction> _runnable = CreateRunnableCache(changes, clock, options);

    private static CoherentCache<(int, string, string, string), RunnableFunction> CreateRunnableCache(ChangeSignals changes, TimeProvider clock, IOptions<NangoOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new CoherentCache<(int, string, string, string), RunnableFunction>(changes, clock, options.Value.Cache.FunctionTtl)
            .EvictOn((signal, key, _) => key.Item1 == signal.EnvironmentId, ChangeScope.Environment, ChangeScope.Integration, ChangeScope.Function);
    }

    /// <summary>
    /// The live function of that integration, name and type as a task runs it; null when it is not deployed (or its
    /// integration is gone). Served from a cache kept coherent with every instance's writes.
    /// </summary>
    public async Task<RunnableFunction?> FindRunnableAsync(int environmentId, string integrationKey, string name, string type, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(integrationKey);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(type);
        var key = (environmentId, integrationKey, name, type);
        if (_runnable.TryGet(key, out var cached))
        {
            return cached;
        }
        var generation = _runnable.Generation;
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var row = await _runnableQuery(db, environmentId, integrationKey, name, type, ct);
        if (row is null)
        {
            return null;
        }
        // An action's output model is its first model (the CLI lists the output model alone).
        var found = new RunnableFunction(row.Id, row.IntegrationId, row.Type, row.Name, row.Enabled, row.Revision, row.Version, row.CodeHash, row.BundleKey,
            row.Input, Strings(row.Models) is { Count: > 0 } models ? models[0] : null, row.JsonSchema);
        _runnable.Store(key, found, generation);
        return found;
    }

    private static readonly Func<NangoDbContext, int, string, string, string, CancellationToken, Task<RunnableRow?>> _runnableQuery =
        EF.CompileAsyncQuery((NangoDbContext db, int environmentId, string integrationKey, string name, string type, CancellationToken ct) => (
            from f in db.Set<DeployedFunction>()
            join i in db.Integrations on f.IntegrationId equals i.Id
            join v in db.Set<FunctionVersion>() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
            where f.EnvironmentId == environmentId && f.DeletedAt == null && i.DeletedAt == null && i.UniqueKey == integrationKey
                && f.Name == name && f.Type == type
            orderby f.Event, f.Id
            select new RunnableRow(f.Id, f.IntegrationId, f.Type, f.Name, f.Enabled, v.Revision, v.Version, v.CodeHash, v.BundleKey, v.Input, v.Models, v.JsonSchema))
            .FirstOrDefault());
    /// <summary>One page of an integration's functions, ordered as Nango orders them (type, name, event, id); null when the integration does not exist.</summary>
    public async Task<FunctionListPage?> ListAsync(EnvironmentContext env, string integrationKey, string? type, string? search, int page, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await IntegrationService.FindAsync(db, env, integrationKey, ct);
        if (integration is null)
        {
            return null;
        }
        var query = Live(db, env).Where(x => x.Function.IntegrationId == integration.Id);
        if (type is not null)
        {
            query = query.Where(x => x.Function.Type == type);
        }
        if (!string.IsNullOrEmpty(search))
        {
            var pattern = "%" + search.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            query = query.Where(x => EF.Functions.ILike(x.Function.Name, pattern, "\\"));
        }
        var total = await query.CountAsync(ct);
        var rows = await Ordered(query).Skip(page * limit).Take(limit).ToListAsync(ct);
        return new FunctionListPage(rows.Select(r => ToSummary(r.Function, r.Version, integration)).ToList(), total);
    }

    /// <summary>Every live function of an integration, for the dashboard (no paging: an integration has a handful).</summary>
    public async Task<IReadOnlyList<FunctionSummary>?> ListAllAsync(EnvironmentContext env, string integrationKey, CancellationToken ct) =>
        (await ListAsync(env, integrationKey, null, null, 0, int.MaxValue, ct))?.Rows;

    /// <summary>
    /// The function of that name; without a type, the first in list order when a sync and an action share the name
    /// (as Nango's <c>GET /integrations/:key/functions/:name</c>). Null when the integration or the function does not exist.
    /// </summary>
    public async Task<(bool IntegrationExists, FunctionSummary? Function)> GetAsync(EnvironmentContext env, string integrationKey, string name, string? type, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await IntegrationService.FindAsync(db, env, integrationKey, ct);
        return integration is null ? (false, null) : (true, await FindAsync(db, env, integration, name, type, ct));
    }

    private static async Task<FunctionSummary?> FindAsync(NangoDbContext db, EnvironmentContext env, Integration integration, string name, string? type, CancellationToken ct)
    {
        var query = Live(db, env).Where(x => x.Function.IntegrationId == integration.Id && x.Function.Name == name);
        if (type is not null)
        {
            query = query.Where(x => x.Function.Type == type);
        }
        var row = await Ordered(query).FirstOrDefaultAsync(ct);
        return row is null ? null : ToSummary(row.Function, row.Version, integration);
    }

    /// <summary>The TypeScript source of a function (Nango's <c>GET /integrations/:key/functions/:name/code</c>).</summary>
    public async Task<FunctionCode> GetCodeAsync(EnvironmentContext env, string integrationKey, string name, string? type, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await IntegrationService.FindAsync(db, env, integrationKey, ct);
        if (integration is null)
        {
            return new FunctionCode(FunctionCodeOutcome.IntegrationNotFound);
        }
        var query = Live(db, env).Where(x => x.Function.IntegrationId == integration.Id && x.Function.Name == name);
        if (type is not null)
        {
            query = query.Where(x => x.Function.Type == type);
        }
        var rows = await Ordered(query).ToListAsync(ct);
        // On-event scripts of one name but several events share their source, so they count as one match.
        var matches = rows.GroupBy(r => r.Function.Type).Select(g => g.First()).ToList();
        if (matches.Count > 1)
        {
            return new FunctionCode(FunctionCodeOutcome.Ambiguous, Matches: matches.Select(m => (m.Function.Type, m.Function.Name)).ToList());
        }
        if (matches.Count == 0)
        {
            return new FunctionCode(FunctionCodeOutcome.NotFound);
        }
        var match = matches[0];
        var code = match.Version.SourceKey is null ? null : await store.GetAsync(match.Version.SourceKey, ct);
        return code is null
            ? new FunctionCode(FunctionCodeOutcome.SourceMissing, match.Function.Type)
            : new FunctionCode(FunctionCodeOutcome.Ok, match.Function.Type, code);
    }

    /// <summary>Reads a file of a version (bundle or source) from the function store.</summary>
    public Task<string?> ReadFileAsync(string key, CancellationToken ct) => store.GetAsync(key, ct);

    /// <summary>Every version of a function, newest first.</summary>
    public async Task<IReadOnlyList<FunctionVersionInfo>> ListVersionsAsync(EnvironmentContext env, int functionId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var versions = await (
            from v in db.Set<FunctionVersion>().AsNoTracking()
            join f in db.Set<DeployedFunction>() on v.FunctionId equals f.Id
            where f.Id == functionId && f.EnvironmentId == env.EnvironmentId
            orderby v.Revision descending
            select v).ToListAsync(ct);
        return versions.Select(ToInfo).ToList();
    }

    /// <summary>A disabled function stays deployed but does not run (Nango answers <c>disabled_resource</c> for it).</summary>
    public async Task<FunctionChangeOutcome> SetEnabledAsync(EnvironmentContext env, int functionId, bool enabled, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var function = await db.Set<DeployedFunction>()
            .SingleOrDefaultAsync(f => f.Id == functionId && f.EnvironmentId == env.EnvironmentId && f.DeletedAt == null, ct);
        if (function is null)
        {
            return FunctionChangeOutcome.NotFound;
        }
        if (function.Enabled != enabled)
        {
            function.Enabled = enabled;
            await db.SaveChangesAsync(ct);
            var key = await db.Integrations.Where(i => i.Id == function.IntegrationId).Select(i => i.UniqueKey).SingleAsync(ct);
            logs.RecordOperation(OperationStart.For(LogOperationKinds.DeployCustom, env) with
            {
                IntegrationId = function.IntegrationId,
                IntegrationKey = key,
                FunctionName = function.Name,
            }, $"{(enabled ? "Enabled" : "Disabled")} {function.Type} {key}/{function.Name}");
        }
        return FunctionChangeOutcome.Ok;
    }

    /// <summary>
    /// <c>DELETE /integrations/:key/functions/:name</c>: functions deployed from a repository are removed by the next
    /// <c>nango deploy</c>, never through this call, and every function here comes from the CLI.
    /// </summary>
    public async Task<FunctionChangeOutcome> DeleteAsync(EnvironmentContext env, string integrationKey, string name, string type, CancellationToken ct)
    {
        var (exists, function) = await GetAsync(env, integrationKey, name, type, ct);
        if (!exists)
        {
            return FunctionChangeOutcome.IntegrationNotFound;
        }
        if (function is null)
        {
            return FunctionChangeOutcome.NotFound;
        }
        return FunctionChangeOutcome.ManagedByDeploy;
    }

    /// <summary>Live syncs and actions of the environment with their integration, for <c>GET /scripts/config</c>.</summary>
    public async Task<IReadOnlyList<FunctionSummary>> ListEnvironmentAsync(EnvironmentContext env, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var rows = await (
            from x in Live(db, env)
            join i in db.Integrations.AsNoTracking() on x.Function.IntegrationId equals i.Id
            where i.DeletedAt == null
            orderby x.Function.Name, x.Function.Id
            select new { x.Function, x.Version, Integration = i }).ToListAsync(ct);
        return rows.Select(r => ToSummary(r.Function, r.Version, r.Integration)).ToList();
    }

    private static IQueryable<LiveRow> Live(NangoDbContext db, EnvironmentContext env) =>
        from f in db.Set<DeployedFunction>().AsNoTracking()
        join v in db.Set<FunctionVersion>().AsNoTracking() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
        where f.EnvironmentId == env.EnvironmentId && f.DeletedAt == null
        select new LiveRow { Function = f, Version = v };

    private static IQueryable<LiveRow> Ordered(IQueryable<LiveRow> query) =>
        query.OrderBy(x => x.Function.Type).ThenBy(x => x.Function.Name).ThenBy(x => x.Function.Event).ThenBy(x => x.Function.Id);

    private static FunctionSummary ToSummary(DeployedFunction f, FunctionVersion v, Integration integration) =>
        new(f.Id, integration.UniqueKey, integration.Provider, f.Type, f.Name, f.Event, f.Enabled, f.Source, f.LastDeployedAt, ToInfo(v));

    internal static FunctionVersionInfo ToInfo(FunctionVersion v) => new(
        v.Revision,
        v.Version,
        v.Description,
        Strings(v.Models),
        v.Input,
        v.JsonSchema is null ? null : JsonNode.Parse(v.JsonSchema) as JsonObject,
        v.Runs,
        v.AutoStart,
        v.TrackDeletes,
        v.SyncType,
        JsonSerializer.Deserialize<List<EndpointRow>>(v.Endpoints)?.Select(e => new FunctionEndpoint(e.method, e.path, e.group)).ToList() ?? [],
        Strings(v.Scopes),
        Strings(v.WebhookSubscriptions),
        JsonNode.Parse(v.Attributes) as JsonObject ?? [],
        Strings(v.Features),
        v.SdkVersion,
        v.BundleKey,
        v.SourceKey,
        v.CodeHash,
        v.DeployedAt);

    private static List<string> Strings(string json) => JsonSerializer.Deserialize<List<string>>(json) ?? [];

    private sealed class LiveRow
    {
        public required DeployedFunction Function { get; init; }

        public required FunctionVersion Version { get; init; }
    }

    private sealed record RunnableRow(int Id, int IntegrationId, string Type, string Name, bool Enabled, int Revision, string Version, string CodeHash,
        string BundleKey, string? Input, string Models, string? JsonSchema);

#pragma warning disable IDE1006, CA1812 // Mirrors the stored jsonb field names; created by the deserializer.
    private sealed record EndpointRow(string method, string path, string? group);
#pragma warning restore IDE1006, CA1812
}
