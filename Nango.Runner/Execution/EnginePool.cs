using System.Collections.Concurrent;

namespace Nango.Runner.Execution;

/// <summary>
/// Warm engines, per limits. A task rents one, and gives it back only when its run ended normally (a result or
/// a JavaScript error); an engine that hit a limit, was aborted or timed out may hold half-run code and is dropped.
/// </summary>
internal sealed class EnginePool(RunnerSettings settings)
{
    private readonly ConcurrentDictionary<EngineLimits, ConcurrentBag<ScriptEngine>> _idle = new();

    public ScriptEngine Rent(EngineLimits limits)
    {
        if (_idle.TryGetValue(limits, out var bag) && bag.TryTake(out var engine))
        {
            return engine;
        }
        return ScriptEngine.Create(limits);
    }

    public void Return(ScriptEngine engine)
    {
        var bag = _idle.GetOrAdd(engine.Limits, _ => []);
        if (bag.Count >= settings.WarmEngines)
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
}
