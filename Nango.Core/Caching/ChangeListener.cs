using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core.Common;
using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Core.Caching;

/// <summary>
/// Listens on <c>nango_cache</c>, where triggers on <c>environments</c>, <c>integrations</c> and <c>connections</c>
/// announce every committed change, and passes each to <see cref="ChangeSignals"/>. Caches serve nothing until the
/// first <c>LISTEN</c> succeeds, and nothing again from a lost connection until listening resumes.
/// </summary>
public sealed class ChangeListener(NpgsqlDataSource dataSource, ChangeSignals signals, ILogger<ChangeListener> logger) : IHostedService, IDisposable
{
    public const string Channel = "nango_cache";

    private readonly StoppingSignal _stopping = new();
    private Task? _listening;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listening = Task.Run(() => ListenAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_listening is not null)
        {
            await _listening.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        signals.SetListening(false);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task ListenAsync(CancellationToken ct)
    {
        try
        {
            await PostgresListener.ListenAsync(
                dataSource, Channel, payload => signals.Publish(ChangeSignal.Parse(payload)), () => signals.SetListening(true), logger, ct,
                onLost: () => signals.SetListening(false));
        }
        finally
        {
            // However listening ends, nothing vouches for cached rows any more.
            signals.SetListening(false);
        }
    }
}
