using Microsoft.AspNetCore.Diagnostics;
using Nango.Core.Common;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Api;

/// <summary>
/// Turns binding failures into Nango's envelope and any other exception into a 500 that reveals nothing
/// of the server's internals (the exception goes to the log only).
/// </summary>
internal sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted)
        {
            return false;
        }
        if (httpContext.Request.Path.StartsWithSegments("/dashboard/auth") && exception is BadHttpRequestException)
        {
            // A stale form (expired antiforgery token, a re-posted sign-in page): send the user back to a
            // fresh form instead of an error page.
            httpContext.Response.Redirect(DashboardUrls.SignIn + "?error=expired");
            return true;
        }
        if (httpContext.Request.Path.StartsWithSegments("/dashboard"))
        {
            return false;
        }
        var result = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } =>
                ApiErrors.Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.InvalidContentType, "Content-Type header must be application/json"),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                ApiErrors.Create(StatusCodes.Status413PayloadTooLarge, ErrorCodes.RequestTooLarge, "The request body is too large."),
            BadHttpRequestException bad when bad.InnerException is System.Text.Json.JsonException =>
                ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, "The request body is not valid JSON or does not match the expected shape."),
            BadHttpRequestException bad =>
                ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase) ? "The request body is missing or malformed." : "The request is malformed."),
            _ => null,
        };
        if (result is null)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            result = ApiErrors.Create(StatusCodes.Status500InternalServerError, ErrorCodes.ServerError, "An unexpected error occurred.");
        }
        await result.ExecuteAsync(httpContext);
        return true;
    }
}
