namespace Nango.Core.Caching;

public enum ChangeScope
{
    /// <summary>Anything may have changed (listening started or stopped): drop everything.</summary>
    All,

    /// <summary>An environment's row (its secret key, settings) changed or the environment is gone.</summary>
    Environment,

    /// <summary>An integration of the environment changed or was added or deleted.</summary>
    Integration,

    /// <summary>One connection of the environment (by its external id) changed or was added or deleted.</summary>
    Connection,

    /// <summary>A deployed function of the environment changed: a deploy, an enable or disable, a removal.</summary>
    Function,
}

public readonly record struct ChangeSignal(ChangeScope Scope, int EnvironmentId, string? ConnectionId)
{
    public static ChangeSignal All => new(ChangeScope.All, 0, null);

    /// <summary>The trigger payloads of the <c>nango_cache</c> channel: <c>e:&lt;env&gt;</c>, <c>i:&lt;env&gt;</c>, <c>c:&lt;env&gt;:&lt;connection id&gt;</c>, <c>f:&lt;env&gt;</c>.</summary>
    public static ChangeSignal Parse(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var parts = payload.Split(':', 3);
        if (parts.Length >= 2 && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var env))
        {
            switch (parts[0])
            {
                case "e":
                    return new(ChangeScope.Environment, env, null);
                case "i":
                    return new(ChangeScope.Integration, env, null);
                case "f":
                    return new(ChangeScope.Function, env, null);
                case "c" when parts.Length == 3:
                    return new(ChangeScope.Connection, env, parts[2]);
                default:
                    break;
            }
        }
        // Unknown shape (a newer instance's format): dropping everything is always safe.
        return All;
    }
}

/// <summary>
/// Keeps this instance's caches of database rows coherent with every instance's writes. Database triggers send
/// <c>NOTIFY nango_cache</c> at commit for changes to environments, integrations, connections and deployed functions; <see cref="ChangeListener"/>
/// hands them to <see cref="Publish"/>, and this instance's own EF writes are published at once after they are saved
/// (<see cref="ChangeSignalInterceptor"/>), so a change made here is visible here before the HTTP answer that made it.
/// </summary>
/// <remarks>
/// A cache serves entries only while <see cref="IsCoherent"/> (the listener is connected): a notification sent while
/// nobody listened is lost, so then every read goes to the database. A load stores its result only if
/// <see cref="Generation"/> did not move while it ran (see <see cref="CoherentCache{TKey, TValue}"/>), so a change
/// that lands during a load can never be overwritten by the stale row that load read.
/// </remarks>
public sealed class ChangeSignals
{
    private long _generation;
    private volatile bool _listening;

    public event Action<ChangeSignal>? Changed;

    public long Generation => Volatile.Read(ref _generation);

    public bool IsCoherent => _listening;

    public void Publish(ChangeSignal signal)
    {
        // Bump before evicting: a load that finishes after the eviction sees the new generation and drops its result.
        Interlocked.Increment(ref _generation);
        Changed?.Invoke(signal);
    }

    /// <summary>Listening (re)started or stopped: whatever happened in between went unheard, so everything is dropped.</summary>
    public void SetListening(bool listening)
    {
        _listening = listening;
        Publish(ChangeSignal.All);
    }
}
