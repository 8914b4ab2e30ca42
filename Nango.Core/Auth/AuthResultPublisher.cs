using System.Text.Json.Nodes;
using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Core.Auth;

/// <summary>
/// Tells the popup's WebSocket how an auth flow ended, wherever the socket is: the message is kept on the OAuth
/// session (for a socket that attaches late) and sent with NOTIFY to every instance; the one holding the socket
/// forwards it. Nango needs Redis for this fan-out.
/// </summary>
public sealed class AuthResultPublisher(NpgsqlDataSource dataSource)
{
    public const string Channel = "nango_oauth";

    public static JsonObject Success(string providerConfigKey, string connectionId) => new()
    {
        ["message_type"] = "success",
        ["provider_config_key"] = providerConfigKey,
        ["connection_id"] = connectionId,
        ["is_pending"] = false,
    };

    public static JsonObject Failure(string? providerConfigKey, string? connectionId, AuthError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new JsonObject
        {
            ["message_type"] = "error",
            ["provider_config_key"] = providerConfigKey,
            ["connection_id"] = connectionId,
            ["error_type"] = error.Code,
            ["error_desc"] = error.Message,
        };
    }

    public async Task PublishAsync(string wsClientId, JsonObject message, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(wsClientId);
        ArgumentNullException.ThrowIfNull(message);
        var envelope = new JsonObject { ["ws_client_id"] = wsClientId, ["message"] = message.DeepClone() };
        await using var batch = dataSource.CreateBatch();
        var store = new NpgsqlBatchCommand("UPDATE oauth_sessions SET result = $2::jsonb WHERE ws_client_id = $1");
        store.Parameters.Add(new NpgsqlParameter<string> { TypedValue = wsClientId });
        store.Parameters.Add(new NpgsqlParameter<string> { TypedValue = message.ToJsonString() });
        batch.BatchCommands.Add(store);
        var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
        notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
        notify.Parameters.Add(new NpgsqlParameter<string> { TypedValue = envelope.ToJsonString() });
        batch.BatchCommands.Add(notify);
        await batch.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The result already published for this socket id, if any (a socket attaching after the callback).</summary>
    public async Task<JsonObject?> FindResultAsync(string wsClientId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT result::text FROM oauth_sessions WHERE ws_client_id = $1 AND result IS NOT NULL ORDER BY created_at DESC LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = wsClientId });
        return await command.ExecuteScalarAsync(ct) is string text ? JsonNode.Parse(text) as JsonObject : null;
    }

    /// <summary>
    /// Listens for results published by any instance until cancelled. <paramref name="onListening"/> runs each time
    /// listening (re)starts: results published meanwhile were missed and must be read back with <see cref="FindResultAsync"/>.
    /// </summary>
    public Task ListenAsync(Action<string, JsonObject> onResult, Action onListening, Microsoft.Extensions.Logging.ILogger logger, CancellationToken ct) =>
        PostgresListener.ListenAsync(dataSource, Channel, payload =>
        {
            if (JsonNode.Parse(payload) is JsonObject envelope
                && envelope["ws_client_id"]?.ToString() is { } id
                && envelope["message"] is JsonObject message)
            {
                onResult(id, message);
            }
        }, onListening, logger, ct);
}
