using Npgsql;

namespace Nango.Tests.Api.Support;

/// <summary>
/// A fingerprint of every tenant-data table (row count plus a hash of each row's full text, ordered by id),
/// so a test can assert that a rejected request changed nothing at all, timestamps included.
/// </summary>
public static class DatabaseSnapshot
{
    private static readonly string[] _tables = ["environments", "environment_variables", "integrations", "connections", "connect_sessions"];

    public static async Task<string> TakeAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var parts = new List<string>();
        foreach (var table in _tables)
        {
            // Table names come from the fixed list above.
            await using var command = new NpgsqlCommand(
                $"SELECT count(*)::text || ' rows, ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t.id)), '-') FROM {table} t", connection);
            parts.Add($"{table}: {await command.ExecuteScalarAsync(ct)}");
        }
        return string.Join("; ", parts);
    }

    /// <summary>Rows of a table that are not soft-deleted (tables without deleted_at count every row).</summary>
    public static async Task<long> CountLiveAsync(string connectionString, string table, CancellationToken ct)
    {
        if (!_tables.Contains(table, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Unknown table {table}.", nameof(table));
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var live = table is "integrations" or "connections" ? " WHERE deleted_at IS NULL" : "";
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table}{live}", connection);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }
}
