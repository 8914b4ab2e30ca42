using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Nango.Core.Persistence;
using Nango.Core.Records;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Integration.Records;

/// <summary>
/// Records stored before a migration of the records table work as before after it: stored as jsonb before
/// RecordsPayloadAsSentWithoutId, they read back the same and an unchanged save leaves them alone; stored under an MD5
/// before RecordsHashXxHash128, the first save after it reports only the ones that changed as updated, keeps the
/// others' place in the change stream, and from then on they compare by today's hash, by a full save and by keys alike.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RecordsMigrationTests : IAsyncLifetime
{
    private const int Connection = 7;
    private const string Model = "Issue";

    private string _database = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What a write counted, without the generations a save also reports (RecordGenerationTests checks those).</summary>
    private static RecordWriteResult Counted(RecordWriteResult result) => result with { Generation = null };

    public async ValueTask InitializeAsync() => _database = await TestPostgres.CreateEmptyDatabaseAsync("nango_test_records_migration");

    public async ValueTask DisposeAsync() => await TestPostgres.DropDatabaseAsync(_database);

    private NangoDbContext Context() => new(new DbContextOptionsBuilder<NangoDbContext>()
        .UseNpgsql(TestPostgres.ConnectionStringFor(_database), o => o.MigrationsHistoryTable("__ef_migrations_history"))
        .UseSnakeCaseNamingConvention()
        .Options);

    [Fact]
    public async Task Jsonb_records_written_before_the_migration_read_back_unchanged_after_it()
    {
        await using (var db = Context())
        {
            await db.GetService<IMigrator>().MigrateAsync("CheckpointsPerVariant", cancellationToken: Ct);
        }
        // The store's hash of the record as sent, so that an unchanged save after the migration finds it unchanged.
#pragma warning disable CA5351
        var hash = System.Security.Cryptography.MD5.HashData("""{"id":"a","title":"One","n":1}"""u8);
#pragma warning restore CA5351
        await using (var connection = new NpgsqlConnection(TestPostgres.ConnectionStringFor(_database)))
        {
            await connection.OpenAsync(Ct);
            await using var insert = new NpgsqlCommand("""
                INSERT INTO records (id, environment_id, connection_id, model, external_id, data, data_hash, size_bytes, created_at, updated_at)
                VALUES (gen_random_uuid(), 1, 7, 'Issue', 'a', '{"id":"a","title":"One","n":1}', @hash, 31, now(), now()),
                       (gen_random_uuid(), 1, 7, 'Issue', 'b', '{"id":"b"}', '\x00', 10, now(), now())
                """, connection);
            insert.Parameters.AddWithValue("hash", hash);
            await insert.ExecuteNonQueryAsync(Ct);
        }

        await using (var db = Context())
        {
            await db.Database.MigrateAsync(Ct);
        }
        using var store = new RecordStore(TestPostgres.ConnectionStringFor(_database), new RecordsOptions());

        var page = await store.ListAsync(new RecordQuery { ConnectionId = Connection, Model = Model }, Ct);
        var a = page.Records.Single(r => r.ExternalId == "a").ToJson();
        Assert.Equal("a", a.GetProperty("id").GetString());
        Assert.Equal("One", a.GetProperty("title").GetString());
        Assert.Equal(1, a.GetProperty("n").GetInt32());
        Assert.Equal(["id", "_nango_metadata"], page.Records.Single(r => r.ExternalId == "b").ToJson().EnumerateObject().Select(p => p.Name));
        var byId = await store.GetByIdsAsync(Connection, Model, ["a"], Ct);
        Assert.Equal("One", byId["a"].GetProperty("title").GetString());
        var again = await store.SaveAsync(1, Connection, Model, [JsonDocument.Parse("""{"id":"a","title":"One","n":1}""").RootElement], new RecordWriteOptions(), Ct);
        Assert.Equal(new RecordWriteResult(0, 0, 1, 0), Counted(again));
    }

    [Fact]
    public async Task Records_hashed_with_md5_are_updated_only_when_they_changed_and_then_compare_by_the_new_hash()
    {
        await using (var db = Context())
        {
            await db.GetService<IMigrator>().MigrateAsync("RecordsPayloadAsSentWithoutId", cancellationToken: Ct);
        }
        await InsertMd5RecordAsync("same", """{"id":"same","v":1}""");
        await InsertMd5RecordAsync("edited", """{"id":"edited","v":1}""");
        await using (var db = Context())
        {
            await db.Database.MigrateAsync(Ct);
        }
        using var store = new RecordStore(TestPostgres.ConnectionStringFor(_database), new RecordsOptions());
        var before = await UpdatedAtAsync(store);
        string[] sent = ["""{"id":"same","v":1}""", """{"id":"edited","v":2}"""];

        // By keys, an MD5 cannot be compared: both are asked for in full, and nothing is counted yet.
        var byKeys = await store.SaveUnchangedAsync(Connection, Model, sent.Select(KeyOf).ToList(), new RecordWriteOptions(), Ct);
        Assert.Equal(RecordWriteResult.None, byKeys.Counts);
        Assert.Equal([0, 1], byKeys.Send);

        var seenAt = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var first = await store.SaveAsync(1, Connection, Model, Elements(sent), new RecordWriteOptions { SeenAt = seenAt }, Ct);
        Assert.Equal(new RecordWriteResult(0, 1, 1, 0), Counted(first));
        var after = await UpdatedAtAsync(store);
        Assert.Equal(before["same"], after["same"]);
        Assert.True(after["edited"] > before["edited"]);
        Assert.Equal(2, (await store.GetByIdsAsync(Connection, Model, ["edited"], Ct))["edited"].GetProperty("v").GetInt32());
        Assert.Equal((seenAt, false), await SeenAndMd5Async("same"));
        Assert.Equal((seenAt, false), await SeenAndMd5Async("edited"));

        // Converted: the same records are unchanged by a full save and by their keys, and nothing moves.
        Assert.Equal(new RecordWriteResult(0, 0, 2, 0), Counted(await store.SaveAsync(1, Connection, Model, Elements(sent), new RecordWriteOptions(), Ct)));
        var again = await store.SaveUnchangedAsync(Connection, Model, sent.Select(KeyOf).ToList(), new RecordWriteOptions(), Ct);
        Assert.Equal((new RecordWriteResult(0, 0, 2, 0), 0), (again.Counts, again.Send.Count));
        Assert.Equal(after, await UpdatedAtAsync(store));
    }

    private static RecordKey KeyOf(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return new RecordKey(JsonDocument.Parse(json).RootElement.GetProperty("id").GetString()!, XxHash128.Hash(bytes), bytes.Length);
    }

    private static List<JsonElement> Elements(string[] records) => records.Select(r => JsonDocument.Parse(r).RootElement).ToList();

    private static async Task<Dictionary<string, DateTimeOffset>> UpdatedAtAsync(RecordStore store)
    {
        var page = await store.ListAsync(new RecordQuery { ConnectionId = Connection, Model = Model }, Ct);
        return page.Records.ToDictionary(r => r.ExternalId, r => r.UpdatedAt);
    }

    /// <summary>A record as the store wrote it before the migration: its payload without the id, the MD5 of the record as sent.</summary>
    private async Task InsertMd5RecordAsync(string externalId, string json)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!
            .Where(p => p.Key != "id").ToDictionary(p => p.Key, p => p.Value));
        await using var connection = new NpgsqlConnection(TestPostgres.ConnectionStringFor(_database));
        await connection.OpenAsync(Ct);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO records (id, environment_id, connection_id, model, external_id, payload, data_hash, size_bytes, created_at, updated_at)
            VALUES (gen_random_uuid(), 1, @connection, @model, @external_id, @payload, @hash, @size, now() - interval '1 day', now() - interval '1 day')
            """, connection);
        insert.Parameters.AddWithValue("connection", Connection);
        insert.Parameters.AddWithValue("model", Model);
        insert.Parameters.AddWithValue("external_id", externalId);
        insert.Parameters.AddWithValue("payload", payload);
#pragma warning disable CA5351 // The hash the store used then.
        insert.Parameters.AddWithValue("hash", System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(json)));
#pragma warning restore CA5351
        insert.Parameters.AddWithValue("size", Encoding.UTF8.GetByteCount(json));
        await insert.ExecuteNonQueryAsync(Ct);
    }

    private async Task<(DateTimeOffset? SeenAt, bool HashIsMd5)> SeenAndMd5Async(string externalId)
    {
        await using var connection = new NpgsqlConnection(TestPostgres.ConnectionStringFor(_database));
        await connection.OpenAsync(Ct);
        await using var select = new NpgsqlCommand("SELECT seen_at, hash_is_md5 FROM records WHERE external_id = @id", connection);
        select.Parameters.AddWithValue("id", externalId);
        await using var reader = await select.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.GetBoolean(1));
    }
}
