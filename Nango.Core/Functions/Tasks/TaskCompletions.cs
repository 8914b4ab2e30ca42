using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nango.Core.Common;
using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Core.Functions.Tasks;

/// <summary>
/// Lets a request wait for a task to end wherever it ran: <see cref="TaskStore"/> sends <c>NOTIFY nango_task_done</c>
/// with the task id at commit, and this service listens for it on a dedicated connection and completes the waiters of
/// this instance. A waiter re-reads the task after registering and after each (re)connect, so a result announced
/// while nobody listened is not missed.
/// </summary>
public sealed class TaskCompletions(NpgsqlDataSource dataSource, TaskStore store, ILogger<TaskCompletions> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<Guid, List<TaskCompletionSource>> _waiters = new();
    private readonly StoppingSignal _stopping = new();
    private Task? _listening;

    /// <summary>The task once it has ended, or as it is when <paramref name="timeout"/> passes.</summary>
    public async Task<FunctionTask?> WaitAsync(Guid taskId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            // Registered before reading, so an end committed between the read and the wait still wakes it.
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var list = _waiters.GetOrAdd(taskId, _ => []);
            lock (list)
            {
                list.Add(signal);
            }
            try
            {
                var task = await store.GetAsync(taskId, ct);
                var left = deadline - DateTimeOffset.UtcNow;
                if (task is null || TaskStates.IsTerminal(task.State) || left <= TimeSpan.Zero)
                {
                    return task;
                }
                // Re-read at least every few seconds: cheap insurance against a notification lost with a dropped connection.
                await signal.Task.WaitAsync(left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5), ct)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                ct.ThrowIfCancellationRequested();
            }
            finally
            {
                lock (list)
                {
                    list.Remove(signal);
                    if (list.Count == 0)
                    {
                        _waiters.TryRemove(new KeyValuePair<Guid, List<TaskCompletionSource>>(taskId, list));
                    }
                }
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listening = Task.Run(() => PostgresListener.ListenAsync(dataSource, TaskStore.DoneChannel, OnDone, WakeAll, logger, _stopping.Token), CancellationToken.None);
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

    private void OnDone(string payload)
    {
        if (Guid.TryParse(payload, out var id) && _waiters.TryGetValue(id, out var list))
        {
            lock (list)
            {
                foreach (var waiter in list)
                {
                    waiter.TrySetResult();
                }
            }
        }
    }

    private void WakeAll()
    {
        foreach (var list in _waiters.Values)
        {
            lock (list)
            {
                foreach (var waiter in list)
                {
                    waiter.TrySetResult();
                }
            }
        }
    }
}
