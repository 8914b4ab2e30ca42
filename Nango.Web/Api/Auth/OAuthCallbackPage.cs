using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Nango.Web.Api.Auth;

/// <summary>
/// The page the auth popup ends on. Like Nango's, it sets <c>window.__nangoOAuthError</c>, posts
/// <c>nango_oauth_callback_success|error</c> to its opener and on the <c>nango-oauth-callback</c> BroadcastChannel
/// (for openers that lost the reference, e.g. across COOP), and closes itself when acknowledged or, on success, after
/// 500 ms. The WebSocket carries the same result for the frontend SDK.
/// </summary>
public static class OAuthCallbackPage
{
    public static IResult Success() => Render(null, null, StatusCodes.Status200OK);

    public static IResult Error(string errorType, string message) => Render(errorType, message, StatusCodes.Status400BadRequest);

    private static IResult Render(string? errorType, string? message, int status)
    {
        var error = errorType is null ? "null" : JsonSerializer.Serialize(new { message, errorType }, JsonOptions);
        var title = errorType is null ? "Authorisation complete" : "Authorisation failed";
        var text = errorType is null ? "You can close this window." : WebUtility.HtmlEncode(message ?? errorType);
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>{{title}}</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>body{font-family:system-ui,sans-serif;display:flex;align-items:center;justify-content:center;height:100vh;margin:0;color:#1f2937}
            main{max-width:28rem;text-align:center;padding:1.5rem}h1{font-size:1.25rem}</style></head>
            <body><main><h1>{{title}}</h1><p id="message">{{text}}</p></main>
            <script>
            (function () {
              var error = {{error}};
              window.__nangoOAuthError = error;
              var message = error ? { type: 'nango_oauth_callback_error', payload: error } : { type: 'nango_oauth_callback_success' };
              var channel = null;
              try { channel = new BroadcastChannel('nango-oauth-callback'); } catch (e) { }
              function close() { try { window.close(); } catch (e) { } }
              function onAck(event) { if (event && event.data && event.data.type === 'nango_oauth_callback_ack') { close(); } }
              window.addEventListener('message', onAck);
              if (channel) { channel.onmessage = onAck; channel.postMessage(message); }
              if (window.opener) { try { window.opener.postMessage(message, '*'); } catch (e) { } }
              if (!error) { setTimeout(close, 500); }
            })();
            </script></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    // Keeps the JSON safe inside a <script> element (no "</script>" can appear).
    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.Default };
}
