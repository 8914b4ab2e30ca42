using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Nango.Core.Logs;

/// <summary>
/// One partition per UTC day for each log table, named <c>log_operations_pYYYYMMDD</c> and
/// <c>log_messages_pYYYYMMDD</c>. Retention drops whole partitions (no DELETE, no bloat, no vacuum debt).
/// The DEFAULT partition catches rows for a day without a partition; creating that day later moves them.
/// </summary>
public sealed partial class PostgresLogPartitions(NpgsqlDataSource dataSource, ILogger<PostgresLogPartitions> logger)
{
    public static readonly IReadOnlyList<string> Tables = ["log_operations", "log_messages"];

    // Instances starting together would race on CREATE TABLE; one transaction-scoped advisory lock serialises them.
    private const string LockPartitions = "SELECT pg_advisory_xact_lock(hashtext('nango.log_partitions'))";

    private const string PartitionExists = "SELECT to_regclass(@name) IS NOT NULL";

    private const string CreatePartition = "CREATE TABLE {0} PARTITION OF {1} FOR VALUES FROM ('{2}') TO ('{3}')";

    private const string DefaultHasRows = "SELECT EXISTS (SELECT 1 FROM {0}_default WHERE created_at >= @from AND created_at < @to)";

    private const string InsertableColumns = """
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
        WHERE attrelid = @table::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
        """;

    // Rows already in DEFAULT for that day must leave it before the partition can be created.
    private const string MoveOutOfDefault = """
        CREATE TEMP TABLE log_partition_move ON COMMIT DROP AS SELECT {2} FROM {0}_default WHERE created_at >= @from AND created_at < @to;
        DELETE FROM {0}_default WHERE created_at >= @from AND created_at < @to;
        {1};
        INSERT INTO {0} ({2}) SELECT {2} FROM log_partition_move;
        """;

    private const string ListPartitions = """
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = @table
        """;

    private const string DropPartition = "DROP TABLE IF EXISTS {0}";

    private const string DeleteOldDefaultRows = "DELETE FROM {0}_default WHERE created_at < @before";

    private static readonly System.Text.CompositeFormat CreatePartitionFormat = System.Text.CompositeFormat.Parse(CreatePartition);

    private static readonly System.Text.CompositeFormat DefaultHasRowsFormat = System.Text.CompositeFormat.Parse(DefaultHasRows);

    private static readonly System.Text.CompositeFormat DeleteOldDefaultRowsFormat = System.Text.CompositeFormat.Parse(DeleteOldDefaultRows);

    private static readonly System.Text.CompositeFormat DropPartitionFormat = System.Text.CompositeFormat.Parse(DropPartition);

    private static readonly System.Text.CompositeFormat MoveOutOfDefaultFormat = System.Text.CompositeFormat.Parse(MoveOutOfDefault);

    public static string PartitionName(string table, DateOnly day) =>
        table + "_p" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public async Task EnsureAsync(DateOnly firstDay, DateOnly lastDay, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
        {
            foreach (var table in Tables)
            {
                await EnsureOneAsync(connection, table, day, ct);
            }
        }
    }

    private async Task EnsureOneAsync(NpgsqlConnection connection, string table, DateOnly day, CancellationToken ct)
    {
        var name = PartitionName(table, day);
        await using (var exists = new NpgsqlCommand(PartitionExists, connection))
        {
            exists.Parameters.Add(new NpgsqlParameter<string>("name", name));
            if ((bool)(await exists.ExecuteScalarAsync(ct))!)
            {
                return;
            }
        }
        var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var to = from.AddDays(1);
        var create = string.Format(CultureInfo.InvariantCulture, CreatePartitionFormat, name, table, Literal(from), Literal(to));

        await using var transaction = await connection.BeginTransactionAsync(ct);
        await Execute(connection, LockPartitions, ct);
        await using (var exists = new NpgsqlCommand(PartitionExists, connection))
        {
            exists.Parameters.Add(new NpgsqlParameter<string>("name", name));
            if ((bool)(await exists.ExecuteScalarAsync(ct))!)
            {
                return;
            }
        }
        bool defaultHasRows;
        await using (var check = new NpgsqlCommand(string.Format(CultureInfo.InvariantCulture, DefaultHasRowsFormat, table), connection))
        {
            check.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", from));
            check.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", to));
            defaultHasRows = (bool)(await check.ExecuteScalarAsync(ct))!;
        }
        if (defaultHasRows)
        {
            string columns;
            await using (var list = new NpgsqlCommand(InsertableColumns, connection))
            {
                list.Parameters.Add(new NpgsqlParameter<string>("table", table));
                columns = (string)(await list.ExecuteScalarAsync(ct))!;
            }
            await using var move = new NpgsqlCommand(string.Format(CultureInfo.InvariantCulture, MoveOutOfDefaultFormat, table, create, columns), connection);
            move.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", from));
            move.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", to));
            await move.ExecuteNonQueryAsync(ct);
            LogMoved(logger, table, day);
        }
        else
        {
            await Execute(connection, create, ct);
        }
        await transaction.CommitAsync(ct);
        LogCreated(logger, name);
    }

    /// <summary>Drops the day partitions before <paramref name="firstDayKept"/> and deletes older stragglers in DEFAULT.</summary>
    public async Task<IReadOnlyList<string>> DropBeforeAsync(DateOnly firstDayKept, CancellationToken ct)
    {
        var dropped = new List<string>();
        var before = new DateTimeOffset(firstDayKept.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var table in Tables)
        {
            var names = new List<string>();
            await using (var list = new NpgsqlCommand(ListPartitions, connection))
            {
                list.Parameters.Add(new NpgsqlParameter<string>("table", table));
                await using var reader = await list.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    names.Add(reader.GetString(0));
                }
            }
            foreach (var name in names)
            {
                var suffix = name.AsSpan(table.Length);
                if (suffix.StartsWith("_p") && DateOnly.TryParseExact(suffix[2..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                    && day < firstDayKept)
                {
                    await Execute(connection, string.Format(CultureInfo.InvariantCulture, DropPartitionFormat, name), ct);
                    dropped.Add(name);
                    LogDropped(logger, name);
                }
            }
            await using var delete = new NpgsqlCommand(string.Format(CultureInfo.InvariantCulture, DeleteOldDefaultRowsFormat, table), connection);
            delete.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("before", before));
            await delete.ExecuteNonQueryAsync(ct);
        }
        return dropped;
    }

    private static string Literal(DateTimeOffset value) => value.ToString("yyyy-MM-dd HH:mm:ss'+00'", CultureInfo.InvariantCulture);

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created log partition {Name}")]
    private static partial void LogCreated(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Moved {Table} rows of {Day} out of the default partition into their own")]
    private static partial void LogMoved(ILogger logger, string table, DateOnly day);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped log partition {Name} (retention)")]
    private static partial void LogDropped(ILogger logger, string name);
}
