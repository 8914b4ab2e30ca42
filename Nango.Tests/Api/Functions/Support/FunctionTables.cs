using Npgsql;

namespace Nango.Tests.Api.Functions.Support;

/// <summary>Direct reads of the function tables, for assertions the API does not expose (version rows, deployments).</summary>
public static class FunctionTables
{
    /// <summary>A fingerprint of every function, version and deployment row, to assert a refused request wrote nothing.</summary>
    public static async Task<string> SnapshotAsync(string connectionString)
    {
        var parts = new List<string>();
        foreach (var table in new[] { "functions", "function_versions", "function_deployments" })
        {
            // Table names come from the fixed list above.
            parts.Add($"{table}: {await ScalarAsync(connectionString, $"SELECT count(*)::text || ' rows, ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t.id)), '-') FROM {table} t")}");
        }
        return string.Join("; ", parts);
    }

    /// <summary>Versions of one function of an environment (live or deleted), oldest first: (revision, version label).</summary>
    public static async Task<List<(int Revision, string Version)>> VersionsAsync(string connectionString, int environmentId, string name)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT v.revision, v.version FROM function_versions v JOIN functions f ON f.id = v.function_id WHERE f.environment_id = @env AND f.name = @name ORDER BY f.id, v.revision",
            connection);
        command.Parameters.AddWithValue("env", environmentId);
        command.Parameters.AddWithValue("name", name);
        var result = new List<(int, string)>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            result.Add((reader.GetInt32(0), reader.GetString(1)));
        }
        return result;
    }

    public static async Task<long> CountAsync(string connectionString, string sql, int environmentId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("env", environmentId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<string> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}
