using System.Text.Json.Nodes;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.Syncs.Support;

/// <summary>
/// Nango.Web with no dispatcher (tasks stay CREATED, no runner needed) and, unless asked, no Quartz: the tests call the
/// scheduler tick themselves, so what a tick does is not racing a background one.
/// </summary>
public sealed class SyncFactory(bool scheduling = false) : NangoWebFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        KeyValuePair.Create("Nango:Functions:DispatchEnabled", (string?)"false"),
        KeyValuePair.Create("Nango:Scheduling:Enabled", (string?)(scheduling ? "true" : "false")),
    ];
}

/// <summary>One row of <c>sync_schedules</c> as the tests read it.</summary>
public sealed record ScheduleRow(Guid Id, string Connection, string SyncName, string Variant, string State, int FrequencySecs, int? OverrideSecs, DateTimeOffset NextRunAt, DateTimeOffset? LastSyncDate);

/// <summary>One sync task as the tests read it.</summary>
public sealed record SyncTaskRow(Guid Id, Guid? ScheduleId, string State, string FunctionName, string GroupKey, JsonObject Payload, DateTimeOffset CreatedAt, DateTimeOffset StartsAfter, int RetryMax, int CreatedToStartedSecs);

/// <summary>Direct database reads and nudges for the sync tests (the API under test is used for everything else).</summary>
public static class SyncDb
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task DeploySyncsAsync(this HttpClient client, params JsonObject[] syncs)
    {
        var response = await client.DeployAsync(DeployBodies.Body(syncs.Select(s => s.DeepClone().AsObject())));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    public static async Task<List<ScheduleRow>> SchedulesAsync(string connectionString)
    {
        var rows = new List<ScheduleRow>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("""
            SELECT s.id, c.connection_id, s.sync_name, s.variant, s.state, s.frequency_secs, s.frequency_override_secs, s.next_run_at, s.last_sync_date
            FROM sync_schedules s JOIN connections c ON c.id = s.connection_id
            ORDER BY c.connection_id, s.sync_name, s.variant, s.created_at
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(new ScheduleRow(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5),
                reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }
        return rows;
    }

    public static async Task<List<SyncTaskRow>> SyncTasksAsync(string connectionString)
    {
        var rows = new List<SyncTaskRow>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("""
            SELECT id, schedule_id, state, function_name, group_key, payload::text, created_at, starts_after, retry_max, created_to_started_timeout_secs
            FROM function_tasks WHERE kind = 'sync' ORDER BY created_at
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(new SyncTaskRow(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                JsonNode.Parse(reader.GetString(5))!.AsObject(), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7), reader.GetInt32(8), reader.GetInt32(9)));
        }
        return rows;
    }

    public static async Task<int> ExecuteAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return await command.ExecuteNonQueryAsync(Ct);
    }

    /// <summary>Makes every live schedule due (its next run a whole number of seconds in the past).</summary>
    public static Task MakeDueAsync(string connectionString, TimeSpan ago) =>
        ExecuteAsync(connectionString, "UPDATE sync_schedules SET next_run_at = date_trunc('second', now()) - @ago WHERE state <> 'DELETED'", ("ago", ago));

    /// <summary>Ends waiting sync tasks as a run would (claimed and succeeded), so their schedules may run again.</summary>
    public static Task<int> CompleteSyncTasksAsync(string connectionString, string output = """{"models":{"Item":{"added":3,"updated":1,"deleted":0,"unchanged":2}}}""") =>
        ExecuteAsync(connectionString, """
            UPDATE function_tasks SET state = 'SUCCEEDED', started_at = coalesce(started_at, now()), ended_at = now(), last_state_transition_at = now(), output = @output::jsonb
            WHERE kind = 'sync' AND state IN ('CREATED', 'STARTED')
            """, ("output", output));
}
