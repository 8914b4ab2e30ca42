using Microsoft.Extensions.Logging.Abstractions;
using Nango.Core.Logs;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Integration.Logs;

/// <summary>The store contract on Postgres, plus what only Postgres has: partitions.</summary>
[Trait("Category", "Integration")]
public sealed class PostgresLogStoreTests : LogStoreContract
{
    private string _database = "";
    private NpgsqlDataSource _dataSource = null!;
    private PostgresLogStore _store = null!;

    protected override ILogStore Store => _store;

    public override async ValueTask InitializeAsync()
    {
        _database = await TestPostgres.CreateDatabaseAsync();
        _dataSource = NpgsqlDataSource.Create(TestPostgres.ConnectionStringFor(_database));
        _store = new PostgresLogStore(_dataSource, new PostgresLogPartitions(_dataSource, NullLogger<PostgresLogPartitions>.Instance));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await _store.PrepareAsync(today.AddDays(-2), today.AddDays(2), TestContext.Current.CancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await TestPostgres.DropDatabaseAsync(_database);
    }

    [Fact]
    public async Task Retention_drops_the_old_day_partitions_themselves()
    {
        var env = NewEnvironment();
        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        var oldDay = today.AddDays(-20);
        await _store.PrepareAsync(oldDay, oldDay, Ct);
        var old = Op(env, new DateTimeOffset(oldDay.ToDateTime(new TimeOnly(8, 0)), TimeSpan.Zero));
        await WriteAsync(old, Msg(old, old.CreatedAt.AddSeconds(1), "old"));
        Assert.True(await TableExistsAsync(PostgresLogPartitions.PartitionName("log_operations", oldDay)));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM {PostgresLogPartitions.PartitionName("log_messages", oldDay)}"));

        var dropped = await _store.DropDaysBeforeAsync(today.AddDays(-14), Ct);

        Assert.Contains(PostgresLogPartitions.PartitionName("log_operations", oldDay), dropped);
        Assert.Contains(PostgresLogPartitions.PartitionName("log_messages", oldDay), dropped);
        Assert.False(await TableExistsAsync(PostgresLogPartitions.PartitionName("log_operations", oldDay)));
        Assert.False(await TableExistsAsync(PostgresLogPartitions.PartitionName("log_messages", oldDay)));
        Assert.True(await TableExistsAsync(PostgresLogPartitions.PartitionName("log_operations", today)));
    }

    [Fact]
    public async Task Rows_written_before_their_day_had_a_partition_move_into_it_when_it_is_created()
    {
        var env = NewEnvironment();
        var day = DateOnly.FromDateTime(Now.UtcDateTime).AddDays(-9);
        var op = Op(env, new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero));
        await WriteAsync(op, Msg(op, op.CreatedAt.AddSeconds(1), "early bird"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM log_operations_default WHERE id = '{op.Id}'"));

        await _store.PrepareAsync(day, day, Ct);

        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM log_operations_default WHERE id = '{op.Id}'"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM {PostgresLogPartitions.PartitionName("log_operations", day)} WHERE id = '{op.Id}'"));
        Assert.Equal([op.Id], (await _store.SearchOperationsAsync(env, new() { Search = "early" }, Ct)).Items.Select(o => o.Id));
    }

    [Fact]
    public async Task Rows_of_today_land_in_todays_partition()
    {
        var env = NewEnvironment();
        var op = Op(env, Now);
        await WriteAsync(op);
        var partition = await ScalarAsync<string>($"SELECT tableoid::regclass::text FROM log_operations WHERE id = '{op.Id}'");
        Assert.Equal(PostgresLogPartitions.PartitionName("log_operations", DateOnly.FromDateTime(Now.UtcDateTime)), partition);
    }

    private async Task<bool> TableExistsAsync(string name) => await ScalarAsync<bool>($"SELECT to_regclass('{name}') IS NOT NULL");

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
