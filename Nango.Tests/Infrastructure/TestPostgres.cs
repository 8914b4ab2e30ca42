using Microsoft.EntityFrameworkCore;
using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Tests.Infrastructure;

/// <summary>
/// The Postgres server the tests use: <c>NANGO_TEST_POSTGRES</c> (a connection string without a database),
/// defaulting to the cluster the test script starts. A migrated template database is built once per run
/// and each test class gets its own copy, so classes never see each other's rows and need no clean-up order.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim _templateLock = new(1, 1);
    private static string? _templateName;

    public static string ServerConnectionString =>
        System.Environment.GetEnvironmentVariable("NANGO_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=55432;Username=postgres";

    public static string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database, Pooling = true }.ConnectionString;

    /// <summary>Creates a fresh, migrated database and returns its name.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var template = await EnsureTemplateAsync();
        var name = "nango_test_" + Guid.NewGuid().ToString("N")[..16];
        await ExecuteAsync($"CREATE DATABASE {name} TEMPLATE {template}");
        return name;
    }

    /// <summary>Creates an empty database (no Nango schema), for test services that bring their own, and returns its name.</summary>
    public static async Task<string> CreateEmptyDatabaseAsync(string prefix)
    {
        var name = prefix + "_" + Guid.NewGuid().ToString("N")[..16];
        await ExecuteAsync($"CREATE DATABASE {name}");
        return name;
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private static async Task<string> EnsureTemplateAsync()
    {
        if (_templateName is not null)
        {
            return _templateName;
        }
        await _templateLock.WaitAsync();
        try
        {
            if (_templateName is not null)
            {
                return _templateName;
            }
            // One template per process: concurrent test runs (several worktrees) never share a half-built one.
            var name = $"nango_tpl_{System.Environment.ProcessId}_{Guid.NewGuid().ToString("N")[..6]}";
            await ExecuteAsync($"CREATE DATABASE {name}");
            var options = new DbContextOptionsBuilder<NangoDbContext>()
                .UseNpgsql(ConnectionStringFor(name), o => o.MigrationsHistoryTable("__ef_migrations_history"))
                .UseSnakeCaseNamingConvention()
                .Options;
            await using (var db = new NangoDbContext(options))
            {
                await db.Database.MigrateAsync();
            }
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync($"ALTER DATABASE {name} WITH IS_TEMPLATE true");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => DropTemplate(name);
            _templateName = name;
            return name;
        }
        finally
        {
            _templateLock.Release();
        }
    }

    private static void DropTemplate(string name)
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
            connection.Open();
            using var alter = new NpgsqlCommand($"ALTER DATABASE {name} WITH IS_TEMPLATE false", connection);
            alter.ExecuteNonQuery();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
            // Best effort at process exit; a leftover template is harmless and named per process.
        }
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
