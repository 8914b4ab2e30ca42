using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Nango.Core.Records;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Records;

/// <summary>
/// A model's generation against Postgres: every write that changes the model's records replaces it, marking records
/// seen does not, and a save by keys that claims the current generation is counted without a lookup while a claim of
/// any other generation is looked up record by record, so a change made meanwhile by any path is never taken for
/// unchanged.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RecordGenerationTests : IAsyncLifetime
{
    private const int Environment = 1;
    private const string Model = "Issue";

    private string _database = "";
    private RecordStore _store = null!;
    private int _nextConnection = 100;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, int[]> Changes => new()
    {
        { "save", [1] },
        { "update", [1] },
        { "delete", [1] },
        { "track deletes", [1] },
        { "prune", [0, 1] },
        { "retention prune", [0, 1] },
        { "delete all", [0, 1] },
        { "delete idle", [0, 1] },
    };

    public async ValueTask InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _store = new RecordStore(TestPostgres.ConnectionStringFor(_database), new RecordsOptions { MaxRecordBytes = 4096 });
    }

    public async ValueTask DisposeAsync()
    {
        _store.Dispose();
        await TestPostgres.DropDatabaseAsync(_database);
    }

    private int NewConnection() => Interlocked.Increment(ref _nextConnection);

    private static List<JsonElement> Records(params object[] payloads) => payloads.Select(p => JsonSerializer.SerializeToElement(p)).ToList();

    private static RecordWriteOptions Run(DateTimeOffset? seenAt = null) => new() { SyncName = "issues", SeenAt = seenAt };

    /// <summary>A record's key as the runner sends it: its id, the XxHash128 of its JSON text and that text's size.</summary>
    private static RecordKey KeyOf(JsonElement record)
    {
        var text = Encoding.UTF8.GetBytes(record.GetRawText());
        return new RecordKey(record.GetProperty("id").GetString()!, XxHash128.Hash(text), text.Length);
    }

    private async Task<RecordGeneration> SaveAsync(int connection, string model, List<JsonElement> records, DateTimeOffset? seenAt = null) =>
        (await _store.SaveAsync(Environment, connection, model, records, Run(seenAt), Ct)).Generation
        ?? throw new InvalidOperationException("The save reported no generation.");

    [Fact]
    public async Task A_save_reports_the_generation_it_found_and_the_one_it_left()
    {
        var connection = NewConnection();

        var first = await SaveAsync(connection, Model, Records(new { id = "a", v = 1 }, new { id = "b", v = 1 }));
        var same = await SaveAsync(connection, Model, Records(new { id = "a", v = 1 }));
        var changed = await SaveAsync(connection, Model, Records(new { id = "a", v = 2 }));
        var otherModel = await SaveAsync(connection, "Comment", Records(new { id = "a", v = 1 }));
        var otherConnection = await SaveAsync(NewConnection(), Model, Records(new { id = "a", v = 1 }));

        Assert.Null(first.Before);
        // A save that wrote nothing leaves the generation as it found it.
        Assert.Equal(new RecordGeneration(first.After, first.After), same);
        Assert.Equal(first.After, changed.Before);
        Assert.NotEqual(first.After, changed.After);
        // Every model of every connection has its own, and no two generations are ever the same number.
        Assert.Null(otherModel.Before);
        Assert.Null(otherConnection.Before);
        Assert.Equal(3, new[] { changed.After, otherModel.After, otherConnection.After }.Distinct().Count());
    }

    [Fact]
    public async Task A_claim_at_the_current_generation_counts_every_key_unchanged_and_marks_it_seen_without_a_lookup()
    {
        var connection = NewConnection();
        var records = Records(new { id = "a", v = 1 }, new { id = "b", v = 1 }, new { id = "c", v = 1 });
        var saved = await SaveAsync(connection, Model, records, DateTimeOffset.UtcNow.AddMinutes(-10));
        var secondRun = DateTimeOffset.UtcNow;
        // The claim is taken on trust: the hash given for "b" is not the one stored, and it is counted unchanged all the same.
        var keys = new List<RecordKey> { KeyOf(records[0]), KeyOf(Records(new { id = "b", v = 99 })[0]) };

        var claimed = await _store.SaveUnchangedAsync(connection, Model, keys, Run(secondRun), Ct, claimedGeneration: saved.After);

        Assert.Equal(new RecordWriteResult(0, 0, 2, 0), claimed.Counts);
        Assert.Empty(claimed.Send);
        Assert.Equal(saved.After, claimed.Generation);
        // Both claimed records were marked seen: deletion tracking takes only the one the run left out.
        Assert.Equal(["c"], await _store.DeleteUnseenAsync(connection, Model, secondRun, Ct));
        Assert.Equal(1, (await _store.GetByIdsAsync(connection, Model, ["b"], Ct))["b"].GetProperty("v").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task A_claim_made_before_a_change_to_the_model_is_looked_up_record_by_record(string change, int[] changedPositions)
    {
        var connection = NewConnection();
        var records = Records(new { id = "a", v = 1 }, new { id = "b", v = 1 });
        var saved = await SaveAsync(connection, Model, records, DateTimeOffset.UtcNow.AddMinutes(-10));

        await ChangeAsync(change, connection);
        var claim = await _store.SaveUnchangedAsync(connection, Model, records.Select(KeyOf).ToList(), Run(), Ct, claimedGeneration: saved.After);

        // The records the change touched are to be sent again, as with no claim at all.
        Assert.Equal(changedPositions, claim.Send);
        Assert.Equal(records.Count - changedPositions.Length, claim.Counts.Unchanged);
        Assert.NotEqual(saved.After, claim.Generation);
    }

    /// <summary>Changes record "b" (or every record) of the model by one of the store's writes.</summary>
    private async Task ChangeAsync(string change, int connection)
    {
        switch (change)
        {
            case "save":
                await _store.SaveAsync(Environment, connection, Model, Records(new { id = "b", v = 2 }), Run(), Ct);
                break;
            case "update":
                await _store.UpdateAsync(Environment, connection, Model, Records(new { id = "b", v = 2 }), Run(), Ct);
                break;
            case "delete":
                await _store.DeleteAsync(Environment, connection, Model, Records(new { id = "b" }), Run(), Ct);
                break;
            case "track deletes":
                var mark = DateTimeOffset.UtcNow;
                await _store.SaveAsync(Environment, connection, Model, Records(new { id = "a", v = 1 }), Run(mark), Ct);
                Assert.Equal(["b"], await _store.DeleteUnseenAsync(connection, Model, mark, Ct));
                break;
            case "prune":
                var page = await _store.ListAsync(new RecordQuery { ConnectionId = connection, Model = Model }, Ct);
                Assert.Equal(2, (await _store.PruneAsync(connection, Model, page.Records[^1].Cursor, limit: null, Ct)).Count);
                break;
            case "retention prune":
                Assert.Equal(2, await _store.PruneNotUpdatedSinceAsync(DateTimeOffset.UtcNow.AddMinutes(1), 1000, Ct));
                break;
            case "delete all":
                Assert.Equal(2, await _store.DeleteAllAsync(connection, [Model], Ct));
                break;
            case "delete idle":
                // The connection is in no connections table here: its records are those of a connection that is gone.
                Assert.Equal(2, await _store.DeleteIdleAsync(DateTimeOffset.UtcNow.AddDays(1), Ct));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change, null);
        }
    }

    [Fact]
    public async Task Marking_records_seen_and_deletion_tracking_that_deletes_nothing_keep_the_generation()
    {
        var connection = NewConnection();
        var records = Records(new { id = "a", v = 1 }, new { id = "b", v = 1 });
        var saved = await SaveAsync(connection, Model, records, DateTimeOffset.UtcNow.AddMinutes(-10));
        var mark = DateTimeOffset.UtcNow;

        var lookedUp = await _store.SaveUnchangedAsync(connection, Model, records.Select(KeyOf).ToList(), Run(mark), Ct);
        var again = await SaveAsync(connection, Model, records, mark);
        Assert.Empty(await _store.DeleteUnseenAsync(connection, Model, mark, Ct));
        var claim = await _store.SaveUnchangedAsync(connection, Model, records.Select(KeyOf).ToList(), Run(mark), Ct, claimedGeneration: saved.After);

        Assert.Equal(saved.After, lookedUp.Generation);
        Assert.Equal(new RecordGeneration(saved.After, saved.After), again);
        Assert.Equal((2, saved.After), (claim.Counts.Unchanged, claim.Generation));
    }

    [Fact]
    public async Task A_claim_of_another_models_or_connections_generation_is_looked_up()
    {
        var connection = NewConnection();
        var records = Records(new { id = "a", v = 1 }, new { id = "b", v = 1 });
        var elsewhere = await SaveAsync(NewConnection(), Model, records);
        var otherModel = await SaveAsync(connection, "Comment", records);
        await SaveAsync(connection, Model, records);
        // "b" is claimed with a hash the store does not hold: only a lookup can tell.
        var keys = new List<RecordKey> { KeyOf(records[0]), KeyOf(Records(new { id = "b", v = 99 })[0]) };

        var withOtherConnections = await _store.SaveUnchangedAsync(connection, Model, keys, Run(), Ct, claimedGeneration: elsewhere.After);
        var withOtherModels = await _store.SaveUnchangedAsync(connection, Model, keys, Run(), Ct, claimedGeneration: otherModel.After);

        Assert.Equal([1], withOtherConnections.Send);
        Assert.Equal([1], withOtherModels.Send);
    }
}
