using Nango.Core.Common;

namespace Nango.Web.Api;

/// <summary>
/// Nango refuses any request to its JSON API areas whose Content-Type is set to something other than JSON,
/// before authentication and whatever the method. Routing's own content-type check would answer a bare
/// 415 without Nango's envelope, so this runs first.
/// </summary>
public static class ApiContentType
{
    /// <summary>The areas of Nango's list (its jsonContentTypeMiddleware mounts) that this server maps so far.</summary>
    private static readonly PathString[] _jsonAreas = ["/providers", "/integrations", "/connection", "/connections", "/environment-variables", "/connect", "/sync", "/scripts", "/action", "/records"];

    public static IApplicationBuilder UseNangoApiContentType(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var contentType = context.Request.ContentType;
        if (!string.IsNullOrEmpty(contentType)
            && !contentType.StartsWith("application/json", StringComparison.Ordinal)
            && _jsonAreas.Any(area => context.Request.Path.StartsWithSegments(area)))
        {
            await ApiErrors.Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.InvalidContentType, "Content-Type header must be application/json")
                .ExecuteAsync(context);
            return;
        }
        await next(context);
    });
}
