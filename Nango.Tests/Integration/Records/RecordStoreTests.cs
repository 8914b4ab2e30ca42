using System.Text.Json;
using Nango.Core.Records;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Integration.Records;

/// <summary>The records store against Postgres: write counts, unchanged rows left alone, deletes, merges, prune, validation.</summary>
[Trait("Category", "Integration")]
public sealed class RecordStoreTests : IAsyncLifetime
{
    private const int Environment = 1;
    private const string Model = "Issue";

    private static readonly string[] _labelsBefore = ["x", "y"];
    private static readonly string[] _labelsAfter = ["z"];

    private string _database = "";
    private RecordStore _store = null!;
    private int _nextConnection = 100;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ConnectionString => TestPostgres.ConnectionStringFor(_database);

    public async ValueTask InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _store = new RecordStore(ConnectionString, new RecordsOptions { MaxRecordBytes = 4096 });
    }

    public async ValueTask DisposeAsync()
    {
        _store.Dispose();
        await TestPostgres.DropDatabaseAsync(_database);
    }

    /// <summary>A connection id no other test uses: the tests share one database.</summary>
    private int NewConnection() => Interlocked.Increment(ref _nextConnection);

    private static List<JsonElement> Records(params object[] payloads) => payloads.Select(p => JsonSerializer.SerializeToElement(p)).ToList();

    /// <summary>What a write counted, without the generations a save also reports (RecordGenerationTests checks those).</summary>
    private static RecordWriteResult Counted(RecordWriteResult result) => result with { Generation = null };

    private static RecordWriteOptions Run(DateTimeOffset? seenAt = null) => new() { SyncName = "issues", SeenAt = seenAt };

    private async Task<List<RecordRow>> AllAsync(int connection, string model = Model)
    {
        var rows = new List<RecordRow>();
        string? cursor = null;
        do
        {
            var page = await _store.ListAsync(new RecordQuery { ConnectionId = connection, Model = model, Limit = 2, Cursor = cursor }, Ct);
            rows.AddRange(page.Records);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return rows;
    }

    private async Task<T> ScalarAsync<T>(string sql, int connection)
    {
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, db);
        command.Parameters.AddWithValue("c", connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    [Fact]
    public async Task Concurrent_saves_of_the_same_new_ids_add_each_record_once_and_count_it_once()
    {
        // New records are copied straight into the table after a classification that found them absent; the
        // model's lock is what keeps another writer from adding the same ids in between.
        var connection = NewConnection();
        var batches = Enumerable.Range(0, 8)
            .Select(writer => Records(Enumerable.Range(0, 200).Select(i => (object)new { id = $"r{i}", writer }).ToArray()))
            .ToList();

        var results = await Task.WhenAll(batches.Select(batch => Task.Run(() => _store.SaveAsync(Environment, connection, Model, batch, Run(), Ct))));

        Assert.Equal(200, results.Sum(r => r.Added));
        Assert.Equal(200 * 8, results.Sum(r => r.Added + r.Updated));
        Assert.Equal(200, (await AllAsync(connection)).Count);
        Assert.Equal(200L, await ScalarAsync<long>("SELECT count(*) FROM records WHERE connection_id = @c", connection));
    }

    [Fact]
    public async Task A_first_save_adds_every_record_and_pages_return_them_in_change_order()
    {
        var connection = NewConnection();

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", n = 1 }, new { id = "b", n = 2 }, new { id = 3, n = 3 }), Run(), Ct);

        Assert.Equal(new RecordWriteResult(3, 0, 0, 0), Counted(result));
        var rows = await AllAsync(connection);
        Assert.Equal(3, rows.Count);
        Assert.Equal(rows.OrderBy(r => r.UpdatedAt).ThenBy(r => r.Id.ToString("N"), StringComparer.Ordinal).Select(r => r.Id), rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal("ADDED", r.LastAction));
        Assert.Contains(rows, r => r.ExternalId == "3");
    }

    [Fact]
    public async Task Saving_the_same_payloads_again_counts_them_unchanged_and_leaves_rows_and_cursor_alone()
    {
        var connection = NewConnection();
        var batch = Records(new { id = "a", title = "one" }, new { id = "b", title = "two" });
        await _store.SaveAsync(Environment, connection, Model, batch, Run(), Ct);
        var before = await AllAsync(connection);
        var versions = await ScalarAsync<string>("SELECT string_agg(xmin::text, ',' ORDER BY external_id) FROM records WHERE connection_id = @c", connection);

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", title = "one" }, new { id = "b", title = "two" }), Run(), Ct);

        Assert.Equal(new RecordWriteResult(0, 0, 2, 0), Counted(result));
        Assert.Equal(versions, await ScalarAsync<string>("SELECT string_agg(xmin::text, ',' ORDER BY external_id) FROM records WHERE connection_id = @c", connection));
        var after = await AllAsync(connection);
        Assert.Equal(before.Select(r => (r.Cursor, r.UpdatedAt)), after.Select(r => (r.Cursor, r.UpdatedAt)));
        var sinceLast = await _store.ListAsync(new RecordQuery { ConnectionId = connection, Model = Model, Cursor = before[^1].Cursor }, Ct);
        Assert.Empty(sinceLast.Records);
    }

    [Fact]
    public async Task A_changed_payload_is_updated_and_moves_to_the_end_of_the_stream()
    {
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", v = 1 }, new { id = "b", v = 1 }), Run(), Ct);
        var first = await AllAsync(connection);

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", v = 2 }, new { id = "b", v = 1 }), Run(), Ct);

        Assert.Equal(new RecordWriteResult(0, 1, 1, 0), Counted(result));
        var changes = await _store.ListAsync(new RecordQuery { ConnectionId = connection, Model = Model, Cursor = first[^1].Cursor }, Ct);
        var changed = Assert.Single(changes.Records);
        Assert.Equal("a", changed.ExternalId);
        Assert.Equal("UPDATED", changed.LastAction);
        Assert.Equal(first.Single(r => r.ExternalId == "a").CreatedAt, changed.CreatedAt);
        Assert.Equal(2, changed.ToJson().GetProperty("v").GetInt32());
    }

    [Fact]
    public async Task Duplicate_ids_in_one_batch_keep_the_last_payload()
    {
        var connection = NewConnection();

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", v = "first" }, new { id = "a", v = "last" }), Run(), Ct);

        Assert.Equal(new RecordWriteResult(1, 0, 0, 0), Counted(result));
        var stored = await _store.GetByIdsAsync(connection, Model, ["a"], Ct);
        Assert.Equal("last", stored["a"].GetProperty("v").GetString());
    }

    [Fact]
    public async Task A_batch_after_all_new_ones_that_repeats_stored_ids_adds_only_the_new_records()
    {
        // A save after one that found every record new copies its batch in unclassified; when that batch repeats stored
        // ids the unique key refuses the copy, it is rolled back, and the batch is classified like any other.
        var connection = NewConnection();
        var mark = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new RecordWriteResult(3, 0, 0, 0),
            Counted(await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", v = 1 }, new { id = "b", v = 1 }, new { id = "c", v = 1 }), Run(mark), Ct)));
        Assert.Equal(new RecordWriteResult(3, 0, 0, 0),
            Counted(await _store.SaveAsync(Environment, connection, Model, Records(new { id = "d", v = 1 }, new { id = "e", v = 1 }, new { id = "f", v = 1 }), Run(mark), Ct)));
        var before = await AllAsync(connection);

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "c", v = 1 }, new { id = "e", v = 2 }, new { id = "g", v = 1 }), Run(mark), Ct);

        Assert.Equal(new RecordWriteResult(1, 1, 1, 0), Counted(result));
        var rows = await AllAsync(connection);
        Assert.Equal(["a", "b", "c", "d", "e", "f", "g"], rows.Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal("UPDATED", rows.Single(r => r.ExternalId == "e").LastAction);
        Assert.Equal("ADDED", rows.Single(r => r.ExternalId == "g").LastAction);
        Assert.Equal(before.Single(r => r.ExternalId == "c").Cursor, rows.Single(r => r.ExternalId == "c").Cursor);
        Assert.Equal(["e", "g"], rows.TakeLast(2).Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal(7L, await ScalarAsync<long>("SELECT count(*) FROM records WHERE connection_id = @c AND seen_at = '2026-11-01 12:00:00+00'", connection));
    }

    [Fact]
    public async Task Soft_delete_marks_records_deleted_once_and_keeps_them_in_the_stream()
    {
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "b" }), Run(), Ct);

        var deleted = await _store.DeleteAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "unknown" }), Run(), Ct);
        var again = await _store.DeleteAsync(Environment, connection, Model, Records(new { id = "a" }), Run(), Ct);

        Assert.Equal(new RecordWriteResult(0, 0, 0, 1), Counted(deleted));
        Assert.Equal(0, again.Deleted);
        var rows = await AllAsync(connection);
        var a = rows.Single(r => r.ExternalId == "a");
        Assert.Equal("DELETED", a.LastAction);
        Assert.NotNull(a.DeletedAt);
        Assert.Equal("a", rows[^1].ExternalId);
        Assert.Equal(["b"], (await _store.GetByIdsAsync(connection, Model, ["a", "b"], Ct)).Keys);
        Assert.Equal(1L, (await _store.CountByModelAsync(connection, Ct))[Model]);
    }

    [Fact]
    public async Task Saving_a_deleted_record_again_undeletes_it_as_added()
    {
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", v = 1 }), Run(), Ct);
        var original = (await AllAsync(connection)).Single();
        await _store.DeleteAsync(Environment, connection, Model, Records(new { id = "a" }), Run(), Ct);

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", v = 1 }), Run(), Ct);

        Assert.Equal(new RecordWriteResult(1, 0, 0, 0), Counted(result));
        var row = (await AllAsync(connection)).Single();
        Assert.Null(row.DeletedAt);
        Assert.Equal("ADDED", row.LastAction);
        Assert.Equal(row.UpdatedAt, row.CreatedAt);
        Assert.True(row.CreatedAt > original.CreatedAt);
    }

    [Fact]
    public async Task Update_deep_merges_objects_replaces_arrays_and_ignores_unknown_ids()
    {
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(
            new { id = "a", title = "t", author = new { name = "ann", address = new { city = "Paris", zip = "75001" } }, labels = _labelsBefore }), Run(), Ct);

        var result = await _store.UpdateAsync(Environment, connection, Model, Records(
            new { id = "a", author = new { address = new { city = "Lyon" } }, labels = _labelsAfter },
            new { id = "nobody", title = "ignored" }), Run(), Ct);
        var same = await _store.UpdateAsync(Environment, connection, Model, Records(new { id = "a", title = "t" }), Run(), Ct);

        Assert.Equal(new RecordWriteResult(0, 1, 0, 0), Counted(result));
        Assert.Equal(new RecordWriteResult(0, 0, 1, 0), Counted(same));
        var stored = (await _store.GetByIdsAsync(connection, Model, ["a", "nobody"], Ct)).Single().Value;
        Assert.Equal("t", stored.GetProperty("title").GetString());
        Assert.Equal("ann", stored.GetProperty("author").GetProperty("name").GetString());
        Assert.Equal("Lyon", stored.GetProperty("author").GetProperty("address").GetProperty("city").GetString());
        Assert.Equal("75001", stored.GetProperty("author").GetProperty("address").GetProperty("zip").GetString());
        Assert.Equal(["z"], stored.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Deletion_tracking_deletes_only_records_the_last_run_did_not_see()
    {
        var connection = NewConnection();
        var firstRun = DateTimeOffset.UtcNow.AddMinutes(-10);
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "b" }, new { id = "c" }), Run(firstRun), Ct);
        var secondRun = DateTimeOffset.UtcNow;

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "b" }), Run(secondRun), Ct);
        var deleted = await _store.DeleteUnseenAsync(connection, Model, secondRun, Ct);

        Assert.Equal(new RecordWriteResult(0, 0, 2, 0), Counted(result));
        Assert.Equal(["c"], deleted);
        Assert.Equal(["a", "b"], (await _store.GetByIdsAsync(connection, Model, ["a", "b", "c"], Ct)).Keys.Order());
        Assert.Empty(await _store.DeleteUnseenAsync(connection, Model, secondRun, Ct));
    }

    [Fact]
    public async Task A_save_by_keys_counts_the_unchanged_records_and_its_sends_complete_it_like_one_full_save()
    {
        var connection = NewConnection();
        var firstRun = DateTimeOffset.UtcNow.AddMinutes(-10);
        await _store.SaveAsync(Environment, connection, Model,
            Records(new { id = "same", v = 1 }, new { id = "edited", v = 1 }, new { id = "gone", v = 1 }, new { id = "unsent", v = 1 }), Run(firstRun), Ct);
        await _store.DeleteAsync(Environment, connection, Model, Records(new { id = "gone" }), Run(firstRun), Ct);
        var secondRun = DateTimeOffset.UtcNow;
        var records = Records(new { id = "same", v = 1 }, new { id = "edited", v = 2 }, new { id = "gone", v = 1 }, new { id = "new", v = 1 }, new { id = "twice", v = 1 }, new { id = "twice", v = 2 });
        var keys = records.Select(KeyOf).ToList();
        keys.Add(new RecordKey("bad-hash", [1, 2, 3], 10));
        keys.Add(KeyOf(JsonSerializer.SerializeToElement(new { id = "huge", v = 1 })) with { Size = 5000 });

        var result = await _store.SaveUnchangedAsync(connection, Model, keys, Run(secondRun), Ct);

        // Only "same" is stored with that hash; a changed, a deleted, a new record, an id given twice and keys that are
        // not valid are all to be sent, and nothing was written for them.
        Assert.Equal(new RecordWriteResult(0, 0, 1, 0), result.Counts);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], result.Send);
        var stored = await _store.GetByIdsAsync(connection, Model, ["same", "edited", "gone", "new"], Ct);
        Assert.Equal(["edited", "same", "unsent"], (await AllAsync(connection)).Where(r => r.DeletedAt is null).Select(r => r.ExternalId).Order());
        Assert.Equal(1, stored["edited"].GetProperty("v").GetInt32());

        var sent = await _store.SaveAsync(Environment, connection, Model, result.Send.Take(5).Select(i => records[i]).ToList(), Run(secondRun), Ct);

        // The two calls count what one save of the whole batch would: 3 added (revived, new, one of the twins), 1 updated,
        // 1 unchanged; the unchanged record was marked seen, so deletion tracking takes only the record the run left out.
        Assert.Equal(new RecordWriteResult(3, 1, 0, 0), Counted(sent));
        Assert.Equal(["unsent"], await _store.DeleteUnseenAsync(connection, Model, secondRun, Ct));
        var after = await _store.GetByIdsAsync(connection, Model, ["same", "edited", "gone", "new", "twice"], Ct);
        Assert.Equal((1, 2, 1, 1, 2), (after["same"].GetProperty("v").GetInt32(), after["edited"].GetProperty("v").GetInt32(),
            after["gone"].GetProperty("v").GetInt32(), after["new"].GetProperty("v").GetInt32(), after["twice"].GetProperty("v").GetInt32()));

        static RecordKey KeyOf(JsonElement record)
        {
            var text = System.Text.Encoding.UTF8.GetBytes(record.GetRawText());
            return new RecordKey(record.GetProperty("id").GetString()!, System.IO.Hashing.XxHash128.Hash(text), text.Length);
        }
    }

    [Fact]
    public async Task Ignore_if_modified_after_skips_records_changed_since_the_run_started()
    {
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "old", v = 1 }), Run(), Ct);
        var runStart = (await AllAsync(connection)).Single().UpdatedAt;
        await Task.Delay(5, Ct);
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "fresh", v = 1 }), Run(), Ct);
        var options = Run() with { Strategy = MergingStrategy.IgnoreIfModifiedAfter, ModifiedAfter = runStart };

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id = "old", v = 2 }, new { id = "fresh", v = 2 }), options, Ct);

        Assert.Equal(new RecordWriteResult(0, 1, 1, 0), Counted(result));
        var stored = await _store.GetByIdsAsync(connection, Model, ["old", "fresh"], Ct);
        Assert.Equal(2, stored["old"].GetProperty("v").GetInt32());
        Assert.Equal(1, stored["fresh"].GetProperty("v").GetInt32());
    }

    [Fact]
    public async Task Live_counts_follow_every_change_including_changes_made_by_another_instance()
    {
        // Counts are kept per model at the model's generation: each check below first reads a count the store may have
        // kept, then changes the records and expects the new count, through this store and through a second one (another
        // Nango.Web instance, with its own kept counts) that this store never hears from.
        var connection = NewConnection();
        using var otherInstance = new RecordStore(ConnectionString, new RecordsOptions { MaxRecordBytes = 4096 });
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "b" }, new { id = "c" }), Run(), Ct);
        await _store.SaveAsync(Environment, connection, "Comment", Records(new { id = "a" }), Run(), Ct);
        Assert.Equal(new Dictionary<string, long> { [Model] = 3, ["Comment"] = 1 }, await _store.CountByModelAsync(connection, Ct));
        Assert.Equal(new Dictionary<string, long> { [Model] = 3, ["Comment"] = 1 }, await _store.CountByModelAsync(connection, Ct));

        await otherInstance.DeleteAsync(Environment, connection, Model, Records(new { id = "a" }), Run(), Ct);
        Assert.Equal(new Dictionary<string, long> { [Model] = 2, ["Comment"] = 1 }, await _store.CountByModelAsync(connection, Ct));

        // Unchanged records change no count (and no generation); a deleted one saved again is live again.
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "b" }, new { id = "c" }), Run(), Ct);
        Assert.Equal(2L, (await otherInstance.CountByModelAsync(connection, Ct))[Model]);
        await otherInstance.SaveAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "d" }), Run(), Ct);
        Assert.Equal(new Dictionary<string, long> { [Model] = 4, ["Comment"] = 1 }, await _store.CountByModelAsync(connection, Ct));

        // A model whose every record is deleted is not listed; deletion tracking's sweep is counted too.
        await otherInstance.DeleteAsync(Environment, connection, "Comment", Records(new { id = "a" }), Run(), Ct);
        Assert.Equal(new Dictionary<string, long> { [Model] = 4 }, await _store.CountByModelAsync(connection, Ct));
        var sweepFrom = DateTimeOffset.UtcNow.AddMinutes(1);
        await otherInstance.SaveAsync(Environment, connection, Model, Records(new { id = "d" }), Run(sweepFrom), Ct);
        Assert.Equal(3, (await otherInstance.DeleteUnseenAsync(connection, Model, sweepFrom, Ct)).Count);
        Assert.Equal(new Dictionary<string, long> { [Model] = 1 }, await _store.CountByModelAsync(connection, Ct));

        // Records written before generations existed (no generation row) are counted every time rather than kept.
        await ExecuteAsync($"DELETE FROM record_generations WHERE connection_id = {connection}");
        Assert.Equal(new Dictionary<string, long> { [Model] = 1 }, await _store.CountByModelAsync(connection, Ct));
        await ExecuteAsync($"UPDATE records SET deleted_at = now() WHERE connection_id = {connection}");
        Assert.Empty(await _store.CountByModelAsync(connection, Ct));
    }

    [Fact]
    public async Task A_count_kept_here_follows_this_stores_own_saves_as_a_fresh_count_would()
    {
        // A save made through this store moves its kept count to the save's generation (a running sync's chunks), so
        // after each save below the count is served without a recount; it must equal what an instance that never
        // counted before finds.
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "b" }), Run(), Ct);
        Assert.Equal(2L, (await _store.CountByModelAsync(connection, Ct))[Model]);

        // All new, twice in a row (the second goes straight to COPY), then new, changed and unchanged records together.
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "c" }, new { id = "d" }), Run(), Ct);
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "e" }), Run(), Ct);
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "f" }, new { id = "a", title = "changed" }, new { id = "b" }), Run(), Ct);
        Assert.Equal(6L, await ServedAndFreshCountAsync());

        // A deleted record saved again is live again: the save's added count includes it.
        await _store.DeleteAsync(Environment, connection, Model, Records(new { id = "c" }, new { id = "d" }), Run(), Ct);
        Assert.Equal(4L, await ServedAndFreshCountAsync());
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "c" }, new { id = "g" }, new { id = "a", title = "again" }), Run(), Ct);
        Assert.Equal(6L, await ServedAndFreshCountAsync());

        async Task<long> ServedAndFreshCountAsync()
        {
            using var fresh = new RecordStore(ConnectionString, new RecordsOptions { MaxRecordBytes = 4096 });
            var served = (await _store.CountByModelAsync(connection, Ct))[Model];
            Assert.Equal((await fresh.CountByModelAsync(connection, Ct))[Model], served);
            return served;
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var db = new Npgsql.NpgsqlConnection(ConnectionString);
        await db.OpenAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task Delete_all_removes_the_named_models_or_every_model_of_the_connection()
    {
        var connection = NewConnection();
        var other = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }, new { id = "b" }), Run(), Ct);
        await _store.SaveAsync(Environment, connection, "Issue::eu", Records(new { id = "a" }), Run(), Ct);
        await _store.SaveAsync(Environment, connection, "Comment", Records(new { id = "a" }), Run(), Ct);
        await _store.SaveAsync(Environment, other, Model, Records(new { id = "a" }), Run(), Ct);

        Assert.Equal(2, await _store.DeleteAllAsync(connection, [Model], Ct));
        Assert.Equal(new Dictionary<string, long> { ["Issue::eu"] = 1, ["Comment"] = 1 }, await _store.CountByModelAsync(connection, Ct));
        Assert.Equal(2, await _store.DeleteAllAsync(connection, null, Ct));
        Assert.Empty(await _store.CountByModelAsync(connection, Ct));
        Assert.Equal(1L, (await _store.CountByModelAsync(other, Ct))[Model]);
    }

    [Fact]
    public async Task Prune_empties_payloads_up_to_the_cursor_and_keeps_their_metadata()
    {
        var connection = NewConnection();
        for (var i = 0; i < 5; i++)
        {
            await _store.SaveAsync(Environment, connection, Model, Records(new { id = $"r{i}", body = "payload" }), Run(), Ct);
        }
        var rows = await AllAsync(connection);

        var partial = await _store.PruneAsync(connection, Model, rows[2].Cursor, 2, Ct);
        var rest = await _store.PruneAsync(connection, Model, rows[2].Cursor, null, Ct);
        var none = await _store.PruneAsync(connection, Model, rows[2].Cursor, null, Ct);

        Assert.Equal(new PruneResult(2, true), partial);
        Assert.Equal(new PruneResult(1, false), rest);
        Assert.Equal(new PruneResult(0, false), none);
        var after = await AllAsync(connection);
        Assert.Equal(rows.Select(r => r.Cursor), after.Select(r => r.Cursor));
        Assert.All(after.Take(3), r => Assert.NotNull(r.PrunedAt));
        Assert.All(after.Take(3), r => Assert.False(r.ToJson().TryGetProperty("body", out _)));
        Assert.Equal("payload", after[3].ToJson().GetProperty("body").GetString());
        Assert.Null(after[3].PrunedAt);
        // Saving a pruned record's payload again restores it without counting a change.
        Assert.Equal(new RecordWriteResult(0, 0, 1, 0), Counted(await _store.SaveAsync(Environment, connection, Model, Records(new { id = "r0", body = "payload" }), Run(), Ct)));
        Assert.Equal("payload", (await _store.GetByIdsAsync(connection, Model, ["r0"], Ct))["r0"].GetProperty("body").GetString());
    }

    public static TheoryData<string, string> BadRecords => new()
    {
        { """{"title":"no id"}""", "invalid_sync_record" },
        { """{"id":""}""", "invalid_sync_record" },
        { """{"id":null}""", "invalid_sync_record" },
        { """{"id":true}""", "invalid_sync_record" },
        { """["id", 1]""", "invalid_sync_record" },
        { "\"just text\"", "invalid_sync_record" },
        { $$"""{"id":"{{new string('x', 256)}}"}""", "invalid_sync_record" },
        { """{"id":"nul","t":"a\u0000b"}""", "invalid_sync_record" },
        { $$"""{"id":"big","blob":"{{new string('x', 5000)}}"}""", "record_too_large" },
    };

    [Theory]
    [MemberData(nameof(BadRecords))]
    public async Task A_bad_record_refuses_the_whole_batch_and_writes_nothing(string bad, string code)
    {
        var connection = NewConnection();
        var batch = Records(new { id = "good-1" }, new { id = "good-2" });
        batch.Insert(1, JsonDocument.Parse(bad).RootElement);

        var error = await Assert.ThrowsAsync<RecordValidationException>(() => _store.SaveAsync(Environment, connection, Model, batch, Run(), Ct));

        Assert.Equal(code, error.Code);
        Assert.Equal(1, error.Index);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM records WHERE connection_id = @c", connection));
        await Assert.ThrowsAsync<RecordValidationException>(() => _store.UpdateAsync(Environment, connection, Model, batch, Run(), Ct));
    }

    [Fact]
    public async Task A_bad_record_after_an_all_new_batch_writes_nothing_and_later_saves_go_through()
    {
        // After an all-new batch a save sends the model's lock (and its savepoint) before it validates: a batch refused
        // then must still read the lock's answer and roll back, leaving its pooled connection fit for the next save.
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }), Run(), Ct);
        var bad = Records(new { id = "b" });
        bad.Add(JsonDocument.Parse($$"""{"id":"big","blob":"{{new string('x', 5000)}}"}""").RootElement);

        var error = await Assert.ThrowsAsync<RecordValidationException>(() => _store.SaveAsync(Environment, connection, Model, bad, Run(), Ct));

        Assert.Equal("record_too_large", error.Code);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM records WHERE connection_id = @c", connection));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(new RecordWriteResult(1, 0, 0, 0), Counted(await _store.SaveAsync(Environment, connection, Model, Records(new { id = $"c{i}" }), Run(), Ct)));
        }
        Assert.Equal(4L, await ScalarAsync<long>("SELECT count(*) FROM records WHERE connection_id = @c", connection));
    }

    [Fact]
    public async Task A_255_character_id_is_accepted()
    {
        var connection = NewConnection();
        var id = new string('é', 255);

        var result = await _store.SaveAsync(Environment, connection, Model, Records(new { id }), Run(), Ct);

        Assert.Equal(1, result.Added);
        Assert.Equal([id], (await AllAsync(connection)).Select(r => r.ExternalId));
    }

    [Fact]
    public async Task Record_ids_are_Nangos_uuidv5_of_connection_model_and_external_id()
    {
        // Expected values from Python's uuid.uuid5 (RFC 4122), the algorithm of the uuid npm package Nango uses.
        Assert.Equal(Guid.Parse("b63912ac-c42f-5fbd-96b8-ab253e1f0534"), RecordIds.Namespace(42, "Issue"));
        Assert.Equal(Guid.Parse("094fad09-1836-5e27-ab62-5bf0f69aa41c"), RecordIds.For(42, "Issue", "issue-1"));
        Assert.Equal(Guid.Parse("899ef3f4-044d-5de1-8b7a-badc7baba2d2"), RecordIds.For(7, "Ticket::eu", "12345"));

        await _store.DeleteAllAsync(42, null, Ct);
        await _store.SaveAsync(Environment, 42, "Issue", Records(new { id = "issue-1" }), Run(), Ct);
        await _store.SaveAsync(Environment, 7, "Ticket::eu", Records(new { id = 12345 }), Run(), Ct);

        Assert.Equal(Guid.Parse("094fad09-1836-5e27-ab62-5bf0f69aa41c"), (await AllAsync(42, "Issue")).Single().Id);
        Assert.Equal(Guid.Parse("899ef3f4-044d-5de1-8b7a-badc7baba2d2"), (await AllAsync(7, "Ticket::eu")).Single().Id);
    }

    [Fact]
    public async Task Timestamps_keep_microseconds_and_cursors_decode_to_the_record()
    {
        var connection = NewConnection();
        await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a" }), Run(), Ct);
        var row = (await AllAsync(connection)).Single();
        var stored = await ScalarAsync<string>("SELECT to_json(updated_at)::text FROM records WHERE connection_id = @c", connection);

        var json = row.ToJson().GetProperty("_nango_metadata");

        Assert.Equal(stored.Trim('"'), json.GetProperty("last_modified_at").GetString());
        Assert.True(RecordCursor.TryDecode(row.Cursor, out var at, out var id));
        Assert.Equal((row.UpdatedAt, row.Id), (at, id));
        Assert.Equal(System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(row.Cursor)), $"{stored.Trim('"')}||{row.Id}");
    }
}
