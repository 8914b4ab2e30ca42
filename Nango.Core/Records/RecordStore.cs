using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Nango.Core.Common;
using Npgsql;
using NpgsqlTypes;

namespace Nango.Core.Records;

/// <summary>
/// The records syncs produce (reference §4.3), in the hash-partitioned <c>records</c> table. Every write of a
/// (connection, model) runs in one transaction under a transaction-scoped advisory lock for that pair: batches are
/// binary-COPied into a session temp table and applied with one upsert, and their timestamps come from the database
/// clock taken under the lock, so <c>updated_at</c> only grows within a model and a reader paging by cursor
/// never skips a record committed after it passed.
/// </summary>
public sealed class RecordStore : IDisposable
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 10_000;
    public const int MaxExternalIdLength = 255;

    /// <summary>Payloads of a page are read into blocks of this size (below the large object heap's threshold).</summary>
    private const int PayloadBlockBytes = 64 * 1024;

    /// <summary>
    /// The session's staging table for records that are rewritten, made by the first write that rewrites any. Only such
    /// a write names it: a temp table with ON COMMIT DELETE ROWS is emptied at the commit of every transaction that
    /// touched the session's temp tables, so a first run's or a claim's transactions leave it alone.
    /// </summary>
    private const string StagingTable = """
        CREATE TEMP TABLE IF NOT EXISTS records_staging (
            id uuid NOT NULL,
            external_id text NOT NULL,
            payload bytea NOT NULL,
            data_hash bytea NOT NULL,
            size_bytes integer NOT NULL
        ) ON COMMIT DELETE ROWS
        """;

    /// <summary>
    /// The predicate of the cursor index <c>ix_records_cursor</c> (migration RecordsCursorIndexForChangeStream): always
    /// true, so the index holds every record, but a query can use the index only when it states the predicate. The
    /// change-stream reads (pages, prune) state it; lookups by id do not, so they always take the primary key.
    /// </summary>
    private const string ChangeStreamOnly = "size_bytes >= 0";

    /// <summary>The key of a model's advisory lock, the connection in the high half and the model's hash in the low half,
    /// for the model named by the SQL expression <paramref name="model"/>.</summary>
    private static string ModelLockKey(string model) => $"(@connection::bigint << 32) | (hashtext({model})::bigint & 4294967295)";

    private static readonly string LockModel = $"SELECT pg_advisory_xact_lock({ModelLockKey("@model")}), clock_timestamp()";

    /// <summary>The model's generation (migration RecordGenerations), read under the model's lock.</summary>
    private const string ReadGeneration = "SELECT generation FROM record_generations WHERE connection_id = @connection AND model = @model";

    /// <summary>
    /// Gives the model a new generation. Every write that changed what the model's records hold runs it, last in its
    /// transaction and under the model's lock, so a generation read under the lock always names one state of the records.
    /// </summary>
    private const string NextGeneration = """
        INSERT INTO record_generations (connection_id, model, generation) VALUES (@connection, @model, nextval('record_generation_seq'))
        ON CONFLICT (connection_id, model) DO UPDATE SET generation = excluded.generation
        RETURNING generation
        """;

    /// <summary>The sightings of a claim (<see cref="SaveUnchangedAsync"/>): its records are marked seen when deletes are tracked.</summary>
    private const string MarkSeen = """
        UPDATE records SET seen_at = @seen_at
        WHERE connection_id = @connection AND model = @model AND external_id = ANY(@external_ids)
        """;

    /// <summary>The deletion-tracking mark of a sync run's (connection, sync, model), read under the model's lock.</summary>
    private const string DeleteMark = "SELECT since FROM sync_delete_marks WHERE connection_id = @connection AND sync_name = @sync_name AND model = @model";

    private const string CopyStaging = "COPY records_staging (id, external_id, payload, data_hash, size_bytes) FROM STDIN (FORMAT BINARY)";

    private const string AllNewSavepoint = "all_new";

    /// <summary>New records go straight into the table: the model's lock guarantees no row with their ids appears meanwhile.</summary>
    private const string CopyNew = """
        COPY records (id, environment_id, connection_id, model, external_id, payload, data_hash, size_bytes, created_at, updated_at, seen_at, sync_name)
        FROM STDIN (FORMAT BINARY)
        """;

    /// <summary>
    /// A stored record must be written when it is deleted, pruned or its payload changed, unless the merging strategy
    /// keeps a record modified after the run's cut-off.
    /// </summary>
    private const string MustWrite = """
        (r.deleted_at IS NOT NULL OR r.pruned_at IS NOT NULL OR r.data_hash IS DISTINCT FROM s.data_hash)
        AND (@ignore_after::timestamptz IS NULL OR r.updated_at <= @ignore_after::timestamptz)
        """;

    /// <summary>
    /// Adds a write's counts (CTE <c>counts</c>: added, updated, deleted, unchanged) to its sync run's per-model counts,
    /// inside the write's statement; a no-op without a run (<c>@run_task</c> null). Concurrent chunks of one run
    /// serialise on the run's row, so none is lost.
    /// </summary>
    private const string RunProgress = """
        progress AS (
            UPDATE sync_runs SET last_progress_at = now(), models = jsonb_set(models, ARRAY[@run_model::text], jsonb_build_object(
                'added', coalesce((models -> @run_model::text ->> 'added')::int, 0) + counts.added,
                'updated', coalesce((models -> @run_model::text ->> 'updated')::int, 0) + counts.updated,
                'deleted', coalesce((models -> @run_model::text ->> 'deleted')::int, 0) + counts.deleted,
                'unchanged', coalesce((models -> @run_model::text ->> 'unchanged')::int, 0) + counts.unchanged))
            FROM counts
            WHERE task_id = @run_task::uuid
        )
        """;

    /// <summary>Counts given as parameters, added to a run's by <see cref="RunProgress"/>.</summary>
    private const string AddCounts = $$"""
        WITH counts AS (SELECT @added::int AS added, @updated::int AS updated, @deleted::int AS deleted, @unchanged::int AS unchanged),
        {{RunProgress}}
        SELECT 1
        """;

    /// <summary>
    /// Classifies a batch by its keys alone (external ids as one array, their payload hashes as one bytea of 16 bytes
    /// each, in the batch's order: two parameters, no staging table to fill and empty) against
    /// the stored records, marks the unchanged ones seen when deletes are tracked, adds the counts to the run, and
    /// returns the counts with the records that must be written (a row of counts and nulls when none must) and how:
    /// a new one is copied straight into the table, an existing one (changed, deleted, pruned) goes through
    /// <see cref="Rewrite"/>. Payloads travel to Postgres only for
    /// what is written: an unchanged re-run sends keys and nothing else, and a first run is one COPY into the table.
    /// With <c>@keys_only</c> (<see cref="SaveUnchangedAsync"/>) only the unchanged records are counted: the others are
    /// counted by the save of their payloads that follows.
    /// <para>
    /// The lookup is one primary-key probe per staged record, whatever the partition's statistics say: a LATERAL
    /// subquery with LIMIT 1 cannot become a hash join (which hashed the whole model for every batch once the
    /// partition was analysed), and the cursor index, which the planner took instead of the primary key while a
    /// partition not analysed since the model's records arrived estimated one row per (connection, model), is a
    /// partial index this lookup cannot use (<see cref="ChangeStreamOnly"/>). With it, a 100,000-record first run
    /// spent 380 ms to 5 s per batch of 1,000 scanning all of the model's records once per staged record.
    /// </para>
    /// </summary>
    private static readonly string Classify = $$"""
        WITH classified AS MATERIALIZED (
            SELECT s.n, s.external_id,
                   r.external_id IS NULL AS is_new,
                   r.deleted_at IS NOT NULL AS was_deleted,
                   r.data_hash IS DISTINCT FROM s.data_hash AS hash_changed,
                   r.external_id IS NULL OR ({{MustWrite}}) AS must_write,
                   coalesce(r.hash_is_md5 AND r.deleted_at IS NULL, false) AS legacy,
                   r.data_hash AS stored_hash
            FROM (SELECT (k.position - 1)::int AS n, k.external_id,
                         substring(@hashes::bytea FROM ((k.position - 1) * 16 + 1)::int FOR 16) AS data_hash
                  FROM unnest(@external_ids::text[]) WITH ORDINALITY AS k(external_id, position)) s
            LEFT JOIN LATERAL (
                SELECT x.external_id, x.deleted_at, x.pruned_at, x.data_hash, x.hash_is_md5, x.updated_at
                FROM records x
                WHERE x.connection_id = @connection AND x.model = @model AND x.external_id = s.external_id
                LIMIT 1
            ) r ON true
        ),
        seen AS (
            UPDATE records r SET seen_at = @seen_at
            FROM classified c
            WHERE @seen_at::timestamptz IS NOT NULL AND NOT c.must_write
              AND r.connection_id = @connection AND r.model = @model AND r.external_id = c.external_id
        ),
        counts AS (
            SELECT CASE WHEN @keys_only THEN 0 ELSE added END AS added,
                   CASE WHEN @keys_only THEN 0 ELSE updated END AS updated,
                   0 AS deleted,
                   CASE WHEN @keys_only THEN staged - must ELSE staged - added - updated - legacy END AS unchanged
            FROM (SELECT count(*) FILTER (WHERE must_write AND (is_new OR was_deleted))::int AS added,
                         count(*) FILTER (WHERE must_write AND NOT is_new AND NOT was_deleted AND hash_changed AND NOT legacy)::int AS updated,
                         count(*) FILTER (WHERE must_write AND legacy)::int AS legacy,
                         count(*) FILTER (WHERE must_write)::int AS must,
                         count(*)::int AS staged
                  FROM classified) c
        ),
        {{RunProgress}}
        SELECT counts.added, counts.updated, c.n, c.is_new, counts.unchanged, CASE WHEN c.legacy THEN c.stored_hash END
        FROM counts LEFT JOIN classified c ON c.must_write
        """;

    /// <summary>
    /// Writes the staged records that already have a row (found by <see cref="Classify"/> under the same lock):
    /// payload, hash and size replaced, a deleted one revived (created again), a pruned one restored.
    /// </summary>
    private const string Rewrite = """
        INSERT INTO records AS r (id, environment_id, connection_id, model, external_id, payload, data_hash, size_bytes,
                                  created_at, updated_at, seen_at, sync_name)
        SELECT id, @environment, @connection, @model, external_id, payload, data_hash, size_bytes, @now, @now, @seen_at, @sync_name
        FROM records_staging
        ON CONFLICT (connection_id, model, external_id) DO UPDATE SET
            payload = excluded.payload,
            data_hash = excluded.data_hash,
            size_bytes = excluded.size_bytes,
            created_at = CASE WHEN r.deleted_at IS NOT NULL THEN excluded.created_at ELSE r.created_at END,
            updated_at = CASE WHEN r.deleted_at IS NOT NULL OR r.data_hash IS DISTINCT FROM excluded.data_hash
                              THEN excluded.updated_at ELSE r.updated_at END,
            hash_is_md5 = false,
            deleted_at = NULL,
            pruned_at = NULL,
            seen_at = COALESCE(excluded.seen_at, r.seen_at),
            sync_name = COALESCE(excluded.sync_name, r.sync_name)
        """;

    /// <summary>
    /// Gives records stored under an MD5 (before <c>RecordsHashXxHash128</c>) that a save found unchanged their hash of
    /// today, and marks them seen, as <see cref="Classify"/> marks unchanged records: their payload stays, and so does
    /// their place in the change stream.
    /// </summary>
    private const string Relabel = """
        UPDATE records r SET data_hash = k.data_hash, hash_is_md5 = false,
                             seen_at = COALESCE(@seen_at, r.seen_at), sync_name = COALESCE(@sync_name, r.sync_name)
        FROM unnest(@external_ids::text[], @hashes::bytea[]) AS k(external_id, data_hash)
        WHERE r.connection_id = @connection AND r.model = @model AND r.external_id = k.external_id
        """;

    /// <summary>The live (not deleted) records of a model among some external ids: read back by id, and merged by batchUpdate.</summary>
    private const string SelectLiveByIds = """
        SELECT external_id, payload FROM records
        WHERE connection_id = @connection AND model = @model AND external_id = ANY(@ids) AND deleted_at IS NULL
        """;

    private const string SoftDelete = $$"""
        WITH deleted AS (
            UPDATE records SET deleted_at = @now, updated_at = @now,
                               seen_at = COALESCE(@seen_at, seen_at), sync_name = COALESCE(@sync_name, sync_name)
            WHERE connection_id = @connection AND model = @model AND external_id = ANY(@ids) AND deleted_at IS NULL
            RETURNING 1
        ),
        counts AS (SELECT 0 AS added, 0 AS updated, count(*)::int AS deleted, 0 AS unchanged FROM deleted),
        {{RunProgress}}
        SELECT deleted FROM counts
        """;

    private const string DeleteUnseen = """
        UPDATE records SET deleted_at = @now, updated_at = @now
        WHERE connection_id = @connection AND model = @model AND deleted_at IS NULL
          AND (seen_at IS NULL OR seen_at < @seen_since)
        RETURNING external_id
        """;

    private const string Prune = $$"""
        WITH target AS (
            SELECT external_id FROM records
            WHERE connection_id = @connection AND model = @model AND {{ChangeStreamOnly}}
              AND pruned_at IS NULL AND (updated_at, id) <= (@until_at, @until_id)
            ORDER BY updated_at, id
            LIMIT @limit
        )
        UPDATE records r SET payload = convert_to('{}', 'UTF8'), pruned_at = @now, size_bytes = 0
        FROM target
        WHERE r.connection_id = @connection AND r.model = @model AND r.external_id = target.external_id
        RETURNING r.updated_at, r.id
        """;

    /// <summary>
    /// The connection's models that have records, each with its generation (null for a model written before generations
    /// existed): one probe of the primary key per model (a loose index scan), however many records there are.
    /// </summary>
    private const string ModelGenerations = """
        WITH RECURSIVE models AS (
            SELECT min(model) AS model FROM records WHERE connection_id = @connection
            UNION ALL
            SELECT (SELECT min(r.model) FROM records r WHERE r.connection_id = @connection AND r.model > models.model)
            FROM models WHERE models.model IS NOT NULL
        )
        SELECT m.model, g.generation FROM models m
        LEFT JOIN record_generations g ON g.connection_id = @connection AND g.model = m.model
        WHERE m.model IS NOT NULL
        """;

    /// <summary>
    /// Live records of these models, each with the generation the count belongs to: one statement, so one snapshot sees
    /// both (a count and a generation read apart could straddle a write).
    /// </summary>
    private const string CountByModel = """
        WITH live AS (
            SELECT model, count(*) AS n FROM records
            WHERE connection_id = @connection AND model = ANY(@models) AND deleted_at IS NULL GROUP BY model)
        SELECT m.model, g.generation, coalesce(live.n, 0) FROM unnest(@models) AS m(model)
        LEFT JOIN live ON live.model = m.model
        LEFT JOIN record_generations g ON g.connection_id = @connection AND g.model = m.model
        """;

    /// <summary>Bounds <see cref="_liveCounts"/>: past this many models it starts over.</summary>
    private const int MaxCachedCounts = 100_000;

    /// <summary>The models the syncs deployed to the connection's integration return, records or not.</summary>
    private const string DeclaredModels = """
        SELECT DISTINCT jsonb_array_elements_text(v.models) FROM connections c
        JOIN functions f ON f.integration_id = c.integration_id AND f.type = 'sync' AND f.deleted_at IS NULL
        JOIN function_versions v ON v.function_id = f.id AND v.revision = f.current_revision
        WHERE c.id = @connection AND jsonb_typeof(v.models) = 'array'
        """;

    /// <summary>A model is known to a connection when it has records, or a sync deployed to its integration returns it.</summary>
    private const string KnownModel = """
        SELECT EXISTS (SELECT 1 FROM records WHERE connection_id = @connection AND model = @model)
            OR EXISTS (SELECT 1 FROM connections c
                       JOIN functions f ON f.integration_id = c.integration_id AND f.type = 'sync' AND f.deleted_at IS NULL
                       JOIN function_versions v ON v.function_id = f.id AND v.revision = f.current_revision
                       WHERE c.id = @connection AND v.models ? @base_model)
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly RecordsOptions _options;

    /// <summary>
    /// The models whose last save here found every record of its batch new (a first run, an initial sync): their next
    /// save copies its batch straight into the table without classifying it first (<see cref="TryCopyAllNewAsync"/>).
    /// A lossy hint, one slot per hash of (connection, model): a wrong one costs a COPY rolled back to a savepoint,
    /// never a wrong write, and another instance's writes only make it wrong.
    /// </summary>
    private readonly long[] _allNewHints = new long[4096];

    /// <summary>
    /// Live records per (connection, model), with the model's generation they were counted at. Every write that changes
    /// what a model's records hold replaces its generation, and generations are never reused, so a count is served only
    /// while its generation is still the model's: a status poll of an idle connection costs a probe per model, not a scan
    /// of its records (counting 100,000 records took about 70 ms warm in psql, 230 ms through GET /sync/status). A count
    /// is stored with the generation read in the same statement (<see cref="CountByModel"/>), and a save made through
    /// this store carries it to the save's generation (<see cref="CarryLiveCount"/>).
    /// </summary>
    private readonly ConcurrentDictionary<(int Connection, string Model), (long Generation, long Count)> _liveCounts = new();

    /// <summary>
    /// The store keeps its own pool: its connections are not reset when returned (<c>No Reset On Close</c>), so the
    /// session's staging table and prepared statements survive from one batch to the next. Nothing else of the
    /// session changes: the staging table empties itself at every commit and every lock is transaction-scoped. Its
    /// write buffer is 64 KB rather than 8 KB: a chunk's COPY is about a megabyte, sent in an eighth of the system calls.
    /// </summary>
    public RecordStore(string connectionString, RecordsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            NoResetOnClose = true,
            MaxAutoPrepare = 32,
            AutoPrepareMinUsages = 2,
            WriteBufferSize = 64 * 1024,
        };
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        _options = options;
    }

    public void Dispose() => _dataSource.Dispose();

    public async Task<RecordWriteResult> SaveAsync(
        int environmentId, int connectionId, string model, IReadOnlyList<JsonElement> records, RecordWriteOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(options);
        if (records.Count == 0)
        {
            return await NothingWrittenAsync(options.Run, ct);
        }
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var hint = AllNewHintKey(connectionId, model);
        var likelyAllNew = Volatile.Read(ref _allNewHints[HintSlot(hint)]) == hint;
        // The lock's round trip and the batch's validation and hashing overlap: the lock is sent, and this thread stages
        // the batch while Postgres answers (a first run's chunk: about a millisecond of each). A batch that fails
        // validation is refused before anything is written; its transaction, which locked only, is rolled back.
        var locking = LockAsync(connection, transaction, connectionId, model, options.Run, ct, savepoint: likelyAllNew);
        StagedBatch batch;
        try
        {
            batch = StagedBatch.Create(connectionId, model, records, _options.MaxRecordBytes);
        }
        catch
        {
            // The connection answers one command at a time: the lock's answer is read before the rollback.
            await ((Task)locking).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }
        using var staged = batch;
        var locked = await locking;
        var (result, allNew, wrote, renewed) = await UpsertAsync(connection, transaction, environmentId, connectionId, model, batch, WithMark(options, locked.Mark), locked.Now, likelyAllNew, ct);
        long? after = renewed ?? (wrote ? await NextGenerationAsync(connection, transaction, connectionId, model, ct) : locked.Generation);
        if (renewed is null)
        {
            // A batch copied as all new was committed with its generation (TryCopyAllNewAsync).
            await transaction.CommitAsync(ct);
        }
        Volatile.Write(ref _allNewHints[HintSlot(hint)], allNew ? hint : 0);
        if (after is not { } generation)
        {
            return result;
        }
        var generations = new RecordGeneration(locked.Generation, generation);
        CarryLiveCount(connectionId, model, generations, result.Added);
        return result with { Generation = generations };
    }

    /// <summary>
    /// The first half of a save sent by its keys (the runner's re-runs): each record's external id as sent, the XxHash128 of
    /// its JSON text as sent and that text's size. The records stored with that very hash (and not deleted or pruned, or
    /// kept by the merging strategy) are counted unchanged and marked seen, exactly as <see cref="SaveAsync"/> would; the
    /// answer is the positions of all the others, whose payloads the caller then saves with <see cref="SaveAsync"/>, which
    /// counts them. A key that is not a valid one (an empty or too long id, a hash not of 16 bytes, a size above the
    /// limit, an id twice) is answered as a position to send: the full save validates it and says what is wrong.
    /// <para>
    /// With <paramref name="claimedGeneration"/> the caller claims that every key is stored unchanged at that generation of
    /// the model (a runner that saw these very hashes stored there). When it is still the model's generation, nothing
    /// changed the model's records since, so the keys are counted unchanged (and marked seen) without looking each one
    /// up; otherwise the claim is ignored and the keys are looked up as without one.
    /// </para>
    /// </summary>
    public async Task<RecordKeysResult> SaveUnchangedAsync(
        int connectionId, string model, IReadOnlyList<RecordKey> keys, RecordWriteOptions options, CancellationToken ct,
        long? claimedGeneration = null)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        var externalIds = keys.Select(k => StripNul(k.Id)).ToArray();
        var occurrences = new Dictionary<string, int>(keys.Count, StringComparer.Ordinal);
        foreach (var externalId in externalIds)
        {
            occurrences[externalId] = occurrences.GetValueOrDefault(externalId) + 1;
        }
        var send = new List<int>();
        var lookup = new List<int>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            var id = externalIds[i];
            var valid = keys[i].Hash.Length == 16 && keys[i].Size <= _options.MaxRecordBytes && id.Length > 0 && !IsTooLongId(id);
            // An id given twice: which one wins is the full save's to decide.
            (valid && occurrences[id] == 1 ? lookup : send).Add(i);
        }
        if (lookup.Count == 0)
        {
            return new RecordKeysResult(RecordWriteResult.None, send);
        }
        var lookupIds = lookup.Select(i => externalIds[i]).ToArray();

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var locked = await LockAsync(connection, transaction, connectionId, model, options.Run, ct);
        if (claimedGeneration is not null && claimedGeneration == locked.Generation && send.Count == 0)
        {
            var claimed = await CountClaimAsync(connection, transaction, connectionId, model, lookupIds, WithMark(options, locked.Mark), ct);
            await transaction.CommitAsync(ct);
            return new RecordKeysResult(claimed, send, locked.Generation);
        }
        var lookupHashes = new byte[lookup.Count * 16];
        for (var n = 0; n < lookup.Count; n++)
        {
            keys[lookup[n]].Hash.CopyTo(lookupHashes.AsSpan(n * 16));
        }
        var (counts, created, rewritten, legacy) = await ClassifyAsync(connection, transaction, connectionId, model, lookupIds, lookupHashes, WithMark(options, locked.Mark), keysOnly: true, ct);
        await transaction.CommitAsync(ct);
        // A record stored under an MD5 cannot be compared by these keys: its payload settles it (UpsertAsync).
        send.AddRange(created.Concat(rewritten).Concat(legacy.Select(l => l.N)).Select(n => lookup[n]));
        send.Sort();
        return new RecordKeysResult(counts, send, locked.Generation);
    }

    /// <summary>A claim that held (<see cref="SaveUnchangedAsync"/>): every key unchanged, marked seen when deletes are tracked.</summary>
    private static async Task<RecordWriteResult> CountClaimAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int connectionId, string model, string[] externalIds,
        RecordWriteOptions options, CancellationToken ct)
    {
        var counts = new RecordWriteResult(0, 0, externalIds.Length, 0);
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (options.SeenAt is { } seenAt)
        {
            var seen = new NpgsqlBatchCommand(MarkSeen);
            seen.Parameters.AddWithValue("connection", connectionId);
            seen.Parameters.AddWithValue("model", model);
            seen.Parameters.AddWithValue("seen_at", seenAt);
            seen.Parameters.Add(new NpgsqlParameter("external_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = externalIds });
            batch.BatchCommands.Add(seen);
        }
        if (options.Run is not null)
        {
            var add = new NpgsqlBatchCommand(AddCounts);
            AddCountsParameters(add.Parameters, options.Run, counts);
            batch.BatchCommands.Add(add);
        }
        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(ct);
        }
        return counts;
    }

    private static long AllNewHintKey(int connectionId, string model) =>
        ((long)connectionId << 32) | (uint)StringComparer.Ordinal.GetHashCode(model) | 1;

    private int HintSlot(long key) => (int)((ulong)key * 0x9E3779B97F4A7C15UL >> 52) & (_allNewHints.Length - 1);

    public async Task<RecordWriteResult> UpdateAsync(
        int environmentId, int connectionId, string model, IReadOnlyList<JsonElement> partials, RecordWriteOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(partials);
        ArgumentNullException.ThrowIfNull(options);
        // Validated like a save; several partials of one record in a batch apply in order.
        var merged = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        for (var i = 0; i < partials.Count; i++)
        {
            var externalId = StagedBatch.ExternalIdOf(partials[i], i, _options.MaxRecordBytes);
            var partial = JsonObject.Create(partials[i])!;
            if (merged.TryGetValue(externalId, out var earlier))
            {
                RecordJson.DeepMerge(earlier, partial);
            }
            else
            {
                merged[externalId] = (JsonObject)partial.DeepClone();
            }
        }
        if (merged.Count == 0)
        {
            return await NothingWrittenAsync(options.Run, ct);
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var locked = await LockAsync(connection, transaction, connectionId, model, options.Run, ct);
        var updated = new List<JsonElement>(merged.Count);
        await using (var select = new NpgsqlCommand(SelectLiveByIds, connection, transaction))
        {
            select.Parameters.AddWithValue("connection", connectionId);
            select.Parameters.AddWithValue("model", model);
            select.Parameters.AddWithValue("ids", merged.Keys.ToArray());
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var stored = JsonNode.Parse(reader.GetFieldValue<byte[]>(1)) as JsonObject ?? [];
                RecordJson.DeepMerge(stored, merged[reader.GetString(0)]);
                updated.Add(JsonSerializer.SerializeToElement(stored));
            }
        }
        if (updated.Count == 0)
        {
            await transaction.CommitAsync(ct);
            return await NothingWrittenAsync(options.Run, ct);
        }
        using var batch = StagedBatch.Create(connectionId, model, updated, _options.MaxRecordBytes);
        // Every record merged here is stored already: none is new.
        var (result, _, wrote, _) = await UpsertAsync(connection, transaction, environmentId, connectionId, model, batch, WithMark(options, locked.Mark), locked.Now, likelyAllNew: false, ct);
        if (wrote)
        {
            await NextGenerationAsync(connection, transaction, connectionId, model, ct);
        }
        await transaction.CommitAsync(ct);
        return result;
    }

    public async Task<RecordWriteResult> DeleteAsync(
        int environmentId, int connectionId, string model, IReadOnlyList<JsonElement> records, RecordWriteOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(options);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            ids.Add(StagedBatch.ExternalIdOf(records[i], i, _options.MaxRecordBytes));
        }
        if (ids.Count == 0)
        {
            return await NothingWrittenAsync(options.Run, ct);
        }
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // A delete is not a sighting: the run's deletion-tracking mark plays no part in it.
        var now = (await LockAsync(connection, transaction, connectionId, model, run: null, ct)).Now;
        await using var command = new NpgsqlCommand(SoftDelete, connection, transaction);
        command.Parameters.AddWithValue("connection", connectionId);
        command.Parameters.AddWithValue("model", model);
        command.Parameters.AddWithValue("ids", ids.ToArray());
        command.Parameters.AddWithValue("now", now);
        command.Parameters.Add(new NpgsqlParameter("seen_at", NpgsqlDbType.TimestampTz) { Value = (object?)options.SeenAt ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("sync_name", NpgsqlDbType.Text) { Value = (object?)options.SyncName ?? DBNull.Value });
        AddRunParameters(command.Parameters, options.Run);
        var deleted = (int)(await command.ExecuteScalarAsync(ct))!;
        if (deleted > 0)
        {
            await NextGenerationAsync(connection, transaction, connectionId, model, ct);
        }
        await transaction.CommitAsync(ct);
        return new RecordWriteResult(0, 0, 0, deleted);
    }

    public async Task<IReadOnlyDictionary<string, JsonElement>> GetByIdsAsync(
        int connectionId, string model, IReadOnlyCollection<string> externalIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(externalIds);
        var found = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (externalIds.Count == 0)
        {
            return found;
        }
        await using var command = _dataSource.CreateCommand(SelectLiveByIds);
        command.Parameters.AddWithValue("connection", connectionId);
        command.Parameters.AddWithValue("model", model);
        command.Parameters.AddWithValue("ids", externalIds.Select(StripNul).ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var externalId = reader.GetString(0);
            using var document = JsonDocument.Parse(RecordPayload.WithId(externalId, reader.GetFieldValue<byte[]>(1)));
            found[externalId] = document.RootElement.Clone();
        }
        return found;
    }

    /// <summary>
    /// One page in <c>(updated_at, id)</c> order after the cursor (reference §1.7), soft-deleted records included. Fetches
    /// one record more than asked to know whether another page follows.
    /// </summary>
    public async Task<RecordPage> ListAsync(RecordQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, MaxPageSize);
        var sql = new StringBuilder("""
            SELECT id, external_id, payload, created_at, updated_at, deleted_at, pruned_at
            FROM records
            WHERE connection_id = @connection AND model = @model
            """ + " AND " + ChangeStreamOnly);
        await using var command = _dataSource.CreateCommand();
        command.Parameters.AddWithValue("connection", query.ConnectionId);
        command.Parameters.AddWithValue("model", query.Model);
        if (query.Cursor is not null)
        {
            if (!RecordCursor.TryDecode(query.Cursor, out var afterAt, out var afterId))
            {
                throw new ArgumentException("The cursor is not one this server issued.", nameof(query));
            }
            sql.Append(" AND (updated_at, id) > (@after_at, @after_id)");
            command.Parameters.AddWithValue("after_at", afterAt);
            command.Parameters.AddWithValue("after_id", afterId);
        }
        if (query.ExternalIds is { Count: > 0 } ids)
        {
            sql.Append(" AND external_id = ANY(@ids)");
            command.Parameters.AddWithValue("ids", ids.Select(StripNul).ToArray());
        }
        if (query.ModifiedAfter is { } modifiedAfter)
        {
            sql.Append(" AND updated_at >= @modified_after");
            command.Parameters.AddWithValue("modified_after", modifiedAfter);
        }
        sql.Append(FilterCondition(query.Filter));
        sql.Append(" ORDER BY updated_at, id LIMIT @limit");
        command.Parameters.AddWithValue("limit", limit + 1);
        command.CommandText = sql.ToString();

        var rows = new List<RecordRow>(Math.Min(limit + 1, 1024));
        // Payloads are copied into shared blocks rather than one array each; a row's memory stays valid when the
        // next block is started.
        var block = Array.Empty<byte>();
        var used = 0;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var length = (int)reader.GetBytes(2, 0, null, 0, 0);
                if (block.Length - used < length)
                {
                    block = new byte[Math.Max(length, PayloadBlockBytes)];
                    used = 0;
                }
                reader.GetBytes(2, 0, block, used, length);
                var payload = block.AsMemory(used, length);
                used += length;
                rows.Add(new RecordRow(
                    reader.GetGuid(0),
                    reader.GetString(1),
                    payload,
                    reader.GetFieldValue<DateTimeOffset>(3),
                    reader.GetFieldValue<DateTimeOffset>(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6)));
            }
        }
        if (rows.Count <= limit)
        {
            return new RecordPage(rows, null);
        }
        rows.RemoveAt(rows.Count - 1);
        return new RecordPage(rows, rows[^1].Cursor);
    }

    /// <summary>
    /// Nango's filter, quirks included (records.ts): a pair naming ADDED and UPDATED means "not deleted", and a pair
    /// with DELETED keeps only the other action's non-deleted records rather than OR-ing in the deleted ones.
    /// </summary>
    internal static string FilterCondition(RecordActions filter)
    {
        const string NotDeleted = " AND deleted_at IS NULL";
        var added = filter.HasFlag(RecordActions.Added);
        var updated = filter.HasFlag(RecordActions.Updated);
        var deleted = filter.HasFlag(RecordActions.Deleted);
        return (added, updated, deleted) switch
        {
            (true, true, _) => NotDeleted,
            (false, true, true) => NotDeleted + " AND created_at <> updated_at",
            (true, false, true) => NotDeleted + " AND created_at = updated_at",
            (true, false, false) => NotDeleted + " AND created_at = updated_at",
            (false, true, false) => NotDeleted + " AND created_at <> updated_at",
            (false, false, true) => " AND deleted_at IS NOT NULL",
            _ => "",
        };
    }

    /// <summary>
    /// The internal id of a live connection of the environment, or null: the records API's tenant check (a secret
    /// key of one environment never resolves another environment's connection).
    /// </summary>
    public async Task<int?> FindConnectionAsync(int environmentId, string providerConfigKey, string connectionId, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand("""
            SELECT c.id FROM connections c
            JOIN integrations i ON i.id = c.integration_id AND i.environment_id = c.environment_id
            WHERE c.environment_id = @environment AND i.unique_key = @key AND c.connection_id = @connection
              AND c.deleted_at IS NULL AND i.deleted_at IS NULL
            LIMIT 1
            """);
        command.Parameters.AddWithValue("environment", environmentId);
        command.Parameters.AddWithValue("key", providerConfigKey);
        command.Parameters.AddWithValue("connection", connectionId);
        return await command.ExecuteScalarAsync(ct) is int id ? id : null;
    }

    /// <summary>True when the model has records for the connection or a sync deployed to its integration returns it.</summary>
    public async Task<bool> IsKnownModelAsync(int connectionId, string model, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        await using var command = _dataSource.CreateCommand(KnownModel);
        command.Parameters.AddWithValue("connection", connectionId);
        command.Parameters.AddWithValue("model", model);
        var separator = model.IndexOf("::", StringComparison.Ordinal);
        command.Parameters.AddWithValue("base_model", separator < 0 ? model : model[..separator]);
        return await command.ExecuteScalarAsync(ct) is true;
    }

    public async Task<IReadOnlyList<string>> DeleteUnseenAsync(int connectionId, string model, DateTimeOffset seenSince, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = (await LockAsync(connection, transaction, connectionId, model, run: null, ct)).Now;
        var deleted = new List<string>();
        await using (var command = new NpgsqlCommand(DeleteUnseen, connection, transaction))
        {
            command.Parameters.AddWithValue("connection", connectionId);
            command.Parameters.AddWithValue("model", model);
            command.Parameters.AddWithValue("now", now);
            command.Parameters.AddWithValue("seen_since", seenSince);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                deleted.Add(reader.GetString(0));
            }
        }
        if (deleted.Count > 0)
        {
            await NextGenerationAsync(connection, transaction, connectionId, model, ct);
        }
        await transaction.CommitAsync(ct);
        return deleted;
    }

    /// <summary>
    /// Hard-deletes a connection's records, of every model or of <paramref name="models"/>, with their generations: under
    /// the lock of every model it deletes from (a model with records or a generation), so no save of one is under way.
    /// </summary>
    public async Task<int> DeleteAllAsync(int connectionId, IReadOnlyCollection<string>? models, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var inModels = models is null ? "" : " AND model = ANY(@models)";
        await using (var lockModels = new NpgsqlCommand($"""
            SELECT count(pg_advisory_xact_lock(key)) FROM (
                SELECT DISTINCT {ModelLockKey("model")} AS key
                FROM (SELECT DISTINCT model FROM records WHERE connection_id = @connection{inModels}
                      UNION SELECT model FROM record_generations WHERE connection_id = @connection{inModels}) m
                ORDER BY key) keys
            """, connection, transaction))
        {
            // In one order of keys, so two deletions of the same models cannot wait for each other.
            AddConnectionModels(lockModels.Parameters, connectionId, models);
            await lockModels.ExecuteScalarAsync(ct);
        }
        int deleted;
        await using (var delete = new NpgsqlCommand($"DELETE FROM records WHERE connection_id = @connection{inModels}", connection, transaction))
        {
            AddConnectionModels(delete.Parameters, connectionId, models);
            deleted = await delete.ExecuteNonQueryAsync(ct);
        }
        await using (var forget = new NpgsqlCommand($"DELETE FROM record_generations WHERE connection_id = @connection{inModels}", connection, transaction))
        {
            AddConnectionModels(forget.Parameters, connectionId, models);
            await forget.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        return deleted;
    }

    private static void AddConnectionModels(NpgsqlParameterCollection parameters, int connectionId, IReadOnlyCollection<string>? models)
    {
        parameters.AddWithValue("connection", connectionId);
        if (models is not null)
        {
            parameters.AddWithValue("models", models.ToArray());
        }
    }

    /// <summary>
    /// Empties the payloads of the model's records up to and including the cursor, oldest first, at most
    /// <paramref name="limit"/> (default 1,000); metadata stays and <c>pruned_at</c> is set. More may remain when the
    /// last record pruned is not the cursor's (Nango's optimistic <c>has_more</c>).
    /// </summary>
    public async Task<PruneResult> PruneAsync(int connectionId, string model, string untilCursor, int? limit, CancellationToken ct)
    {
        if (!RecordCursor.TryDecode(untilCursor, out var untilAt, out var untilId))
        {
            throw new ArgumentException("The cursor is not one this server issued.", nameof(untilCursor));
        }
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = (await LockAsync(connection, transaction, connectionId, model, run: null, ct)).Now;
        var count = 0;
        (DateTimeOffset At, Guid Id) last = default;
        await using (var command = new NpgsqlCommand(Prune, connection, transaction))
        {
            command.Parameters.AddWithValue("connection", connectionId);
            command.Parameters.AddWithValue("model", model);
            command.Parameters.AddWithValue("until_at", untilAt);
            command.Parameters.AddWithValue("until_id", untilId);
            command.Parameters.AddWithValue("limit", Math.Clamp(limit ?? 1000, 1, MaxPageSize));
            command.Parameters.AddWithValue("now", now);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                count++;
                var row = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetGuid(1));
                if (count == 1 || row.Item1 > last.At || (row.Item1 == last.At && CompareUuids(row.Item2, last.Id) > 0))
                {
                    last = row;
                }
            }
        }
        if (count > 0)
        {
            await NextGenerationAsync(connection, transaction, connectionId, model, ct);
        }
        await transaction.CommitAsync(ct);
        return new PruneResult(count, count > 0 && (last.At != untilAt || last.Id != untilId));
    }

    /// <summary>Live (not deleted) records per model of the connection; a model whose records are all deleted is left out.</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByModelAsync(int connectionId, CancellationToken ct)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var uncounted = new List<string>();
        await using (var command = _dataSource.CreateCommand(ModelGenerations))
        {
            command.Parameters.AddWithValue("connection", connectionId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var model = reader.GetString(0);
                long? generation = reader.IsDBNull(1) ? null : reader.GetInt64(1);
                if (generation is { } current && _liveCounts.TryGetValue((connectionId, model), out var cached) && cached.Generation == current)
                {
                    AddLive(counts, model, cached.Count);
                }
                else
                {
                    uncounted.Add(model);
                }
            }
        }
        if (uncounted.Count > 0)
        {
            if (_liveCounts.Count > MaxCachedCounts)
            {
                _liveCounts.Clear();
            }
            await using var command = _dataSource.CreateCommand(CountByModel);
            command.Parameters.AddWithValue("connection", connectionId);
            command.Parameters.AddWithValue("models", uncounted.ToArray());
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var model = reader.GetString(0);
                var live = reader.GetInt64(2);
                AddLive(counts, model, live);
                if (!reader.IsDBNull(1))
                {
                    _liveCounts[(connectionId, model)] = (reader.GetInt64(1), live);
                }
            }
        }
        return counts;
    }

    /// <summary>
    /// Carries a model's cached live count across a save made here: the save's generations were both read under the
    /// model's lock, so a count taken at the generation before it plus what the save added is the count at the one
    /// after it. A sync's run changes the generation with every chunk; without this, every status poll during a run
    /// counted the model in full. A count at any other generation is left alone (it is not served).
    /// </summary>
    private void CarryLiveCount(int connectionId, string model, RecordGeneration generation, int added)
    {
        var key = (connectionId, model);
        if (generation.Before is { } before && generation.After != before
            && _liveCounts.TryGetValue(key, out var cached) && cached.Generation == before)
        {
            _liveCounts.TryUpdate(key, (generation.After, cached.Count + added), cached);
        }
    }

    /// <summary>A model with no live record (all of them deleted) is left out of the counts.</summary>
    private static void AddLive(Dictionary<string, long> counts, string model, long live)
    {
        if (live > 0)
        {
            counts[model] = live;
        }
    }

    /// <summary>
    /// Live records per model, with every model a deployed sync declares for the connection's integration (0 when it
    /// has none yet), so a model that was never written to is still listed.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByModelWithDeclaredAsync(int connectionId, CancellationToken ct)
    {
        var counts = new Dictionary<string, long>(await CountByModelAsync(connectionId, ct), StringComparer.Ordinal);
        await using var command = _dataSource.CreateCommand(DeclaredModels);
        command.Parameters.AddWithValue("connection", connectionId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            counts.TryAdd(reader.GetString(0), 0);
        }
        return counts;
    }

    /// <summary>
    /// Empties payloads not updated since <paramref name="cutoff"/>, at most <paramref name="batchSize"/>; returns how
    /// many (retention). The records are found first, then pruned model by model, each under its model's lock and with
    /// the model's generation replaced, as every other write.
    /// </summary>
    public async Task<int> PruneNotUpdatedSinceAsync(DateTimeOffset cutoff, int batchSize, CancellationToken ct)
    {
        var targets = new Dictionary<(int Connection, string Model), List<string>>();
        await using (var find = _dataSource.CreateCommand(
            "SELECT connection_id, model, external_id FROM records WHERE pruned_at IS NULL AND updated_at < @cutoff LIMIT @batch"))
        {
            find.Parameters.AddWithValue("cutoff", cutoff);
            find.Parameters.AddWithValue("batch", batchSize);
            await using var reader = await find.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var key = (reader.GetInt32(0), reader.GetString(1));
                if (!targets.TryGetValue(key, out var ids))
                {
                    targets[key] = ids = [];
                }
                ids.Add(reader.GetString(2));
            }
        }
        var pruned = 0;
        foreach (var ((connectionId, model), ids) in targets)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            await LockAsync(connection, transaction, connectionId, model, run: null, ct);
            int count;
            await using (var prune = new NpgsqlCommand("""
                UPDATE records SET payload = convert_to('{}', 'UTF8'), pruned_at = clock_timestamp(), size_bytes = 0
                WHERE connection_id = @connection AND model = @model AND external_id = ANY(@ids)
                  AND pruned_at IS NULL AND updated_at < @cutoff
                """, connection, transaction))
            {
                prune.Parameters.AddWithValue("connection", connectionId);
                prune.Parameters.AddWithValue("model", model);
                prune.Parameters.AddWithValue("ids", ids.ToArray());
                prune.Parameters.AddWithValue("cutoff", cutoff);
                count = await prune.ExecuteNonQueryAsync(ct);
            }
            if (count > 0)
            {
                await NextGenerationAsync(connection, transaction, connectionId, model, ct);
            }
            await transaction.CommitAsync(ct);
            pruned += count;
        }
        return pruned;
    }

    /// <summary>
    /// Hard-deletes the records of connections that are gone, and of connections whose syncs have not run since
    /// <paramref name="cutoff"/> (retention). "Has run" is read from the sync tasks of the connection, and, so that
    /// records written without a task (or before task history existed) are never taken for idle, from the latest
    /// write or sighting of any of its records.
    /// </summary>
    public async Task<int> DeleteIdleAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        var idle = new List<int>();
        await using (var command = _dataSource.CreateCommand("""
            SELECT r.connection_id
            FROM records r
            LEFT JOIN connections c ON c.id = r.connection_id
            GROUP BY r.connection_id, c.id, c.deleted_at
            HAVING c.id IS NULL OR c.deleted_at IS NOT NULL
                OR (max(greatest(r.updated_at, r.seen_at)) < @cutoff
                    AND NOT EXISTS (SELECT 1 FROM function_tasks t
                                    WHERE t.connection_id = r.connection_id AND t.kind = 'sync' AND t.created_at >= @cutoff))
            """))
        {
            command.Parameters.AddWithValue("cutoff", cutoff);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                idle.Add(reader.GetInt32(0));
            }
        }
        var deleted = 0;
        foreach (var connectionId in idle)
        {
            deleted += await DeleteAllAsync(connectionId, models: null, ct);
        }
        return deleted;
    }

    /// <summary>
    /// Starts a write: the transaction's planner settings, the model's lock and the database clock and the model's
    /// generation under it, and with a run the run's deletion-tracking mark, in one round trip; with
    /// <paramref name="savepoint"/> also the savepoint <see cref="TryCopyAllNewAsync"/> may roll back to.
    /// </summary>
    private static async Task<ModelLock> LockAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int connectionId, string model, RecordWriteRun? run, CancellationToken ct,
        bool savepoint = false)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        // A write joins at most one batch (1,000 records) to the model's stored records, which may be millions: one
        // index probe per batch record always wins, but with a partition's statistics the planner may hash the whole
        // model instead (the seen-marking UPDATE … FROM in Classify). For this transaction only.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL enable_hashjoin = off"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL enable_mergejoin = off"));
        var lockCommand = new NpgsqlBatchCommand(LockModel);
        lockCommand.Parameters.AddWithValue("connection", connectionId);
        lockCommand.Parameters.AddWithValue("model", model);
        batch.BatchCommands.Add(lockCommand);
        var generationCommand = new NpgsqlBatchCommand(ReadGeneration);
        generationCommand.Parameters.AddWithValue("connection", connectionId);
        generationCommand.Parameters.AddWithValue("model", model);
        batch.BatchCommands.Add(generationCommand);
        if (run is not null)
        {
            var markCommand = new NpgsqlBatchCommand(DeleteMark);
            markCommand.Parameters.AddWithValue("connection", connectionId);
            markCommand.Parameters.AddWithValue("sync_name", run.SyncName);
            markCommand.Parameters.AddWithValue("model", model);
            batch.BatchCommands.Add(markCommand);
        }
        if (savepoint)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT " + AllNewSavepoint));
        }
        await using var reader = await batch.ExecuteReaderAsync(ct);
        DateTimeOffset? now = null;
        DateTimeOffset? mark = null;
        long? generation = null;
        do
        {
            if (reader.FieldCount == 2 && await reader.ReadAsync(ct))
            {
                now = reader.GetFieldValue<DateTimeOffset>(1);
            }
            else if (reader.FieldCount == 1 && reader.GetName(0) == "since" && await reader.ReadAsync(ct))
            {
                mark = reader.GetFieldValue<DateTimeOffset>(0);
            }
            else if (reader.FieldCount == 1 && reader.GetName(0) == "generation" && await reader.ReadAsync(ct))
            {
                generation = reader.GetInt64(0);
            }
        }
        while (await reader.NextResultAsync(ct));
        return new ModelLock(now ?? throw new InvalidOperationException("The records lock statement returned no clock."), mark, generation);
    }

    /// <summary>What a write reads when it takes a model's lock: the database clock, the run's deletion-tracking mark
    /// (null: not tracked) and the model's generation (null: it has none yet).</summary>
    private readonly record struct ModelLock(DateTimeOffset Now, DateTimeOffset? Mark, long? Generation);

    /// <summary>Gives the model a new generation (<see cref="NextGeneration"/>), inside the write's transaction.</summary>
    private static async Task<long> NextGenerationAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int connectionId, string model, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(NextGeneration, connection, transaction);
        command.Parameters.AddWithValue("connection", connectionId);
        command.Parameters.AddWithValue("model", model);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>With a run, the records it saves are seen at its deletion-tracking mark (none: not tracked).</summary>
    private static RecordWriteOptions WithMark(RecordWriteOptions options, DateTimeOffset? mark) =>
        options.Run is null ? options : options with { SeenAt = mark };

    private static void AddRunParameters(NpgsqlParameterCollection parameters, RecordWriteRun? run)
    {
        parameters.Add(new NpgsqlParameter("run_task", NpgsqlDbType.Uuid) { Value = (object?)run?.TaskId ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("run_model", NpgsqlDbType.Text) { Value = (object?)run?.CountedModel ?? DBNull.Value });
    }

    /// <summary>A call that wrote nothing still counts as progress of its run (and lists its model in the counts).</summary>
    private async Task<RecordWriteResult> NothingWrittenAsync(RecordWriteRun? run, CancellationToken ct)
    {
        if (run is not null)
        {
            await AddToRunAsync(run, RecordWriteResult.None, ct);
        }
        return RecordWriteResult.None;
    }

    /// <summary>
    /// Adds counts written outside a record write (the deletions of <c>trackDeletesEnd</c>) to a sync run's per-model
    /// counts, by the same statement the writes use.
    /// </summary>
    public async Task AddToRunAsync(RecordWriteRun run, RecordWriteResult counts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(counts);
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var command = AddCountsCommand(run, counts);
        command.Connection = connection;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlCommand AddCountsCommand(RecordWriteRun run, RecordWriteResult counts)
    {
        var command = new NpgsqlCommand(AddCounts);
        AddCountsParameters(command.Parameters, run, counts);
        return command;
    }

    private static void AddCountsParameters(NpgsqlParameterCollection parameters, RecordWriteRun run, RecordWriteResult counts)
    {
        parameters.AddWithValue("added", counts.Added);
        parameters.AddWithValue("updated", counts.Updated);
        parameters.AddWithValue("deleted", counts.Deleted);
        parameters.AddWithValue("unchanged", counts.Unchanged);
        AddRunParameters(parameters, run);
    }

    /// <summary>The deletion-tracking mark of a sync's model (<c>trackDeletesStart</c>), or null when deletes are not tracked.</summary>
    public async Task<DateTimeOffset?> FindDeleteMarkAsync(int connectionId, string syncName, string model, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(DeleteMark);
        command.Parameters.AddWithValue("connection", connectionId);
        command.Parameters.AddWithValue("sync_name", syncName);
        command.Parameters.AddWithValue("model", model);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }

    /// <summary>
    /// Writes a batch and says whether every record of it was new and whether it wrote any. With
    /// <paramref name="likelyAllNew"/> it first tries <see cref="TryCopyAllNewAsync"/>, which also gives the model its next
    /// generation (<c>Renewed</c>) and commits the transaction; otherwise, or when a record exists after all, the batch is
    /// classified by its keys (<see cref="Classify"/>) and only what must be written is, and a caller whose batch wrote
    /// renews the generation itself.
    /// </summary>
    private static async Task<(RecordWriteResult Result, bool AllNew, bool Wrote, long? Renewed)> UpsertAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int environmentId, int connectionId, string model,
        StagedBatch batch, RecordWriteOptions options, DateTimeOffset now, bool likelyAllNew, CancellationToken ct)
    {
        if (likelyAllNew && await TryCopyAllNewAsync(connection, transaction, environmentId, connectionId, model, batch, options, now, ct) is { } renewed)
        {
            return (new RecordWriteResult(batch.Count, 0, 0, 0), true, true, renewed);
        }
        var (counts, created, rewritten, legacy) = await ClassifyAsync(connection, transaction, connectionId, model, batch.ExternalIds, batch.Hashes, options, keysOnly: false, ct);
        if (legacy.Count > 0)
        {
            counts = await RelabelLegacyAsync(connection, transaction, connectionId, model, batch, legacy, options, counts, ct);
            rewritten.AddRange(legacy.Select(l => l.N));
        }
        if (created.Count > 0)
        {
            await CopyNewAsync(connection, environmentId, connectionId, model, batch, created, options, now, ct);
        }

        if (rewritten.Count > 0)
        {
            await using (var create = new NpgsqlCommand(StagingTable, connection, transaction))
            {
                await create.ExecuteNonQueryAsync(ct);
            }
            await using (var staging = await connection.BeginBinaryImportAsync(CopyStaging, ct))
            {
                foreach (var n in rewritten)
                {
                    await staging.StartRowAsync(ct);
                    await staging.WriteAsync(batch.Id(n), NpgsqlDbType.Uuid, ct);
                    await staging.WriteAsync(batch.ExternalIds[n], NpgsqlDbType.Text, ct);
                    await staging.WriteAsync(batch.Payload(n), NpgsqlDbType.Bytea, ct);
                    await staging.WriteAsync(batch.Hash(n), NpgsqlDbType.Bytea, ct);
                    await staging.WriteAsync(batch.Sizes[n], NpgsqlDbType.Integer, ct);
                }
                await staging.CompleteAsync(ct);
            }
            await using var rewrite = new NpgsqlCommand(Rewrite, connection, transaction);
            rewrite.Parameters.AddWithValue("environment", environmentId);
            rewrite.Parameters.AddWithValue("connection", connectionId);
            rewrite.Parameters.AddWithValue("model", model);
            rewrite.Parameters.AddWithValue("now", now);
            AddWriteParameters(rewrite.Parameters, options);
            await rewrite.ExecuteNonQueryAsync(ct);
        }
        return (counts, created.Count == batch.Count, created.Count + rewritten.Count > 0, null);
    }

    /// <summary>
    /// The records of a batch stored under an MD5 (<paramref name="legacy"/>: their positions and stored hashes), which
    /// <see cref="Classify"/> left uncounted: the ones whose MD5 is the one stored are unchanged and get today's hash
    /// (<see cref="Relabel"/>), the others changed. Both are then rewritten by the caller, the unchanged ones with their
    /// <c>updated_at</c> kept (their hash no longer differs). Returns <paramref name="counts"/> with them added, as it adds
    /// them to the run.
    /// </summary>
    private static async Task<RecordWriteResult> RelabelLegacyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int connectionId, string model, StagedBatch batch,
        List<(int N, byte[] StoredHash)> legacy, RecordWriteOptions options, RecordWriteResult counts, CancellationToken ct)
    {
        var ids = new List<string>();
        var hashes = new List<byte[]>();
        foreach (var (n, stored) in legacy)
        {
            if (batch.Md5(n).AsSpan().SequenceEqual(stored))
            {
                ids.Add(batch.ExternalIds[n]);
                hashes.Add(batch.Hash(n).ToArray());
            }
        }
        if (ids.Count > 0)
        {
            await using var relabel = new NpgsqlCommand(Relabel, connection, transaction);
            relabel.Parameters.AddWithValue("connection", connectionId);
            relabel.Parameters.AddWithValue("model", model);
            relabel.Parameters.AddWithValue("external_ids", ids.ToArray());
            relabel.Parameters.Add(new NpgsqlParameter("hashes", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = hashes.ToArray() });
            AddWriteParameters(relabel.Parameters, options);
            await relabel.ExecuteNonQueryAsync(ct);
        }
        var settled = new RecordWriteResult(0, legacy.Count - ids.Count, ids.Count, 0);
        if (options.Run is not null)
        {
            await using var add = AddCountsCommand(options.Run, settled);
            add.Connection = connection;
            add.Transaction = transaction;
            await add.ExecuteNonQueryAsync(ct);
        }
        return new RecordWriteResult(counts.Added, counts.Updated + settled.Updated, counts.Unchanged + settled.Unchanged, counts.Deleted);
    }

    /// <summary>
    /// Runs <see cref="Classify"/> on a batch's keys: its counts (the same numbers it added to the run), and the positions
    /// of the records that must be written, new ones apart from existing ones, and apart from both the existing ones stored
    /// under an MD5, with that MD5 (uncounted: their hash cannot be compared with today's).
    /// </summary>
    private static async Task<(RecordWriteResult Counts, List<int> Created, List<int> Rewritten, List<(int N, byte[] StoredHash)> Legacy)> ClassifyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int connectionId, string model, string[] externalIds, byte[] hashes,
        RecordWriteOptions options, bool keysOnly, CancellationToken ct)
    {
        var counts = RecordWriteResult.None;
        var created = new List<int>(externalIds.Length);
        var rewritten = new List<int>();
        var legacy = new List<(int, byte[])>();
        await using var classify = new NpgsqlCommand(Classify, connection, transaction);
        classify.Parameters.AddWithValue("connection", connectionId);
        classify.Parameters.AddWithValue("model", model);
        classify.Parameters.Add(new NpgsqlParameter("external_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = externalIds });
        classify.Parameters.Add(new NpgsqlParameter("hashes", NpgsqlDbType.Bytea) { Value = hashes });
        classify.Parameters.AddWithValue("keys_only", keysOnly);
        AddWriteParameters(classify.Parameters, options);
        AddRunParameters(classify.Parameters, options.Run);
        await using var reader = await classify.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // The counts are repeated on every row.
            counts = new RecordWriteResult(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(4), 0);
            if (reader.IsDBNull(2))
            {
                continue;
            }
            if (!reader.IsDBNull(5))
            {
                legacy.Add((reader.GetInt32(2), reader.GetFieldValue<byte[]>(5)));
            }
            else
            {
                (reader.GetBoolean(3) ? created : rewritten).Add(reader.GetInt32(2));
            }
        }
        return (counts, created, rewritten, legacy);
    }

    /// <summary>
    /// The write of a batch expected to be all new: copied straight into the table, unclassified, counted as added, and
    /// the model given its next generation and the transaction committed in the same round trip as the count; returns
    /// that generation. A record that exists (an id saved earlier, a deleted record saved again) breaks the table's unique
    /// key; the copy is then rolled back to the savepoint <see cref="LockAsync"/> took before it, and null tells the caller
    /// to classify the batch instead.
    /// </summary>
    private static async Task<long?> TryCopyAllNewAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, int environmentId, int connectionId, string model,
        StagedBatch batch, RecordWriteOptions options, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            await CopyNewAsync(connection, environmentId, connectionId, model, batch, Enumerable.Range(0, batch.Count), options, now, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(AllNewSavepoint, ct);
            return null;
        }
        await using var after = new NpgsqlBatch(connection, transaction);
        if (options.Run is not null)
        {
            var counts = new NpgsqlBatchCommand(AddCounts);
            AddCountsParameters(counts.Parameters, options.Run, new RecordWriteResult(batch.Count, 0, 0, 0));
            after.BatchCommands.Add(counts);
        }
        var renew = new NpgsqlBatchCommand(NextGeneration);
        renew.Parameters.AddWithValue("connection", connectionId);
        renew.Parameters.AddWithValue("model", model);
        after.BatchCommands.Add(renew);
        // Nothing is left to do in the transaction: its commit goes in the same round trip. Should a command before it
        // fail, Postgres skips the rest of the batch and the transaction is rolled back when it is disposed.
        after.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await using var reader = await after.ExecuteReaderAsync(ct);
        long? generation = null;
        do
        {
            if (reader.GetName(0) == "generation" && await reader.ReadAsync(ct))
            {
                generation = reader.GetInt64(0);
            }
        }
        while (await reader.NextResultAsync(ct));
        return generation ?? throw new InvalidOperationException("Renewing the model's generation returned none.");
    }

    /// <summary>Copies the batch's records <paramref name="rows"/> into the table as new ones (<see cref="CopyNew"/>).</summary>
    private static async Task CopyNewAsync(
        NpgsqlConnection connection, int environmentId, int connectionId, string model, StagedBatch batch, IEnumerable<int> rows,
        RecordWriteOptions options, DateTimeOffset now, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopyNew, ct);
        foreach (var n in rows)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(batch.Id(n), NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(environmentId, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(connectionId, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(model, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(batch.ExternalIds[n], NpgsqlDbType.Varchar, ct);
            await copy.WriteAsync(batch.Payload(n), NpgsqlDbType.Bytea, ct);
            await copy.WriteAsync(batch.Hash(n), NpgsqlDbType.Bytea, ct);
            await copy.WriteAsync(batch.Sizes[n], NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
            await WriteNullableAsync(copy, options.SeenAt, NpgsqlDbType.TimestampTz, ct);
            await WriteNullableAsync(copy, options.SyncName, NpgsqlDbType.Text, ct);
        }
        await copy.CompleteAsync(ct);
    }

    /// <summary>The run's deletion-tracking mark, the sync's name and the merging strategy's cut-off, as the write statements name them.</summary>
    private static void AddWriteParameters(NpgsqlParameterCollection parameters, RecordWriteOptions options)
    {
        parameters.Add(new NpgsqlParameter("seen_at", NpgsqlDbType.TimestampTz) { Value = (object?)options.SeenAt ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("sync_name", NpgsqlDbType.Text) { Value = (object?)options.SyncName ?? DBNull.Value });
        var ignoreAfter = options.Strategy == MergingStrategy.IgnoreIfModifiedAfter ? options.ModifiedAfter : null;
        parameters.Add(new NpgsqlParameter("ignore_after", NpgsqlDbType.TimestampTz) { Value = (object?)ignoreAfter ?? DBNull.Value });
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct)
    {
        if (value is null)
        {
            await copy.WriteNullAsync(ct);
        }
        else
        {
            await copy.WriteAsync(value, type, ct);
        }
    }

    /// <summary>Postgres orders uuids by their bytes in text order.</summary>
    private static int CompareUuids(Guid a, Guid b) =>
        string.CompareOrdinal(a.ToString("N"), b.ToString("N"));

    /// <summary>An external id longer than <see cref="MaxExternalIdLength"/> characters (Unicode scalars, as Nango counts them).</summary>
    private static bool IsTooLongId(string text) => text.Length > MaxExternalIdLength && text.EnumerateRunes().Count() > MaxExternalIdLength;

    private static string StripNul(string value) => value.Contains('\0', StringComparison.Ordinal) ? value.Replace("\0", "", StringComparison.Ordinal) : value;

    /// <summary>
    /// A validated batch ready for COPY: per record its stable id, external id, stored payload (the JSON object as sent
    /// without its top-level <c>id</c> member, in one pooled buffer), the XxHash128 of the record as sent and its size as
    /// sent. A later record with the same id replaces an earlier one. The id and the payload are made when first asked
    /// for: only records that are written need them, and an unchanged re-run writes none (the payload is a second pass
    /// over the record's JSON, the id a SHA-1).
    /// </summary>
    private sealed class StagedBatch : IDisposable
    {
        private byte[] _buffer;
        private readonly int[] _offsets;
        private readonly int[] _lengths;
        private readonly byte[] _hashes;
        private readonly Guid?[] _ids;
        private readonly JsonElement[] _sources;
        private int _used;
        private readonly Guid _namespace;
        private readonly int _connectionId;
        private readonly string _model;

        private StagedBatch(int connectionId, string model, int count, int bytes)
        {
            _connectionId = connectionId;
            _model = model;
            _namespace = RecordIds.Namespace(connectionId, model);
            _ids = new Guid?[count];
            _sources = new JsonElement[count];
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bytes, 1));
            _offsets = new int[count];
            _lengths = new int[count];
            _hashes = new byte[count * 16];
            ExternalIds = new string[count];
            Sizes = new int[count];
        }

        public int Count { get; private set; }

        /// <summary>The record's stable id, derived from the id as sent, before NUL bytes are dropped (Nango's formatRecords).</summary>
        public Guid Id(int n) => _ids[n] ??= RecordIds.For(_namespace, _connectionId, _model, RawIdText(_sources[n]));

        public string[] ExternalIds { get; }

        /// <summary>The record's JSON text as sent, in bytes (<c>size_bytes</c>).</summary>
        public int[] Sizes { get; }

        public ReadOnlyMemory<byte> Payload(int n)
        {
            if (_lengths[n] < 0)
            {
                // The buffer holds every record as sent; the payload without its id is never longer.
                _offsets[n] = _used;
                _lengths[n] = RecordPayload.WithoutId(JsonMarshal.GetRawUtf8Value(_sources[n]), _buffer.AsSpan(_used));
                _used += _lengths[n];
            }
            return _buffer.AsMemory(_offsets[n], _lengths[n]);
        }

        public ReadOnlyMemory<byte> Hash(int i) => _hashes.AsMemory(i * 16, 16);

        /// <summary>The hash records had before <c>RecordsHashXxHash128</c>: the MD5 of the record as sent. It names, it protects nothing.</summary>
#pragma warning disable CA5351
        public byte[] Md5(int n) => MD5.HashData(JsonMarshal.GetRawUtf8Value(_sources[n]));
#pragma warning restore CA5351

        /// <summary>Every record's hash, 16 bytes each, in the batch's order.</summary>
        public byte[] Hashes => _hashes;

        public static StagedBatch Create(int connectionId, string model, IReadOnlyList<JsonElement> records, int maxBytes)
        {
            // Validate everything first: a bad record anywhere means nothing of the batch is written.
            var externalIds = new string[records.Count];
            var last = new Dictionary<string, int>(records.Count, StringComparer.Ordinal);
            var bytes = 0;
            for (var i = 0; i < records.Count; i++)
            {
                externalIds[i] = ExternalIdOf(records[i], i, maxBytes);
                if (last.TryGetValue(externalIds[i], out var earlier))
                {
                    bytes -= JsonMarshal.GetRawUtf8Value(records[earlier]).Length;
                }
                last[externalIds[i]] = i;
                bytes += JsonMarshal.GetRawUtf8Value(records[i]).Length;
            }

            var batch = new StagedBatch(connectionId, model, last.Count, bytes);
            for (var i = 0; i < records.Count; i++)
            {
                if (last[externalIds[i]] != i)
                {
                    continue;
                }
                var n = batch.Count++;
                var raw = JsonMarshal.GetRawUtf8Value(records[i]);
                batch._sources[n] = records[i];
                batch._lengths[n] = -1;
                batch.ExternalIds[n] = externalIds[i];
                batch.Sizes[n] = raw.Length;
                // Names the payload to spot unchanged records, with the same function the runner's keys use; not a security
                // boundary (a sync can only make its own records look unchanged), and some fifty times faster than MD5.
                XxHash128.Hash(raw, batch._hashes.AsSpan(n * 16, 16));
            }
            return batch;
        }

        /// <summary>The record's external id, or the reason the record cannot be stored.</summary>
        public static string ExternalIdOf(JsonElement record, int index, int maxBytes)
        {
            if (record.ValueKind != JsonValueKind.Object)
            {
                throw new RecordValidationException(ErrorCodes.InvalidSyncRecord, $"Record {index} is not an object.", index);
            }
            var raw = JsonMarshal.GetRawUtf8Value(record);
            if (raw.Length > maxBytes)
            {
                throw new RecordValidationException(ErrorCodes.RecordTooLarge,
                    $"Record {index} is {raw.Length:N0} bytes; the largest record is {maxBytes:N0} bytes.", index);
            }
            // Kept as sent (bytea) and answered as is by GET /records: bytes that are not UTF-8 would make its response
            // invalid JSON text. The parser checks the structure, not the bytes inside strings.
            if (!Utf8.IsValid(raw))
            {
                throw new RecordValidationException(ErrorCodes.InvalidSyncRecord, $"Record {index} is not valid UTF-8.", index);
            }
            if (ContainsNulEscape(raw))
            {
                throw new RecordValidationException(ErrorCodes.InvalidSyncRecord,
                    $"Record {index} contains a NUL character (\\u0000), which cannot be stored.", index);
            }
            if (!record.TryGetProperty("id"u8, out var id))
            {
                throw new RecordValidationException(ErrorCodes.InvalidSyncRecord, $"Record {index} has no id field.", index);
            }
            var text = id.ValueKind switch
            {
                JsonValueKind.String => StripNul(IdText(id, index)),
                JsonValueKind.Number => id.GetRawText(),
                _ => throw new RecordValidationException(ErrorCodes.InvalidSyncRecord, $"Record {index}: id must be a string or a number.", index),
            };
            if (text.Length == 0)
            {
                throw new RecordValidationException(ErrorCodes.InvalidSyncRecord, $"Record {index} has an empty id.", index);
            }
            if (IsTooLongId(text))
            {
                throw new RecordValidationException(ErrorCodes.InvalidSyncRecord,
                    $"Record {index}: id is longer than {MaxExternalIdLength} characters.", index);
            }
            return text;
        }

        /// <summary>A string id's text; an escaped lone surrogate (<c>"\ud800"</c>) has none.</summary>
        private static string IdText(JsonElement id, int index)
        {
            try
            {
                return id.GetString()!;
            }
            catch (InvalidOperationException)
            {
                throw new RecordValidationException(ErrorCodes.InvalidSyncRecord, $"Record {index}: id is not valid Unicode text.", index);
            }
        }

        private static string RawIdText(JsonElement record)
        {
            var id = record.GetProperty("id"u8);
            return id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText();
        }

        /// <summary>True when the JSON text holds an unescaped <c>\u0000</c> escape: Nango stores records as jsonb, which refuses it, so a record Nango cannot store is refused here too, although bytea could hold it.</summary>
        private static bool ContainsNulEscape(ReadOnlySpan<byte> json)
        {
            var start = 0;
            while (true)
            {
                var hit = json[start..].IndexOf("\\u0000"u8);
                if (hit < 0)
                {
                    return false;
                }
                var at = start + hit;
                var backslashes = 0;
                while (at - backslashes - 1 >= 0 && json[at - backslashes - 1] == (byte)'\\')
                {
                    backslashes++;
                }
                if (backslashes % 2 == 0)
                {
                    return true;
                }
                start = at + 1;
            }
        }

        public void Dispose()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }
}
