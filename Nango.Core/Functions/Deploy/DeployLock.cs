using Microsoft.EntityFrameworkCore;
using Nango.Core.Persistence;

namespace Nango.Core.Functions.Deploy;

/// <summary>
/// One deploy at a time per environment, across every Nango.Web instance: a session-level Postgres advisory lock
/// taken with <c>pg_try_advisory_lock</c> (so a second deploy is refused at once rather than queued, as Nango does)
/// and held on its own connection for the whole deploy. If the instance dies the connection closes and Postgres
/// releases the lock; nothing is left to clean up.
/// </summary>
public sealed class DeployLock(IDbContextFactory<NangoDbContext> contextFactory)
{
    private const int LockNamespace = 0x4e44; // "ND": Nango deploy

    /// <summary>The held lock, or null when another deploy of this environment holds it.</summary>
    public async Task<IAsyncDisposable?> TryAcquireAsync(int environmentId, CancellationToken ct)
    {
        var db = await contextFactory.CreateDbContextAsync(ct);
        try
        {
            await db.Database.OpenConnectionAsync(ct);
            var acquired = await db.Database
                .SqlQuery<bool>($"SELECT pg_try_advisory_lock({LockNamespace}, {environmentId}) AS \"Value\"")
                .SingleAsync(ct);
            if (acquired)
            {
                return new Held(db, environmentId);
            }
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
        await db.DisposeAsync();
        return null;
    }

    private sealed class Held(NangoDbContext db, int environmentId) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // Unlock explicitly: the pooled connection outlives this context, and a lock left on it would block deploys.
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({LockNamespace}, {environmentId})", CancellationToken.None);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
                await db.DisposeAsync();
            }
        }
    }
}
