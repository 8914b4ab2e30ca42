using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nango.Core.Persistence;

/// <summary>
/// Applies migrations before anything else starts (hosted services start in registration order, and this
/// one is registered first). EF Core takes a database lock around Migrate, so instances starting together
/// are safe.
/// </summary>
internal sealed class DatabaseMigrator(
    IDbContextFactory<NangoDbContext> contextFactory,
    IOptions<NangoOptions> options,
    ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Database.MigrateOnStartup)
        {
            return;
        }
        await using var context = await contextFactory.CreateDbContextAsync(cancellationToken);
        var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            await context.Database.MigrateAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
