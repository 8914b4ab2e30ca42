using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Environments;
using Nango.Core.Functions.Store;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Syncs.Schedules;

namespace Nango.Core.Functions.Deploy;

/// <summary>
/// Reconciles an environment's functions with what the CLI deploys: new functions are created, changed ones get a
/// new version (their bundle stored first, content-addressed), unchanged ones keep theirs, and with
/// <c>reconcile</c> the ones missing from the deploy's scope are removed. Everything is checked before anything is
/// written, and the database changes of one deploy commit together.
/// </summary>
public sealed class FunctionDeployService(
    IDbContextFactory<NangoDbContext> contextFactory,
    IFunctionStore store,
    DeployLock deployLock,
    TimeProvider clock,
    ILogService logs)
{
    /// <summary>The diff the CLI shows before deploying; changes nothing.</summary>
    public async Task<DeployPlan> PreviewAsync(EnvironmentContext env, DeployRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(request);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var state = await EnvironmentState.LoadAsync(db, env, ct);
        return Plan(state, request);
    }

    public async Task<DeployResult> DeployAsync(EnvironmentContext env, DeployRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(request);

        await using var handle = await deployLock.TryAcquireAsync(env.EnvironmentId, ct);
        if (handle is null)
        {
            var refused = logs.StartOperation(OperationStart.For(LogOperationKinds.DeployCustom, env));
            var error = new LogError("concurrent_deployment", "A deployment is already in progress. Please wait for the current deployment to finish.");
            refused.Error("Failed to deploy scripts", error);
            refused.Fail(error);
            return new DeployResult(DeployOutcome.ConcurrentDeployment, []);
        }

        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var state = await EnvironmentState.LoadAsync(db, env, ct);
        var unknown = request.Flows.FirstOrDefault(f => !state.IntegrationsByKey.ContainsKey(f.IntegrationKey));
        if (unknown is not null)
        {
            var operation = logs.StartOperation(OperationStart.For(LogOperationKinds.DeployCustom, env));
            var error = new LogError("unknown_provider_config", $"There is no integration '{unknown.IntegrationKey}' in this environment");
            operation.Error($"Failed to deploy script \"{unknown.Name}\"", error);
            operation.Fail(error);
            return new DeployResult(DeployOutcome.UnknownIntegration, [], unknown.IntegrationKey);
        }

        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.DeployCustom, env) with
        {
            Meta = new JsonObject { ["deploy_mode"] = request.DeployMode, ["cli_version"] = request.CliVersion, ["sdk_version"] = request.SdkVersion },
        });
        var now = clock.GetUtcNow();
        var deployment = new FunctionDeployment
        {
            EnvironmentId = env.EnvironmentId,
            State = FunctionDeploymentStates.Running,
            DeployMode = request.DeployMode,
            CliVersion = request.CliVersion,
            SdkVersion = request.SdkVersion,
            StartedAt = now,
        };
        db.Set<FunctionDeployment>().Add(deployment);
        await db.SaveChangesAsync(ct);

        try
        {
            var result = await ApplyAsync(db, env, state, request, deployment, log, ct);
            deployment.State = FunctionDeploymentStates.Succeeded;
            deployment.FinishedAt = clock.GetUtcNow();
            deployment.Created = result.Created;
            deployment.Updated = result.Updated;
            deployment.Unchanged = result.Unchanged;
            deployment.Deleted = result.Deleted;
            await db.SaveChangesAsync(CancellationToken.None);
            log.Info($"Successfully deployed {request.Flows.Count} script{(request.Flows.Count == 1 ? "" : "s")}: {result.Created} created, {result.Updated} updated, {result.Unchanged} unchanged, {result.Deleted} deleted",
                new JsonObject { ["functions"] = new JsonArray(result.Deployed.Select(d => (JsonNode)$"{d.ProviderConfigKey}/{d.Name}@{d.Version}").ToArray()) });
            log.Succeed();
            return result;
        }
        catch (Exception e)
        {
            var error = new LogError("deploy_failed", "Failed to deploy scripts");
            log.Error("Failed to deploy scripts", error);
            log.Fail(error);
            db.ChangeTracker.Clear();
            await db.Set<FunctionDeployment>().Where(d => d.Id == deployment.Id).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.State, FunctionDeploymentStates.Failed)
                .SetProperty(d => d.FinishedAt, clock.GetUtcNow())
                .SetProperty(d => d.Error, e.GetType().Name), CancellationToken.None);
            throw;
        }
    }

    private async Task<DeployResult> ApplyAsync(
        NangoDbContext db, EnvironmentContext env, EnvironmentState state, DeployRequest request, FunctionDeployment deployment, IOperationLog log, CancellationToken ct)
    {
        // Nango deploys nothing, and removes nothing, when the deploy carries no sync or action.
        if (request.Flows.Count == 0)
        {
            log.Info("Nothing to deploy: the deploy carries no sync or action");
            return new DeployResult(DeployOutcome.Ok, []);
        }

        var plan = Plan(state, request);
        var now = clock.GetUtcNow();
        var changes = new List<(DeployedFunction Function, FunctionVersion Version, bool IsNew)>();
        var touched = new List<DeployedFunction>();
        var deployed = new List<DeployedItem>();
        int created = 0, updated = 0, unchanged = 0;

        foreach (var flow in request.Flows)
        {
            var integration = state.IntegrationsByKey[flow.IntegrationKey];
            var existing = state.Find(integration.Id, flow.Type, flow.Name, null);
            var definition = Definition(flow);
            var hash = DefinitionHash(definition, flow.Files);
            if (existing is not null && existing.Current.DefinitionHash == hash)
            {
                unchanged++;
                touched.Add(existing.Function);
                deployed.Add(new DeployedItem(flow.Name, flow.Models, existing.Current.Version, flow.IntegrationKey, flow.Type));
                continue;
            }
            var version = flow.Version ?? FunctionVersionLabels.Increment(existing?.Current.Version);
            var row = await NewVersionAsync(env, integration.Id, flow.Type, flow.Name, version, flow.Files, hash, deployment.Id, now, ct);
            ApplyDefinition(row, flow);
            row.SdkVersion = request.SdkVersion;
            var function = existing?.Function ?? NewFunction(env, integration.Id, flow.Type, flow.Name, null, now);
            changes.Add((function, row, existing is null));
            if (existing is null)
            {
                created++;
            }
            else
            {
                updated++;
            }
            deployed.Add(new DeployedItem(flow.Name, flow.Models, version, flow.IntegrationKey, flow.Type));
            log.Info($"{(existing is null ? "Created" : "Updated")} {flow.Type} {flow.IntegrationKey}/{flow.Name} at version {version}");
        }

        var removed = new List<DeployedFunction>();
        if (request.Reconcile)
        {
            removed.AddRange(plan.DeletedSyncs.Select(s => state.Find(state.IntegrationsByKey[s.ProviderConfigKey].Id, FunctionTypes.Sync, s.Name, null)!.Function));
            removed.AddRange(plan.DeletedActions.Select(a => state.Find(state.IntegrationsByKey[a.ProviderConfigKey].Id, FunctionTypes.Action, a.Name, null)!.Function));
        }

        if (request.OnEventScripts is { } scripts)
        {
            foreach (var script in scripts)
            {
                if (!state.IntegrationsByKey.TryGetValue(script.IntegrationKey, out var integration))
                {
                    // As Nango: an on-event script of an integration that does not exist is skipped, not an error.
                    continue;
                }
                var existing = state.Find(integration.Id, FunctionTypes.OnEvent, script.Name, script.Event);
                var hash = DefinitionHash(new JsonObject { ["event"] = script.Event }, script.Files);
                if (existing is not null && existing.Current.DefinitionHash == hash)
                {
                    touched.Add(existing.Function);
                    unchanged++;
                    deployed.Add(new DeployedItem(script.Name, [], existing.Current.Version, script.IntegrationKey, FunctionTypes.OnEvent));
                    continue;
                }
                var version = existing is null ? "0.0.1" : FunctionVersionLabels.Increment(existing.Current.Version);
                var row = await NewVersionAsync(env, integration.Id, FunctionTypes.OnEvent, script.Name, version, script.Files, hash, deployment.Id, now, ct);
                row.SdkVersion = request.SdkVersion;
                changes.Add((existing?.Function ?? NewFunction(env, integration.Id, FunctionTypes.OnEvent, script.Name, script.Event, now), row, existing is null));
                if (existing is null)
                {
                    created++;
                }
                else
                {
                    updated++;
                }
                deployed.Add(new DeployedItem(script.Name, [], version, script.IntegrationKey, FunctionTypes.OnEvent));
            }
            removed.AddRange(plan.DeletedOnEventScripts.Select(s => state.Find(state.IntegrationsByKey[s.ProviderConfigKey].Id, FunctionTypes.OnEvent, s.Name, s.Event)!.Function));
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        foreach (var function in touched)
        {
            db.Attach(function);
            function.LastDeployedAt = now;
        }
        foreach (var function in removed)
        {
            db.Attach(function);
            function.DeletedAt = now;
            log.Info($"Deleted {function.Type} {function.Name}");
        }
        // Functions removed by this deploy free their (integration, type, name, event) slot before new rows take it.
        await db.SaveChangesAsync(ct);
        foreach (var (function, version, isNew) in changes)
        {
            if (isNew)
            {
                function.CurrentRevision = 1;
                db.Set<DeployedFunction>().Add(function);
                await db.SaveChangesAsync(ct);
            }
            else
            {
                db.Attach(function);
                function.CurrentRevision++;
                function.LastDeployedAt = now;
            }
            version.FunctionId = function.Id;
            version.Revision = function.CurrentRevision;
            db.Set<FunctionVersion>().Add(version);
        }
        await db.SaveChangesAsync(ct);
        await SyncScheduleWriter.ReconcileEnvironmentAsync(db, env.EnvironmentId, ct);
        await transaction.CommitAsync(ct);

        return new DeployResult(DeployOutcome.Ok, deployed)
        {
            Created = created,
            Updated = updated,
            Unchanged = unchanged,
            Deleted = removed.Count,
        };
    }

    private static DeployPlan Plan(EnvironmentState state, DeployRequest request)
    {
        var newSyncs = new List<PlannedSync>();
        var updatedSyncs = new List<PlannedSync>();
        var newActions = new List<PlannedAction>();
        var updatedActions = new List<PlannedAction>();
        foreach (var flow in request.Flows)
        {
            var integrationId = state.IntegrationsByKey.TryGetValue(flow.IntegrationKey, out var integration) ? integration.Id : (int?)null;
            var exists = integrationId is { } id && state.Find(id, flow.Type, flow.Name, null) is not null;
            if (flow.Type == FunctionTypes.Action)
            {
                (exists ? updatedActions : newActions).Add(new PlannedAction(flow.Name, flow.IntegrationKey));
            }
            else
            {
                var connections = integrationId is { } key ? state.ConnectionCounts.GetValueOrDefault(key) : 0;
                (exists ? updatedSyncs : newSyncs).Add(new PlannedSync(flow.Name, flow.IntegrationKey, connections, flow.AutoStart));
            }
        }

        var deletedSyncs = new List<PlannedSync>();
        var deletedActions = new List<PlannedAction>();
        var deletedModels = new List<string>();
        if (request.DeployMode != DeployModes.Single && request.Flows.Count > 0)
        {
            var scope = request.DeployMode == DeployModes.Integration ? request.Flows[0].IntegrationKey : null;
            foreach (var existing in state.Functions.Where(f => f.Function.Type != FunctionTypes.OnEvent))
            {
                var key = state.KeysById[existing.Function.IntegrationId];
                if (scope is not null && scope != key)
                {
                    continue;
                }
                var flow = request.Flows.FirstOrDefault(f => f.Name == existing.Function.Name && f.IntegrationKey == key && f.Type == existing.Function.Type);
                var connections = state.ConnectionCounts.GetValueOrDefault(existing.Function.IntegrationId);
                if (flow is null)
                {
                    if (existing.Function.Type == FunctionTypes.Sync)
                    {
                        deletedSyncs.Add(new PlannedSync(existing.Function.Name, key, connections, false));
                    }
                    else
                    {
                        deletedActions.Add(new PlannedAction(existing.Function.Name, key));
                    }
                }
                else if (existing.Function.Type == FunctionTypes.Sync && connections > 0)
                {
                    // A model a sync no longer returns loses its records; Nango only warns when connections have some.
                    deletedModels.AddRange(existing.Models.Where(m => !flow.Models.Contains(m)));
                }
            }
        }

        var newOnEvents = new List<PlannedOnEvent>();
        var updatedOnEvents = new List<PlannedOnEvent>();
        var deletedOnEvents = new List<PlannedOnEvent>();
        if (request.OnEventScripts is { } scripts)
        {
            var deploying = scripts.Select(s => s.IntegrationKey).Distinct().ToList();
            var scope = scripts.Count > 0 ? scripts[0].IntegrationKey : null;
            var remaining = state.Functions
                .Where(f => f.Function.Type == FunctionTypes.OnEvent)
                .Where(f => request.DeployMode switch
                {
                    DeployModes.Integration => state.KeysById[f.Function.IntegrationId] == scope,
                    DeployModes.Single => deploying.Contains(state.KeysById[f.Function.IntegrationId]),
                    _ => true,
                })
                .ToList();
            foreach (var script in scripts)
            {
                if (!state.IntegrationsByKey.TryGetValue(script.IntegrationKey, out var integration))
                {
                    continue;
                }
                var match = remaining.FirstOrDefault(f => f.Function.IntegrationId == integration.Id && f.Function.Name == script.Name && f.Function.Event == script.Event);
                if (match is null)
                {
                    newOnEvents.Add(new PlannedOnEvent(script.IntegrationKey, script.Name, script.Event));
                }
                else
                {
                    updatedOnEvents.Add(new PlannedOnEvent(script.IntegrationKey, script.Name, script.Event));
                    remaining.Remove(match);
                }
            }
            deletedOnEvents.AddRange(remaining.Select(f => new PlannedOnEvent(state.KeysById[f.Function.IntegrationId], f.Function.Name, f.Function.Event!)));
        }

        return new DeployPlan(newSyncs, updatedSyncs, deletedSyncs, newActions, updatedActions, deletedActions, deletedModels.Distinct().ToList(),
            newOnEvents, updatedOnEvents, deletedOnEvents);
    }

    private async Task<FunctionVersion> NewVersionAsync(
        EnvironmentContext env, int integrationId, string type, string name, string version, FunctionFiles files, string definitionHash, long deploymentId, DateTimeOffset now, CancellationToken ct)
    {
        var codeHash = Sha256(files.Js);
        var bundleKey = FunctionStoreKeys.Bundle(env.EnvironmentUuid, integrationId, type, name, codeHash);
        if (!await store.ExistsAsync(bundleKey, ct))
        {
            await store.PutAsync(bundleKey, files.Js, ct);
        }
        string? sourceKey = null;
        if (files.Ts.Length > 0)
        {
            sourceKey = FunctionStoreKeys.Source(env.EnvironmentUuid, integrationId, type, name, Sha256(files.Ts));
            if (!await store.ExistsAsync(sourceKey, ct))
            {
                await store.PutAsync(sourceKey, files.Ts, ct);
            }
        }
        return new FunctionVersion
        {
            Version = version,
            BundleKey = bundleKey,
            SourceKey = sourceKey,
            CodeHash = codeHash,
            DefinitionHash = definitionHash,
            DeploymentId = deploymentId,
            DeployedAt = now,
        };
    }

    private static DeployedFunction NewFunction(EnvironmentContext env, int integrationId, string type, string name, string? onEvent, DateTimeOffset now) => new()
    {
        EnvironmentId = env.EnvironmentId,
        IntegrationId = integrationId,
        Type = type,
        Name = name,
        Event = onEvent,
        CreatedAt = now,
        LastDeployedAt = now,
    };

    /// <summary>Every part of a flow that a version records, in a fixed order so equal definitions hash equally.</summary>
    private static JsonObject Definition(FlowDefinition flow) => new()
    {
        ["version"] = flow.Version,
        ["description"] = flow.Description,
        ["models"] = ToArray(flow.Models),
        ["input"] = flow.Input,
        ["json_schema"] = flow.JsonSchema?.DeepClone(),
        ["runs"] = flow.Runs,
        ["auto_start"] = flow.AutoStart,
        ["track_deletes"] = flow.TrackDeletes,
        ["sync_type"] = flow.SyncType,
        ["endpoints"] = EndpointsJson(flow.Endpoints),
        ["scopes"] = ToArray(flow.Scopes),
        ["webhook_subscriptions"] = ToArray(flow.WebhookSubscriptions),
        ["attributes"] = flow.Attributes.DeepClone(),
        ["features"] = ToArray(flow.Features),
    };

    private static void ApplyDefinition(FunctionVersion row, FlowDefinition flow)
    {
        row.Description = flow.Description;
        row.Models = ToArray(flow.Models).ToJsonString();
        row.Input = flow.Input;
        row.JsonSchema = flow.JsonSchema?.ToJsonString();
        row.Runs = flow.Type == FunctionTypes.Sync ? flow.Runs : null;
        row.AutoStart = flow.Type == FunctionTypes.Sync && flow.AutoStart;
        row.TrackDeletes = flow.TrackDeletes;
        row.SyncType = flow.SyncType;
        row.Endpoints = EndpointsJson(flow.Endpoints).ToJsonString();
        row.Scopes = ToArray(flow.Scopes).ToJsonString();
        row.WebhookSubscriptions = ToArray(flow.WebhookSubscriptions).ToJsonString();
        row.Attributes = flow.Attributes.ToJsonString();
        row.Features = ToArray(flow.Features).ToJsonString();
    }

    internal static JsonArray EndpointsJson(IEnumerable<FunctionEndpoint> endpoints) =>
        new(endpoints.Select(e =>
        {
            var o = new JsonObject { ["method"] = e.Method, ["path"] = e.Path };
            if (e.Group is not null)
            {
                o["group"] = e.Group;
            }
            return (JsonNode)o;
        }).ToArray());

    private static JsonArray ToArray(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());

    private static string DefinitionHash(JsonObject definition, FunctionFiles files)
    {
        var text = definition.ToJsonString() + "\n" + Sha256(files.Js) + "\n" + Sha256(files.Ts);
        return Sha256(text);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>The environment's integrations, connection counts and live functions with their current version.</summary>
    private sealed class EnvironmentState
    {
        public required Dictionary<string, Integration> IntegrationsByKey { get; init; }

        public required Dictionary<int, string> KeysById { get; init; }

        public required Dictionary<int, int> ConnectionCounts { get; init; }

        public required List<LiveFunction> Functions { get; init; }

        public LiveFunction? Find(int integrationId, string type, string name, string? onEvent) =>
            Functions.FirstOrDefault(f => f.Function.IntegrationId == integrationId && f.Function.Type == type && f.Function.Name == name && f.Function.Event == onEvent);

        public static async Task<EnvironmentState> LoadAsync(NangoDbContext db, EnvironmentContext env, CancellationToken ct)
        {
            var integrations = await db.Integrations.AsNoTracking()
                .Where(i => i.EnvironmentId == env.EnvironmentId && i.DeletedAt == null)
                .ToListAsync(ct);
            var counts = await db.Connections.AsNoTracking()
                .Where(c => c.DeletedAt == null && db.Integrations.Any(i => i.Id == c.IntegrationId && i.EnvironmentId == env.EnvironmentId && i.DeletedAt == null))
                .GroupBy(c => c.IntegrationId)
                .Select(g => new { IntegrationId = g.Key, Count = g.Count() })
                .ToDictionaryAsync(g => g.IntegrationId, g => g.Count, ct);
            var integrationIds = integrations.Select(i => i.Id).ToList();
            var functions = await (
                from f in db.Set<DeployedFunction>().AsNoTracking()
                join v in db.Set<FunctionVersion>().AsNoTracking() on new { FunctionId = f.Id, Revision = f.CurrentRevision } equals new { v.FunctionId, v.Revision }
                where f.EnvironmentId == env.EnvironmentId && f.DeletedAt == null && integrationIds.Contains(f.IntegrationId)
                orderby f.Id
                select new { Function = f, Version = v }).ToListAsync(ct);
            return new EnvironmentState
            {
                IntegrationsByKey = integrations.ToDictionary(i => i.UniqueKey, StringComparer.Ordinal),
                KeysById = integrations.ToDictionary(i => i.Id, i => i.UniqueKey),
                ConnectionCounts = counts,
                Functions = functions.Select(x => new LiveFunction(x.Function, x.Version, JsonSerializer.Deserialize<List<string>>(x.Version.Models) ?? [])).ToList(),
            };
        }
    }

    private sealed record LiveFunction(DeployedFunction Function, FunctionVersion Current, IReadOnlyList<string> Models);
}
