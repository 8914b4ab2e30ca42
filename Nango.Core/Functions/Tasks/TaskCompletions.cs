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
/// this instance. A task this instance ended itself reaches its waiters at once, as stored (<see cref="TaskStore.Ended"/>),
/// without being read back. A waiter re-reads the task after a notification, after each (re)connect and every few
/// seconds, so a result announced while nobody listened is not missed; it reads it first too, unless it was registered
/// (<see cref="Expect"/>) before the task existed.
/// </summary>
public sealed class TaskCompletions : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<Guid, List<TaskCompletionSource<FunctionTask?>>> _waiters = new();
    private readonly StoppingSignal _stopping = new();
    private readonly NpgsqlDataSource _dataSource;
    private readonly TaskStore _store;
    private readonly ILogger<TaskCompletions> _logger;
    private Task? _listening;

    public TaskCompletions(NpgsqlDataSource dataSource, TaskStore store, ILogger<TaskCompletions> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        _dataSource = dataSource;
        _store = store;
        _logger = logger;
        store.Ended += OnEndedHere;
    }

    /// <summary>The task once it has ended, or as it is when <paramref name="timeout"/> passes.</summary>
    public async Task<FunctionTask?> WaitAsync(Guid taskId, TimeSpan timeout, CancellationToken ct)
    {
        using var wait = new TaskWait(this, taskId);
        return await wait.WaitAsync(timeout, readFirst: true, ct);
    }

    /// <summary>
    /// Registers for the end of a task before it is created (with this id): its end cannot be announced before the
    /// registration, so the wait needs no first read.
    /// </summary>
    public TaskWait Expect(Guid taskId) => new(this, taskId);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listening = Task.Run(() => PostgresListener.ListenAsync(_dataSource, TaskStore.DoneChannel, OnDone, WakeAll, _logger, _stopping.Token), CancellationToken.None);
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

    public void Dispose()
    {
        _store.Ended -= OnEndedHere;
        _stopping.Dispose();
    }

    private TaskCompletionSource<FunctionTask?> Register(Guid taskId)
    {
        var signal = new TaskCompletionSource<FunctionTask?>(TaskCreationOptions.RunContinuationsAsynchronously);
        while (true)
        {
            var list = _waiters.GetOrAdd(taskId, _ => []);
            lock (list)
            {
                // A list emptied and removed meanwhile is no longer reachable: take the live one.
                if (_waiters.TryGetValue(taskId, out var live) && ReferenceEquals(live, list))
                {
                    list.Add(signal);
                    return signal;
                }
            }
        }
    }

    private void Unregister(Guid taskId, TaskCompletionSource<FunctionTask?> signal)
    {
        if (!_waiters.TryGetValue(taskId, out var list))
        {
            return;
        }
        lock (list)
        {
            list.Remove(signal);
            if (list.Count == 0)
            {
                _waiters.TryRemove(new KeyValuePair<Guid, List<TaskCompletionSource<FunctionTask?>>>(taskId, list));
            }
        }
    }

    /// <summary>A notification: the waiters read the task, unless this instance is ending it and hands it over itself.</summary>
    private void OnDone(string payload)
    {
        if (Guid.TryParse(payload, out var id) && !_store.IsEndingHere(id))
        {
            Complete(id, null);
        }
    }

    /// <summary>Ended on this instance: the waiters get the stored row itself.</summary>
    private void OnEndedHere(FunctionTask task) => Complete(task.Id, task);

    private void Complete(Guid id, FunctionTask? ended)
    {
        if (_waiters.TryGetValue(id, out var list))
        {
            lock (list)
            {
                foreach (var waiter in list)
                {
                    waiter.TrySetResult(ended);
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
                    waiter.TrySetResult(null);
                }
            }
        }
    }

    /// <summary>One request's wait for one task; dispose it when done waiting.</summary>
    public sealed class TaskWait : IDisposable
    {
        private readonly TaskCompletions _owner;
        private readonly Guid _taskId;
        private TaskCompletionSource<FunctionTask?> _signal;

        internal TaskWait(TaskCompletions owner, Guid taskId)
        {
            _owner = owner;
            _taskId = taskId;
            _signal = owner.Register(taskId);
        }

        /// <summary>The task once it has ended, or as it is when <paramref name="timeout"/> passes.</summary>
        public Task<FunctionTask?> WaitAsync(TimeSpan timeout, CancellationToken ct) => WaitAsync(timeout, readFirst: false, ct);

        internal async Task<FunctionTask?> WaitAsync(TimeSpan timeout, bool readFirst, CancellationToken ct)
        {
            var deadline = DateTimeOffset.UtcNow + timeout;
            var read = readFirst;
            while (true)
            {
                if (read)
                {
                    var task = await _owner._store.GetAsync(_taskId, ct);
                    if (task is null || TaskStates.IsTerminal(task.State) || deadline - DateTimeOffset.UtcNow <= TimeSpan.Zero)
                    {
                        return task;
                    }
                }
                read = true;
                var left = deadline - DateTimeOffset.UtcNow;
                // Re-read at least every few seconds: cheap insurance against a notification lost with a dropped connection.
                var slice = left < TimeSpan.Zero ? TimeSpan.Zero : left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5);
                await ((Task)_signal.Task).WaitAsync(slice, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                ct.ThrowIfCancellationRequested();
                if (_signal.Task.IsCompletedSuccessfully && _signal.Task.Result is { } ended)
                {
                    return ended;
                }
                // Registered again before the next read, so an end committed between the read and the wait still wakes it.
                _owner.Unregister(_taskId, _signal);
                _signal = _owner.Register(_taskId);
            }
        }

        public void Dispose() => _owner.Unregister(_taskId, _signal);
    }
}
