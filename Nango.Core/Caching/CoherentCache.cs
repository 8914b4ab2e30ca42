using System.Collections.Concurrent;

namespace Nango.Core.Caching;

/// <summary>
/// A short-lived cache of database reads that <see cref="ChangeSignals"/> keeps coherent: entries are dropped by the
/// owner's eviction rules when a change is signalled, live at most <c>ttl</c> as a safety net, and are neither served
/// nor stored while the change listener is down. A zero <c>ttl</c> turns the cache off.
/// </summary>
public sealed class CoherentCache<TKey, TValue> where TKey : notnull
{
    /// <summary>Beyond this many live entries new ones are not stored: the cache bounds memory, not correctness.</summary>
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<TKey, Entry> _entries;
    private readonly ChangeSignals _signals;
    private readonly TimeProvider _clock;
    private readonly long _ttlTicks;
    private long _nextSweep;

    public CoherentCache(ChangeSignals signals, TimeProvider clock, TimeSpan ttl, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(signals);
        ArgumentNullException.ThrowIfNull(clock);
        _signals = signals;
        _clock = clock;
        _entries = new ConcurrentDictionary<TKey, Entry>(comparer);
        _ttlTicks = ttl <= TimeSpan.Zero ? 0 : (long)(ttl.TotalSeconds * clock.TimestampFrequency);
    }

    public bool Enabled => _ttlTicks > 0;

    public int Count => _entries.Count;

    /// <summary>Take this before reading the database; pass it to <see cref="Store"/>.</summary>
    public long Generation => _signals.Generation;

    public bool TryGet(TKey key, out TValue value)
    {
        if (_ttlTicks > 0 && _signals.IsCoherent && _entries.TryGetValue(key, out var entry) && _clock.GetTimestamp() < entry.ExpiresAt)
        {
            value = entry.Value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>
    /// Stores what a load read, unless a change was signalled since <paramref name="generation"/> (the load may have read
    /// the row before that change committed). <paramref name="merge"/> may combine the value with the live entry it
    /// replaces; the entry then keeps its original expiry, so nothing outlives the ttl of its first load.
    /// </summary>
    public void Store(TKey key, TValue value, long generation, Func<TValue, TValue, TValue>? merge = null)
    {
        if (_ttlTicks == 0 || !_signals.IsCoherent || _signals.Generation != generation)
        {
            return;
        }
        var now = _clock.GetTimestamp();
        if (now >= Volatile.Read(ref _nextSweep) || _entries.Count >= MaxEntries)
        {
            Sweep(now);
            if (_entries.Count >= MaxEntries)
            {
                return;
            }
        }
        var entry = merge is not null && _entries.TryGetValue(key, out var live) && now < live.ExpiresAt
            ? new Entry(merge(live.Value, value), live.ExpiresAt)
            : new Entry(value, now + _ttlTicks);
        _entries[key] = entry;
        // A change signalled between the check above and the write: its eviction may have run before the write.
        if (_signals.Generation != generation)
        {
            _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
        }
    }

    public void Remove(TKey key) => _entries.TryRemove(key, out _);

    public void RemoveWhere(Func<TKey, TValue, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        foreach (var (key, entry) in _entries)
        {
            if (predicate(key, entry.Value))
            {
                _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            }
        }
    }

    public void Clear() => _entries.Clear();

    /// <summary>
    /// The cache's eviction rule, subscribed to its signals: a signal of <see cref="ChangeScope.All"/> empties it
    /// (anything may have changed), a signal of one of <paramref name="scopes"/> removes the entries
    /// <paramref name="affected"/> picks, and other scopes leave it alone.
    /// </summary>
    public CoherentCache<TKey, TValue> EvictOn(Func<ChangeSignal, TKey, TValue, bool> affected, params ChangeScope[] scopes)
    {
        ArgumentNullException.ThrowIfNull(affected);
        _signals.Changed += signal =>
        {
            if (signal.Scope == ChangeScope.All)
            {
                Clear();
            }
            else if (scopes.Contains(signal.Scope))
            {
                RemoveWhere((key, value) => affected(signal, key, value));
            }
        };
        return this;
    }

    private void Sweep(long now)
    {
        Volatile.Write(ref _nextSweep, now + _ttlTicks);
        foreach (var (key, entry) in _entries)
        {
            if (now >= entry.ExpiresAt)
            {
                _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            }
        }
    }

    /// <summary>A class, not a record: removal compares entries by reference, never by their values.</summary>
    private sealed class Entry(TValue value, long expiresAt)
    {
        public TValue Value { get; } = value;

        public long ExpiresAt { get; } = expiresAt;
    }
}
