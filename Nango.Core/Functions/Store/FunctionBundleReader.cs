using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Functions.Deploy;
using Nango.Core.Persistence;

namespace Nango.Core.Functions.Store;

/// <summary>A deployed bundle ready to run: the compiled CommonJS and what identifies it. <c>CodeHash</c> is the SHA-256 of <c>Js</c>: a key to cache prepared scripts by.</summary>
public sealed record FunctionBundle(
    int FunctionId,
    string IntegrationKey,
    string Type,
    string Name,
    string Version,
    int Revision,
    bool Enabled,
    string CodeHash,
    string Js);

/// <summary>How the runner side gets the code of a deployed function.</summary>
public interface IFunctionBundleReader
{
    /// <summary>The bundle of the live function's version in force, or null when there is no such function (or its file is gone).</summary>
    Task<FunctionBundle?> ReadCurrentAsync(int environmentId, string integrationKey, string type, string name, CancellationToken ct);

    /// <summary>
    /// The bundle of one version of a live function; when a version label was deployed more than once (code changed
    /// without a bump), the latest deploy of that label.
    /// </summary>
    Task<FunctionBundle?> ReadAsync(int environmentId, string integrationKey, string name, string version, CancellationToken ct);

    /// <summary>The bundle of a live function already looked up (<see cref="FunctionService.FindRunnableAsync"/>): no query, only its code.</summary>
    Task<FunctionBundle?> ReadAsync(RunnableFunction live, string integrationKey, CancellationToken ct);
}

internal sealed class FunctionBundleReader(IDbContextFactory<NangoDbContext> contextFactory, IFunctionStore store) : IFunctionBundleReader
{
    /// <summary>Bundles kept in memory, all together, before the cache starts over.</summary>
    private const long MaxCachedChars = 32 * 1024 * 1024;

    /// <summary>
    /// Code hash → bundle text. A hash names one content for ever, so entries never go stale; every task start reads
    /// its bundle, and the store (a file or a blob) is the slowest part of a dispatch.
    /// </summary>
    private readonly ConcurrentDictionary<string, string> _code = new(StringComparer.Ordinal);
    private long _cachedChars;

    public async Task<FunctionBundle?> ReadAsync(RunnableFunction live, string integrationKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(live);
        var js = await ReadCodeAsync(live.BundleKey, live.CodeHash, ct);
        return js is null
            ? null
            : new FunctionBundle(live.Id, integrationKey, live.Type, live.Name, live.Version, live.Revision, live.Enabled, live.CodeHash, js);
    }

    public async Task<FunctionBundle?> ReadCurrentAsync(int environmentId, string integrationKey, string type, string name, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var row = await (
            from f in db.Set<DeployedFunction>().AsNoTracking()
            join i in db.Integrations.AsNoTracking() on f.IntegrationId equals i.Id
            join v in db.Set<FunctionVersion>().AsNoTracking() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
            where f.EnvironmentId == environmentId && f.DeletedAt == null && i.DeletedAt == null && i.UniqueKey == integrationKey
                && f.Type == type && f.Name == name
            orderby f.Event, f.Id
            select new { Function = f, Version = v }).FirstOrDefaultAsync(ct);
        return row is null ? null : await LoadAsync(integrationKey, row.Function, row.Version, ct);
    }

    public async Task<FunctionBundle?> ReadAsync(int environmentId, string integrationKey, string name, string version, CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var row = await (
            from f in db.Set<DeployedFunction>().AsNoTracking()
            join i in db.Integrations.AsNoTracking() on f.IntegrationId equals i.Id
            join v in db.Set<FunctionVersion>().AsNoTracking() on f.Id equals v.FunctionId
            where f.EnvironmentId == environmentId && f.DeletedAt == null && i.DeletedAt == null && i.UniqueKey == integrationKey
                && f.Name == name && v.Version == version
            orderby f.Type, f.Id, v.Revision descending
            select new { Function = f, Version = v }).FirstOrDefaultAsync(ct);
        return row is null ? null : await LoadAsync(integrationKey, row.Function, row.Version, ct);
    }

    private async Task<FunctionBundle?> LoadAsync(string integrationKey, DeployedFunction function, FunctionVersion version, CancellationToken ct)
    {
        var js = await ReadCodeAsync(version.BundleKey, version.CodeHash, ct);
        return js is null
            ? null
            : new FunctionBundle(function.Id, integrationKey, function.Type, function.Name, version.Version, version.Revision, function.Enabled, version.CodeHash, js);
    }

    private async Task<string?> ReadCodeAsync(string bundleKey, string codeHash, CancellationToken ct)
    {
        if (_code.TryGetValue(codeHash, out var cached))
        {
            return cached;
        }
        var js = await store.GetAsync(bundleKey, ct);
        // The bundle key is derived from the hash (FunctionStoreKeys.Bundle): the text under it is that content.
        if (js is not null)
        {
            if (Interlocked.Add(ref _cachedChars, js.Length) > MaxCachedChars)
            {
                _code.Clear();
                Interlocked.Exchange(ref _cachedChars, js.Length);
            }
            _code[codeHash] = js;
        }
        return js;
    }
}
