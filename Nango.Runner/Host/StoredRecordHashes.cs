namespace Nango.Runner.Host;

/// <summary>
/// What this runner knows the records store holds, learnt from the store's own answers to its saves: per model of a
/// connection (a scope), the model's generation and, for the records saved or found unchanged at it, the XxHash128 of each
/// record's JSON text by its id. A chunk whose every record has the hash known for its id can then be claimed unchanged
/// at that generation (<see cref="TryClaim"/>): Nango.Web checks the generation is still the model's and counts the
/// chunk without looking up a record. Nothing here is trusted beyond that check: a wrong or stale entry costs the lookup
/// the claim would have saved, never a record.
/// <para>
/// Ids are kept as their XxHash64: two ids with one hash share an entry, and the later record's hash then fails the
/// claim of the earlier one (a record's hash covers its id, so equal hashes mean equal records). Shared by the tasks of
/// the process, at most <c>capacity</c> records across models; the least recently used models go first.
/// </para>
/// </summary>
internal sealed class StoredRecordHashes(int capacity = StoredRecordHashes.DefaultCapacity)
{
    /// <summary>About 36 bytes a record: some 18 MB when full.</summary>
    public const int DefaultCapacity = 500_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Model> _models = new(StringComparer.Ordinal);
    private long _count;
    private long _clock;

    /// <summary>The generation at which every one of <paramref name="records"/> is known stored with its hash, if there is one.</summary>
    public bool TryClaim(string scope, ReadOnlySpan<StoredRecord> records, out long generation)
    {
        generation = 0;
        lock (_gate)
        {
            if (!_models.TryGetValue(scope, out var model))
            {
                return false;
            }
            model.LastUsed = ++_clock;
            foreach (var record in records)
            {
                if (!model.Hashes.TryGetValue(record.Id, out var hash) || hash != record.Hash)
                {
                    return false;
                }
            }
            generation = model.Generation;
            return true;
        }
    }

    /// <summary>
    /// What an answer of the store said: <paramref name="records"/> are stored as sent at generation
    /// <paramref name="after"/>, reached from <paramref name="before"/> by that call alone. What was known at
    /// <paramref name="before"/> is still true at <paramref name="after"/> for the other records; what was known at any
    /// other generation is not, and is dropped.
    /// </summary>
    public void Stored(string scope, long? before, long after, ReadOnlySpan<StoredRecord> records)
    {
        lock (_gate)
        {
            if (!_models.TryGetValue(scope, out var model) || model.Generation != before)
            {
                if (model is not null)
                {
                    _count -= model.Hashes.Count;
                }
                _models[scope] = model = new Model();
            }
            model.Generation = after;
            model.LastUsed = ++_clock;
            var known = model.Hashes.Count;
            foreach (var record in records)
            {
                model.Hashes[record.Id] = record.Hash;
            }
            _count += model.Hashes.Count - known;
            if (model.Hashes.Count > capacity)
            {
                // A model larger than the whole cache is not kept: its saves are looked up as without one.
                Remove(scope);
                return;
            }
            while (_count > capacity)
            {
                Remove(_models.Where(m => m.Key != scope).MinBy(m => m.Value.LastUsed).Key);
            }
        }
    }

    /// <summary>Drops what is known of a model: a write whose outcome is not known record by record (an update, a delete).</summary>
    public void Forget(string scope)
    {
        lock (_gate)
        {
            Remove(scope);
        }
    }

    private void Remove(string scope)
    {
        if (_models.Remove(scope, out var model))
        {
            _count -= model.Hashes.Count;
        }
    }

    private sealed class Model
    {
        public long Generation;
        public long LastUsed;
        public readonly Dictionary<ulong, UInt128> Hashes = [];
    }
}

/// <summary>A record as <see cref="StoredRecordHashes"/> knows it: the XxHash64 of its id's text and the XxHash128 of its JSON text.</summary>
internal readonly record struct StoredRecord(ulong Id, UInt128 Hash);
