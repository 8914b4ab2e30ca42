using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Nango.Core.Common;
using Nango.Core.Auth;

namespace Nango.Web.Api.Auth;

/// <summary>
/// The auth popup's WebSocket (Nango's <c>websocketsPath</c>, <c>/</c> by default). On open it answers
/// <c>connection_ack</c> with a <c>ws_client_id</c>, which the frontend passes to <c>/oauth/connect</c>; when the flow
/// ends, on whichever instance, the result arrives through <see cref="AuthResultPublisher"/> and is sent here. A
/// socket opened with <c>?ws_client_id=</c> of a finished flow gets the stored result at once.
/// </summary>
public sealed partial class AuthSocketHub(AuthResultPublisher results, ILogger<AuthSocketHub> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, Client> _clients = new(StringComparer.Ordinal);
    private readonly StoppingSignal _stopping = new();
    private Task? _listening;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listening = Task.Run(() => results.ListenAsync(Deliver, CatchUp, logger, _stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_listening is not null)
        {
            await _listening.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var requested = context.Request.Query["ws_client_id"].ToString();
        var id = Guid.TryParse(requested, out _) ? requested : Guid.NewGuid().ToString();
        using var client = new Client(socket);
        _clients[id] = client;
        try
        {
            await client.SendAsync(new JsonObject { ["message_type"] = "connection_ack", ["ws_client_id"] = id }, context.RequestAborted);
            if (requested == id && await results.FindResultAsync(id, context.RequestAborted) is { } stored)
            {
                await client.SendResultAsync(stored, context.RequestAborted);
            }
            // Nothing is expected from the browser; read until it closes so the socket stays registered while open.
            var buffer = new byte[1024];
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The browser went away (popup closed, page left): nothing to clean beyond the registration.
        }
        finally
        {
            _clients.TryRemove(new KeyValuePair<string, Client>(id, client));
        }
    }

    private void Deliver(string wsClientId, JsonObject message)
    {
        if (_clients.TryGetValue(wsClientId, out var client))
        {
            _ = SendSafelyAsync(client, wsClientId, message);
        }
    }

    private async Task SendSafelyAsync(Client client, string wsClientId, JsonObject message)
    {
        try
        {
            await client.SendResultAsync(message, _stopping.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogSendFailed(ex, wsClientId);
        }
    }

    /// <summary>
    /// Listening (re)started: results published while it was down (a dropped connection, a database failover) never
    /// arrived here. The sockets still waiting get the stored result of their flow, if it has ended meanwhile.
    /// </summary>
    private void CatchUp()
    {
        foreach (var (wsClientId, client) in _clients)
        {
            if (!client.Answered)
            {
                _ = CatchUpAsync(wsClientId, client);
            }
        }
    }

    private async Task CatchUpAsync(string wsClientId, Client client)
    {
        try
        {
            if (await results.FindResultAsync(wsClientId, _stopping.Token) is { } stored && !client.Answered)
            {
                await client.SendResultAsync(stored, _stopping.Token);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogSendFailed(ex, wsClientId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not send the auth result to socket {WsClientId}; it closed")]
    private partial void LogSendFailed(Exception exception, string wsClientId);

    /// <summary>One socket; sends are serialised because a WebSocket allows one send at a time.</summary>
    private sealed class Client(WebSocket socket) : IDisposable
    {
        private readonly SemaphoreSlim _sending = new(1, 1);
        private volatile bool _answered;

        /// <summary>The flow's result was sent (the socket needs nothing more).</summary>
        public bool Answered => _answered;

        public async Task SendResultAsync(JsonObject message, CancellationToken ct)
        {
            await SendAsync(message, ct);
            _answered = true;
        }

        public async Task SendAsync(JsonObject message, CancellationToken ct)
        {
            var bytes = Encoding.UTF8.GetBytes(message.ToJsonString());
            await _sending.WaitAsync(ct);
            try
            {
                await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
            finally
            {
                _sending.Release();
            }
        }

        public void Dispose() => _sending.Dispose();
    }
}
