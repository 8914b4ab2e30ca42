namespace Nango.Core.Common;

/// <summary>
/// The stop token of a hosted service's background loop. A host that gives up on shutdown (or a test host being
/// disposed) may dispose a service before its StopAsync runs; a bare CancellationTokenSource then throws
/// ObjectDisposedException from StopAsync. This one ignores a cancel after disposal, and cancels before disposing
/// so a loop still waiting on the token ends.
/// </summary>
public sealed class StoppingSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private int _disposed;

    public CancellationToken Token => _source.Token;

    public async Task CancelAsync()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                await _source.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the check and the cancel: the loop was cancelled by Dispose.
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _source.Cancel();
            _source.Dispose();
        }
    }
}
