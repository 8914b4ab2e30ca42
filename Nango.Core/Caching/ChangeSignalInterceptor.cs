using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Core.Integrations;

namespace Nango.Core.Caching;

/// <summary>
/// Publishes this instance's own EF writes to environments, integrations, connections and deployed functions as soon as they are saved,
/// so they reach this instance's caches before the request that made them answers; the database trigger's NOTIFY
/// (at commit) reaches every instance, this one included, a moment later. Writes outside EF (raw SQL) rely on the
/// NOTIFY alone.
/// </summary>
internal sealed class ChangeSignalInterceptor(ChangeSignals signals) : SaveChangesInterceptor
{
    /// <summary>Written on every read of a connection through the API; no cached reader depends on them.</summary>
    private static readonly HashSet<string> _bookkeeping = new(StringComparer.Ordinal) { nameof(Connection.LastFetchedAt), nameof(Connection.UpdatedAt) };

    private readonly ConditionalWeakTable<DbContext, List<ChangeSignal>> _pending = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        PublishPending(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        PublishPending(eventData.Context);
        return ValueTask.FromResult(result);
    }

    // A failed save may still have written some rows before its transaction rolled back; evicting is always safe.
    public override void SaveChangesFailed(DbContextErrorEventData eventData) => PublishPending(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        PublishPending(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null)
        {
            return;
        }
        List<ChangeSignal>? found = null;
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted))
            {
                continue;
            }
            switch (entry.Entity)
            {
                case NangoEnvironment environment:
                    (found ??= []).Add(new ChangeSignal(ChangeScope.Environment, environment.Id, null));
                    break;
                case DeployedFunction function:
                    (found ??= []).Add(new ChangeSignal(ChangeScope.Function, function.EnvironmentId, null));
                    break;
                case Integration integration:
                    (found ??= []).Add(new ChangeSignal(ChangeScope.Integration, integration.EnvironmentId, null));
                    break;
                case Connection connection when !OnlyBookkeeping(entry):
                    (found ??= []).Add(new ChangeSignal(ChangeScope.Connection, connection.EnvironmentId, connection.ConnectionId));
                    var original = entry.State == EntityState.Modified ? entry.OriginalValues.GetValue<string>(nameof(Connection.ConnectionId)) : null;
                    if (original is not null && original != connection.ConnectionId)
                    {
                        found.Add(new ChangeSignal(ChangeScope.Connection, connection.EnvironmentId, original));
                    }
                    break;
                default:
                    break;
            }
        }
        if (found is not null)
        {
            _pending.AddOrUpdate(context, found);
        }
    }

    private static bool OnlyBookkeeping(EntityEntry entry) =>
        entry.State == EntityState.Modified && entry.Properties.Where(p => p.IsModified).All(p => _bookkeeping.Contains(p.Metadata.Name));

    private void PublishPending(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out var signalsToSend))
        {
            return;
        }
        _pending.Remove(context);
        foreach (var signal in signalsToSend)
        {
            signals.Publish(signal);
        }
    }
}
