using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Syncs.Schedules;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Api.Syncs.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Integration.Syncs;

/// <summary>
/// The issue's fault test: two Nango.Web processes on one database schedule 200 syncs every 30 s for three minutes,
/// and every due run is enqueued exactly once — while, for half of that time, this test process runs the same tick
/// statement in two more loops as fast as it can (the overlap Quartz clustering normally prevents), and one of the
/// two processes is killed midway.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SchedulerTwoInstancesTests : IAsyncLifetime
{
    private const int Connections = 200;
    private const int EverySeconds = 30;
    private static readonly TimeSpan RunFor = TimeSpan.FromMinutes(3);

    // Owns the database, creates the data and completes runs; it neither ticks nor dispatches.
    private readonly SyncFactory _setup = new();
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));
    private readonly List<RunningWebProcess> _processes = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _setup.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
        await _setup.DisposeAsync();
        if (Directory.Exists(_dataPath))
        {
            Directory.Delete(_dataPath, recursive: true);
        }
    }

    [Fact]
    public async Task Two_instances_enqueue_every_due_run_of_200_schedules_exactly_once()
    {
        var client = _setup.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        // Rows straight in: the API's connection creation is tested elsewhere, and 200 imports would eat the time budget.
        await SyncDb.ExecuteAsync(_setup.ConnectionString, $$"""
            INSERT INTO connections (environment_id, integration_id, connection_id, credentials_ciphertext, connection_config, metadata, tags, errors,
                created_at, updated_at, refresh_attempts, refresh_exhausted)
            SELECT i.environment_id, i.id, 'conn-' || lpad(n::text, 3, '0'), '', '{}', '{}', '{}', '[]', now(), now(), 0, false
            FROM integrations i, generate_series(0, {{Connections - 1}}) AS n
            """);
        var sync = DeployBodies.Sync("fetchIssues");
        sync["runs"] = $"{EverySeconds}s";
        await client.DeploySyncsAsync(sync);
        // Parked until both processes tick: on a loaded machine their start can outlast a first slot, whose run would
        // then be enqueued late and still be going at the next slot, which is skipped by design.
        await SyncDb.ExecuteAsync(_setup.ConnectionString, "UPDATE sync_schedules SET next_run_at = now() + interval '1 hour'");
        var schedulersBefore = await SchedulerInstancesAsync();

        for (var i = 0; i < 2; i++)
        {
            _processes.Add(WebProcess.Start(["--urls", "http://127.0.0.1:0"], new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__Nango"] = _setup.ConnectionString,
                ["Nango__EncryptionKey"] = _setup.EncryptionKey,
                ["Nango__DataPath"] = _dataPath,
                ["Nango__Functions__DispatchEnabled"] = "false",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Nango.Core.Scheduling"] = "Debug",
            }));
        }

        var startDeadline = Stopwatch.StartNew();
        while (await SchedulerInstancesAsync() < schedulersBefore + 2)
        {
            Assert.True(startDeadline.Elapsed < TimeSpan.FromMinutes(2), $"The processes' schedulers did not start.\n{_processes[0].Output}\n{_processes[1].Output}");
            await Task.Delay(250, Ct);
        }
        // Spread the first runs over one interval, starting once the processes are up.
        await SyncDb.ExecuteAsync(_setup.ConnectionString, $"""
            UPDATE sync_schedules s SET next_run_at = date_trunc('second', now()) + make_interval(secs => 15 + n.k % {EverySeconds})
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS k FROM sync_schedules) n WHERE n.id = s.id
            """);
        var firstDue = (await SyncDb.SchedulesAsync(_setup.ConnectionString)).ToDictionary(s => s.Id, s => s.NextRunAt);
        Assert.Equal(Connections, firstDue.Count);

        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        // Stands in for the runs: whatever was enqueued ends at once, so each schedule may run at its next slot.
        var completing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await SyncDb.CompleteSyncTasksAsync(_setup.ConnectionString);
                await Task.Delay(300, CancellationToken.None);
            }
        }, CancellationToken.None);

        // Phase 1: only the two processes tick, until each schedule has run once (due within 45 s).
        var byProcesses = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(90) && (byProcesses = (await SyncDb.SyncTasksAsync(_setup.ConnectionString)).Count) < Connections)
        {
            await Task.Delay(1000, Ct);
        }
        Assert.True(byProcesses >= Connections,
            $"The processes enqueued {byProcesses} runs in 90 s (schedules {string.Join(", ", (await SyncDb.SchedulesAsync(_setup.ConnectionString)).Take(3))}, now {await DatabaseNowAsync():O}).\n{_processes[0].Output}\n{_processes[1].Output}");

        // Phase 2: two more tick loops in this process, overlapping the processes' ticks and each other.
        var scheduler = _setup.Services.GetRequiredService<SyncScheduler>();
        var hammers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await scheduler.TickAsync(CancellationToken.None);
                await Task.Delay(Random.Shared.Next(0, 40), CancellationToken.None);
            }
        }, CancellationToken.None)).ToList();

        // Phase 3: one process dies the way a crash does; the other goes on.
        await Task.Delay(Remaining(TimeSpan.FromSeconds(100), clock), Ct);
        await _processes[0].KillAsync();

        await Task.Delay(Remaining(RunFor, clock), Ct);
        await stop.CancelAsync();
        await Task.WhenAll([completing, .. hammers]);
        await _processes[1].KillAsync();

        var stoppedAt = await DatabaseNowAsync();
        var schedules = await SyncDb.SchedulesAsync(_setup.ConnectionString);
        var tasks = (await SyncDb.SyncTasksAsync(_setup.ConnectionString)).ToLookup(t => t.ScheduleId!.Value);
        Assert.All(schedules, schedule =>
        {
            // A task's starts_after is the slot it was enqueued for.
            var slots = tasks[schedule.Id].Select(t => t.StartsAfter).Order().ToList();
            var expected = Enumerable.Range(0, slots.Count).Select(k => firstDue[schedule.Id].AddSeconds(k * EverySeconds)).ToList();
            Assert.Equal(expected, slots);
            // …and none was skipped up to now: the next slot is the one after the last run, and it is not overdue.
            Assert.Equal(expected[^1].AddSeconds(EverySeconds), schedule.NextRunAt);
            Assert.True(schedule.NextRunAt > stoppedAt.AddSeconds(-3), $"{schedule.Connection} stalled at {schedule.NextRunAt:O} (now {stoppedAt:O})");
            Assert.True(slots.Count >= 5, $"{schedule.Connection} ran {slots.Count} times");
        });
    }

    private static TimeSpan Remaining(TimeSpan until, Stopwatch clock) => until > clock.Elapsed ? until - clock.Elapsed : TimeSpan.Zero;

    /// <summary>Quartz schedulers checked in to the cluster (a clustered scheduler's first act when it starts).</summary>
    private async Task<long> SchedulerInstancesAsync()
    {
        await using var connection = new NpgsqlConnection(_setup.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM qrtz_scheduler_state", connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    private async Task<DateTimeOffset> DatabaseNowAsync()
    {
        await using var connection = new NpgsqlConnection(_setup.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT now()", connection);
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(Ct))!, TimeSpan.Zero);
    }
}
