using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Nango.Tests.Api.Auth.Support;

/// <summary>The frontend SDK's WebSocket: opened at the websockets path (<c>/</c>), acknowledged with a <c>ws_client_id</c>, then told the flow's result.</summary>
public sealed class AuthSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private AuthSocket(ClientWebSocket socket, string clientId)
    {
        _socket = socket;
        ClientId = clientId;
    }

    public string ClientId { get; }

    /// <summary>Connects to <paramref name="serverUrl"/> (optionally re-attaching to <paramref name="wsClientId"/>) and reads the <c>connection_ack</c>.</summary>
    public static async Task<AuthSocket> ConnectAsync(Uri serverUrl, string? wsClientId = null)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        var url = new UriBuilder(serverUrl) { Scheme = "ws", Path = "/", Query = wsClientId is null ? "" : "ws_client_id=" + wsClientId }.Uri;
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(url, TestContext.Current.CancellationToken);
        var ack = await ReceiveAsync(socket, TimeSpan.FromSeconds(10));
        Assert.Equal("connection_ack", (string?)ack["message_type"]);
        var id = (string)ack["ws_client_id"]!;
        Assert.True(Guid.TryParse(id, out _), $"ws_client_id is not a UUID: {id}");
        return new AuthSocket(socket, id);
    }

    /// <summary>The next message, or a failure after <paramref name="timeout"/> (20 s by default).</summary>
    public Task<JsonObject> ReceiveAsync(TimeSpan? timeout = null) => ReceiveAsync(_socket, timeout ?? TimeSpan.FromSeconds(20));

    private static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket, TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(timeout);
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, limit.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException("The server closed the socket.");
                }
                message.Write(buffer, 0, received.Count);
                if (received.EndOfMessage)
                {
                    return JsonNode.Parse(Encoding.UTF8.GetString(message.ToArray()))!.AsObject();
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No message arrived on the auth socket within {timeout.TotalSeconds} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, limit.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server went first; nothing to close.
            }
        }
        _socket.Dispose();
    }
}
