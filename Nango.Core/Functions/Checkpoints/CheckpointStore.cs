using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Syncs.Runs;
using Npgsql;
using NpgsqlTypes;

namespace Nango.Core.Functions.Checkpoints;

/// <summary>
/// A function's checkpoint per connection (Nango's <c>getCheckpoint</c>/<c>saveCheckpoint</c>/<c>clearCheckpoint</c>):
/// where a long run got to, so the next run resumes there. One row per (connection, function, variant), as Nango keys
/// them: two variants of a sync page through different data and each resumes from its own. Saving replaces the row.
/// </summary>
public sealed class CheckpointStore(NpgsqlDataSource dataSource)
{
    /// <summary>Nango's limits: a flat object of at most 16 fields, keys up to 255 characters, strings up to 4,000.</summary>
    public static string? Problem(JsonNode? checkpoint)
    {
        if (checkpoint is not JsonObject fields)
        {
            return "A checkpoint must be an object.";
        }
        if (fields.Count > 16)
        {
            return "A checkpoint has at most 16 fields.";
        }
        foreach (var (key, value) in fields)
        {
            if (key.Length > 255)
            {
                return $"Checkpoint field names have at most 255 characters ('{key[..20]}…').";
            }
            if (value is JsonObject or JsonArray)
            {
                return $"Checkpoint field '{key}' must be a string, number, boolean or null.";
            }
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 4000)
            {
                return $"Checkpoint field '{key}' is longer than 4,000 characters.";
            }
        }
        return null;
    }

    public async Task<JsonObject?> GetAsync(int connectionId, string functionName, string variant, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT checkpoint::text FROM function_checkpoints WHERE connection_id = @c AND function_name = @f AND variant = @v");
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("f", functionName);
        command.Parameters.AddWithValue("v", variant);
        return await command.ExecuteScalarAsync(ct) is string text ? JsonNode.Parse(text) as JsonObject : null;
    }

    /// <summary>The checkpoints of several (connection, function) pairs at once, every variant (sync status over many connections).</summary>
    public async Task<Dictionary<(int ConnectionId, string FunctionName, string Variant), JsonObject>> GetManyAsync(IReadOnlyCollection<int> connectionIds, IReadOnlyCollection<string> functionNames, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connectionIds);
        ArgumentNullException.ThrowIfNull(functionNames);
        var found = new Dictionary<(int, string, string), JsonObject>();
        await using var command = dataSource.CreateCommand("SELECT connection_id, function_name, variant, checkpoint::text FROM function_checkpoints WHERE connection_id = ANY(@c) AND function_name = ANY(@f)");
        command.Parameters.AddWithValue("c", connectionIds.ToArray());
        command.Parameters.AddWithValue("f", functionNames.ToArray());
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (JsonNode.Parse(reader.GetString(3)) is JsonObject checkpoint)
            {
                found[(reader.GetInt32(0), reader.GetString(1), reader.GetString(2))] = checkpoint;
            }
        }
        return found;
    }

    public async Task SaveAsync(int environmentId, int connectionId, string functionName, string variant, JsonObject checkpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO function_checkpoints (environment_id, connection_id, function_name, variant, checkpoint, updated_at)
            VALUES (@e, @c, @f, @v, @json, now())
            ON CONFLICT (connection_id, function_name, variant) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = now()
            """);
        command.Parameters.AddWithValue("e", environmentId);
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("f", functionName);
        command.Parameters.AddWithValue("v", variant);
        command.Parameters.Add(new NpgsqlParameter("json", NpgsqlDbType.Jsonb) { Value = checkpoint.ToJsonString() });
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task ClearAsync(int connectionId, string functionName, string variant, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM function_checkpoints WHERE connection_id = @c AND function_name = @f AND variant = @v");
        command.Parameters.AddWithValue("c", connectionId);
        command.Parameters.AddWithValue("f", functionName);
        command.Parameters.AddWithValue("v", variant);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>The row behind <see cref="CheckpointStore"/>; mapped so migrations create the table.</summary>
public sealed class FunctionCheckpoint
{
    public int EnvironmentId { get; set; }

    public int ConnectionId { get; set; }

    public required string FunctionName { get; set; }

    /// <summary>The sync variant (<c>base</c> for the sync itself and for actions).</summary>
    public string Variant { get; set; } = SyncVariants.Base;

    /// <summary>jsonb object.</summary>
    public string Checkpoint { get; set; } = "{}";

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class FunctionCheckpointConfiguration : IEntityTypeConfiguration<FunctionCheckpoint>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<FunctionCheckpoint> builder)
    {
        builder.ToTable("function_checkpoints");
        builder.HasKey(c => new { c.ConnectionId, c.FunctionName, c.Variant });
        builder.HasOne<Connections.Connection>().WithMany().HasForeignKey(c => c.ConnectionId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(c => c.FunctionName).HasMaxLength(255);
        // Rows saved before variants had their own checkpoints were the base variant's.
        builder.Property(c => c.Variant).HasMaxLength(255).HasDefaultValue(SyncVariants.Base);
        builder.Property(c => c.Checkpoint).HasColumnType("jsonb");
    }
}
