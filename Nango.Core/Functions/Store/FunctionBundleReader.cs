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
}

internal sealed class FunctionBundleReader(IDbContextFactory<NangoDbContext> contextFactory, IFunctionStore store) : IFunctionBundleReader
{
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
        var js = await store.GetAsync(version.BundleKey, ct);
        return js is null
            ? null
            : new FunctionBundle(function.Id, integrationKey, function.Type, function.Name, version.Version, version.Revision, function.Enabled, version.CodeHash, js);
    }
}
