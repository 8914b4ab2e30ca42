using System.Collections.Concurrent;

namespace Nango.Runner.Execution;

/// <summary>
/// Warm engines, per limits. A task rents one, and gives it back only when its run ended normally (a result or
/// a JavaScript error) and left the built-in objects as they were; an engine that hit a limit, was aborted or timed out
/// may hold half-run code and is dropped.
/// </summary>
internal sealed class EnginePool(RunnerSettings settings)
{
    private readonly ConcurrentDictionary<EngineLimits, ConcurrentBag<ScriptEngine>> _idle = new();
    private readonly ConcurrentDictionary<EngineLimits, Task> _warming = new();

    /// <summary>
    /// An idle engine for these limits, else a new one; when one is being warmed, waits for it: on a fresh
    /// process the first task arrives while the warm-up loads zod, and building a second engine beside it would
    /// only split the same cores between two cold loads.
    /// </summary>
    public async ValueTask<ScriptEngine> RentAsync(EngineLimits limits, CancellationToken ct)
    {
        if (TryTakeIdle(limits) is { } idle)
        {
            return idle;
        }
        if (_warming.TryGetValue(limits, out var warming) && !warming.IsCompleted)
        {
            await warming.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ct.ThrowIfCancellationRequested();
            if (TryTakeIdle(limits) is { } warmed)
            {
                return warmed;
            }
        }
        return ScriptEngine.Create(limits);
    }

    private ScriptEngine? TryTakeIdle(EngineLimits limits) =>
        _idle.TryGetValue(limits, out var bag) && bag.TryTake(out var engine) ? engine : null;

    public void Return(ScriptEngine engine)
    {
        var bag = _idle.GetOrAdd(engine.Limits, _ => []);
        // A run that changed a built-in (Array.prototype.x = …) would leave it to the next task: such an engine goes.
        if (bag.Count >= settings.WarmEngines || !engine.BuiltInsUnchanged)
        {
            engine.Dispose();
            return;
        }
        engine.Reset();
        bag.Add(engine);
    }

    /// <summary>Builds engines ahead of the first task so that it does not pay for loading zod.</summary>
    public void Warm(EngineLimits limits, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Return(ScriptEngine.Create(limits));
        }
    }

    /// <summary>Builds one engine on the thread pool; <see cref="RentAsync"/> waits for it rather than building another.</summary>
    public Task WarmInBackground(EngineLimits limits)
    {
        var warming = Task.Run(() => Warm(limits, 1));
        _warming[limits] = warming;
        return warming;
    }
}
