using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Bench;

/// <summary>What every scenario shares: its own migrated database on the bench server, arguments, and the results file.</summary>
internal static class BenchSupport
{
    public static string Server =>
        System.Environment.GetEnvironmentVariable("NANGO_BENCH_POSTGRES") ?? "Host=127.0.0.1;Port=55432;Username=postgres";

    public static string ConnectionString(string server, string database) =>
        new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;

    /// <summary>Creates the database and applies every migration, as a fresh install would.</summary>
    public static async Task CreateDatabaseAsync(string server, string name)
    {
        await using (var connection = new NpgsqlConnection(ConnectionString(server, "postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var options = new DbContextOptionsBuilder<NangoDbContext>()
            .UseNpgsql(ConnectionString(server, name), o => o.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention()
            .Options;
        await using var db = new NangoDbContext(options);
        await db.Database.MigrateAsync();
    }

    public static async Task DropDatabaseAsync(string server, string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ConnectionString(server, "postgres"));
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Writes <c>bench/results/{scenario}-{stamp}.json</c> next to Nango.sln and returns its path.</summary>
    public static string WriteResult(JsonObject result, string scenario, string stamp)
    {
        var folder = Path.Combine(RepositoryRoot(), "bench", "results");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"{scenario}-{stamp}.json");
        File.WriteAllText(file, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return file;
    }

    /// <summary>The folder holding Nango.sln, found upwards from the build output (the current directory if none is).</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Nango.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? Directory.GetCurrentDirectory();
    }

    public static int IntArg(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>A comma-separated list of integers, such as <c>--concurrency 1,32</c>.</summary>
    public static int[] IntListArg(string[] args, string name, int[] fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length
            ? args[index + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray()
            : fallback;
    }

    public static double Round(double value) => Math.Round(value, 3);

    public static string Redact(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.Password is not null)
        {
            builder.Password = "***";
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// The runner as scripts/run.sh and the Dockerfile ship it: published for this runtime, so ReadyToRun, which
    /// is what a cold start measures. <c>--runner PATH/Nango.Runner.dll</c> uses a given build instead (the IL copy
    /// in the bench output, say, to compare); the output says which one ran.
    /// </summary>
    public static async Task<string> RunnerAsShippedAsync(string[] args, string workDirectory)
    {
        var index = Array.IndexOf(args, "--runner");
        if (index >= 0 && index + 1 < args.Length)
        {
            var given = Path.GetFullPath(args[index + 1]);
            Console.WriteLine($"  runner: {given} (given with --runner)");
            return given;
        }
        var output = Path.Combine(workDirectory, "runner");
        var project = Path.Combine(RepositoryRoot(), "Nango.Runner", "Nango.Runner.csproj");
        var started = Stopwatch.StartNew();
        var publish = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "--use-current-runtime", "--self-contained", "false", "-o", output, "--nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(publish) ?? throw new InvalidOperationException("dotnet publish did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Publishing the runner failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
        var runner = Path.Combine(output, "Nango.Runner.dll");
        Console.WriteLine($"  runner: published as run.sh and the Dockerfile ship it (ReadyToRun) into {output} in {started.Elapsed.TotalSeconds:0} s");
        return runner;
    }
}
