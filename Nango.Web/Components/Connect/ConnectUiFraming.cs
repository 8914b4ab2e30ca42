using Microsoft.Net.Http.Headers;

namespace Nango.Web.Components.Connect;

/// <summary>
/// Lets any site frame the Connect UI page: <c>openConnectUI</c> shows it in an iframe on the customer's own origin.
/// Every other page keeps the defaults that forbid foreign framing (Blazor's <c>frame-ancestors 'self'</c> and the
/// antiforgery <c>X-Frame-Options: SAMEORIGIN</c>). Blazor sets the former because a compressed WebSocket inside a
/// hostile frame can leak secrets by size; here the frame's host is the app that asked for the credentials (it holds
/// the session token), so the page has nothing to hide from it.
/// </summary>
public static class ConnectUiFraming
{
    public static IApplicationBuilder UseConnectUiFraming(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var path = context.Request.Path;
        if (HttpMethods.IsGet(context.Request.Method) && (path == "/connect" || path == "/connect/"))
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.Remove(HeaderNames.XFrameOptions);
                var directives = headers.ContentSecurityPolicy.ToString()
                    .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Where(d => !d.StartsWith("frame-ancestors", StringComparison.OrdinalIgnoreCase))
                    .Append("frame-ancestors *");
                headers.ContentSecurityPolicy = string.Join("; ", directives);
                return Task.CompletedTask;
            });
        }
        return next(context);
    });
}
