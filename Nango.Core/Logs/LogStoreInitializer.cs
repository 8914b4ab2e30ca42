using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Nango.Core.Logs;

/// <summary>
/// Prepares today's and the next days' partitions (or index templates) at start-up, after migrations;
/// the daily job keeps them ahead. A failure is logged, not fatal: rows then land in the DEFAULT partition
/// (Postgres) and logging must not stop the product from starting.
/// </summary>
internal sealed partial class LogStoreInitializer(LogMaintenance maintenance, ILogger<LogStoreInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await maintenance.PrepareDaysAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not prepare the log store for the coming days; will retry with the daily job")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
