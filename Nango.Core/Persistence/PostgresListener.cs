using Microsoft.Extensions.Logging;
using Npgsql;

namespace Nango.Core.Persistence;

/// <summary>
/// Runs <c>LISTEN</c> on a dedicated connection until cancelled, reconnecting after failures. Postgres delivers a
/// NOTIFY at commit (never for a rolled-back transaction), to every instance listening: the cross-instance signal
/// for webhook workers and auth popups, without another moving part.
/// </summary>
public static partial class PostgresListener
{
    /// <summary>
    /// <paramref name="onListening"/> runs each time listening (re)starts: anything sent while not listening was missed.
    /// <paramref name="onLost"/> runs when the listening connection fails, before reconnecting.
    /// </summary>
    public static async Task ListenAsync(
        NpgsqlDataSource dataSource, string channel, Action<string> onNotification, Action onListening, ILogger logger, CancellationToken ct,
        Action? onLost = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(onNotification);
        ArgumentNullException.ThrowIfNull(onListening);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, e) => onNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN \"{channel}\"", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }
                onListening();
                while (!ct.IsCancellationRequested)
                {
                    await connection.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
                onLost?.Invoke();
                LogListenFailed(logger, ex, channel);
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listening on Postgres channel {Channel} failed; reconnecting")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, string channel);
}
