using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Integration.Logs;

/// <summary>The whole write path (service, buffer, flusher, Postgres store) and the maintenance on a real database.</summary>
[Trait("Category", "Integration")]
public sealed class LogServicePostgresTests : IAsyncLifetime
{
    private static readonly EnvironmentContext _environment = new(1, 4242, "dev", Guid.NewGuid());
    private string _database = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await TestPostgres.CreateDatabaseAsync();

    public async ValueTask DisposeAsync() => await TestPostgres.DropDatabaseAsync(_database);

    private IHost CreateHost(TimeProvider? clock = null) =>
        Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Nango"] = TestPostgres.ConnectionStringFor(_database),
                ["Nango:Logs:RetentionDays"] = "3",
            }))
            .ConfigureServices((context, services) =>
            {
                if (clock is not null)
                {
                    services.Replace(ServiceDescriptor.Singleton(clock));
                }
                services.AddOptions<Nango.Core.NangoOptions>().Bind(context.Configuration.GetSection("Nango"));
                services.AddNangoLogs(context.Configuration);
            })
            .Build();

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(TestPostgres.ConnectionStringFor(_database));
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    [Fact]
    public async Task Stopping_the_host_flushes_every_buffered_row_to_Postgres()
    {
        using var host = CreateHost();
        await host.StartAsync(Ct);
        var logs = host.Services.GetRequiredService<ILogService>();
        for (var i = 0; i < 300; i++)
        {
            var operation = logs.StartOperation(OperationStart.For(LogOperationKinds.ActionRun, _environment) with { FunctionName = "send-email" });
            operation.Info("step one");
            operation.Info("step two");
            operation.Succeed();
        }

        await host.StopAsync(Ct);

        Assert.True(logs.Stats.Failed == 0, $"store refused writes: {logs.Stats}");
        Assert.Equal(300L, await ScalarAsync<long>("SELECT count(*) FROM log_operations WHERE state = 'success'"));
        Assert.Equal(600L, await ScalarAsync<long>("SELECT count(*) FROM log_messages"));
        Assert.Equal(0L, logs.Stats.Dropped);
    }

    [Fact]
    public async Task Credentials_never_reach_the_database()
    {
        using var host = CreateHost();
        await host.StartAsync(Ct);
        var logs = host.Services.GetRequiredService<ILogService>();
        var operation = logs.StartOperation(OperationStart.For(LogOperationKinds.ProxyCall, _environment) with
        {
            Request = new LogHttpRequest("GET", "https://api.example.com/me?api_key=leak-query", new Dictionary<string, string> { ["Authorization"] = "Bearer leak-header-op" }),
            Meta = new JsonObject { ["client_secret"] = "leak-meta" },
        });
        operation.Http(
            new LogHttpRequest("POST", "https://api.example.com/oauth/token",
                new Dictionary<string, string> { ["Authorization"] = "Basic leak-basic", ["X-Api-Key"] = "leak-api-key", ["Accept"] = "application/json" },
                """{"grant_type":"refresh_token","refresh_token":"leak-refresh","client_secret":"leak-secret"}"""),
            new LogHttpResponse(200, new Dictionary<string, string> { ["Set-Cookie"] = "sid=leak-cookie" }, """{"access_token":"leak-access","token_type":"bearer","expires_in":3600}"""));
        operation.Error("token refresh failed", new LogError("http_error", "bad", Payload: new JsonObject { ["password"] = "leak-password" }));
        operation.Succeed();
        await host.StopAsync(Ct);

        var everything = await ScalarAsync<string>("""
            SELECT (SELECT string_agg(t::text, ' ') FROM log_operations t) || ' ' || (SELECT string_agg(t::text, ' ') FROM log_messages t)
            """);
        Assert.DoesNotContain("leak", everything, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", everything, StringComparison.Ordinal);
        Assert.Contains("application/json", everything, StringComparison.Ordinal);
        Assert.Contains("3600", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_watchdog_marks_an_expired_running_operation_timeout()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = CreateHost(clock);
        await host.StartAsync(Ct);
        var logs = host.Services.GetRequiredService<ILogService>();
        var expiring = logs.StartOperation(OperationStart.For(LogOperationKinds.AuthCreateConnection, _environment));
        var syncing = logs.StartOperation(OperationStart.For(LogOperationKinds.SyncRun, _environment));
        var done = logs.StartOperation(OperationStart.For(LogOperationKinds.AuthCreateConnection, _environment));
        done.Succeed();
        await WaitForWrittenAsync(logs, 4);

        clock.Advance(TimeSpan.FromMinutes(6));
        var timedOut = await host.Services.GetRequiredService<LogMaintenance>().TimeoutExpiredAsync(Ct);
        await host.StopAsync(Ct);

        Assert.Equal(1, timedOut);
        Assert.Equal("timeout", await ScalarAsync<string>($"SELECT state FROM log_operations WHERE id = '{expiring.Id}'"));
        Assert.Equal("running", await ScalarAsync<string>($"SELECT state FROM log_operations WHERE id = '{syncing.Id}'"));
        Assert.Equal("success", await ScalarAsync<string>($"SELECT state FROM log_operations WHERE id = '{done.Id}'"));
    }

    [Fact]
    public async Task Start_up_creates_partitions_ahead_and_retention_drops_partitions_past_the_configured_days()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = CreateHost(clock);
        await host.StartAsync(Ct);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        foreach (var day in new[] { today, today.AddDays(1), today.AddDays(2) })
        {
            Assert.True(await ScalarAsync<bool>($"SELECT to_regclass('{PostgresLogPartitions.PartitionName("log_messages", day)}') IS NOT NULL"));
        }
        var logs = host.Services.GetRequiredService<ILogService>();
        var op = logs.StartOperation(OperationStart.For(LogOperationKinds.ProxyCall, _environment));
        op.Info("today's message");
        await WaitForWrittenAsync(logs, 2);

        // Three days later with RetentionDays = 3, today's partition is the oldest one to go.
        clock.Advance(TimeSpan.FromDays(3));
        var maintenance = host.Services.GetRequiredService<LogMaintenance>();
        await maintenance.PrepareDaysAsync(Ct);
        var dropped = await maintenance.ApplyRetentionAsync(Ct);
        await host.StopAsync(Ct);

        Assert.Contains(PostgresLogPartitions.PartitionName("log_operations", today), dropped);
        Assert.DoesNotContain(PostgresLogPartitions.PartitionName("log_operations", today.AddDays(1)), dropped);
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM log_operations"));
        Assert.True(await ScalarAsync<bool>($"SELECT to_regclass('{PostgresLogPartitions.PartitionName("log_operations", today.AddDays(5))}') IS NOT NULL"));
    }

    [Fact]
    public async Task The_histogram_has_every_hour_of_the_last_day_for_each_type()
    {
        using var host = CreateHost();
        await host.StartAsync(Ct);
        var logs = host.Services.GetRequiredService<ILogService>();
        logs.StartOperation(OperationStart.For(LogOperationKinds.ProxyCall, _environment)).Succeed();
        logs.StartOperation(OperationStart.For(LogOperationKinds.ProxyCall, _environment)).Fail();
        logs.StartOperation(OperationStart.For(LogOperationKinds.SyncRun, _environment));
        await WaitForWrittenAsync(logs, 5);

        var buckets = await host.Services.GetRequiredService<LogQueryService>().HistogramAsync(_environment, LogBucketSize.Hour, null, Ct);
        await host.StopAsync(Ct);

        Assert.Equal(48, buckets.Count);
        Assert.Equal(24, buckets.Select(b => b.Start).Distinct().Count());
        var proxyNow = buckets.Last(b => b.Type == "proxy");
        Assert.Equal((2L, 1L, 1L), (proxyNow.Total, proxyNow.Success, proxyNow.Failed));
        Assert.Equal(1L, buckets.Last(b => b.Type == "sync").Running);
        Assert.Equal(3L, buckets.Sum(b => b.Total));
    }

    private static async Task WaitForWrittenAsync(ILogService logs, long count)
    {
        for (var i = 0; i < 100 && logs.Stats.Written < count; i++)
        {
            await Task.Delay(50, Ct);
        }
        Assert.True(logs.Stats.Written >= count, $"written {logs.Stats.Written} of {count}");
    }
}
