using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Nango.Core.Persistence;
using Nango.Core.Records;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Integration.Records;

/// <summary>
/// Records stored as jsonb before migration RecordsPayloadAsSentWithoutId read back the same after it: through the API's
/// page, by id, and left alone by an unchanged save.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RecordsPayloadMigrationTests : IAsyncLifetime
{
    private string _database = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await TestPostgres.CreateEmptyDatabaseAsync("nango_test_migration");

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

        var page = await store.ListAsync(new RecordQuery { ConnectionId = 7, Model = "Issue" }, Ct);
        var a = page.Records.Single(r => r.ExternalId == "a").ToJson();
        Assert.Equal("a", a.GetProperty("id").GetString());
        Assert.Equal("One", a.GetProperty("title").GetString());
        Assert.Equal(1, a.GetProperty("n").GetInt32());
        Assert.Equal(["id", "_nango_metadata"], page.Records.Single(r => r.ExternalId == "b").ToJson().EnumerateObject().Select(p => p.Name));
        var byId = await store.GetByIdsAsync(7, "Issue", ["a"], Ct);
        Assert.Equal("One", byId["a"].GetProperty("title").GetString());
        var again = await store.SaveAsync(1, 7, "Issue", [System.Text.Json.JsonDocument.Parse("""{"id":"a","title":"One","n":1}""").RootElement], new RecordWriteOptions(), Ct);
        Assert.Equal(new RecordWriteResult(0, 0, 1, 0), again);
    }
}
