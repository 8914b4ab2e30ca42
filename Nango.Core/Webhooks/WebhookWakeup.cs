using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core.Common;
using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Core.Webhooks;

/// <summary>
/// Wakes this instance's delivery worker as soon as an event is committed anywhere: a trigger on
/// <c>webhook_deliveries</c> sends <c>NOTIFY nango_webhooks</c> (delivered at commit, dropped on rollback) and this
/// service listens on a dedicated connection. Without it workers would still find events, one poll interval later.
/// </summary>
public sealed class WebhookWakeup(NpgsqlDataSource dataSource, ILogger<WebhookWakeup> logger) : IHostedService, IDisposable
{
    public const string Channel = "nango_webhooks";

    private readonly Channel<bool> _signal = System.Threading.Channels.Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly StoppingSignal _stopping = new();
    private Task? _listening;

    /// <summary>Wakes the worker (also used in-process when a delivery slot frees up).</summary>
    public void Signal() => _signal.Writer.TryWrite(true);

    /// <summary>Waits for a signal or the timeout, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _signal.Reader.ReadAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Timed out: the caller polls.
        }
    }

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
    }

    public void Dispose() => _stopping.Dispose();

    // Anything committed while not listening is picked up by the wake-up that follows (re)connecting.
    private Task ListenAsync(CancellationToken ct) =>
        PostgresListener.ListenAsync(dataSource, Channel, _ => Signal(), Signal, logger, ct);
}
