using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Common;

namespace Nango.Web.Api.Functions;

/// <summary>
/// <c>POST /cli/telemetry</c>: every CLI command sends an anonymous usage event here first. This server keeps no product
/// analytics, so a well-formed event is acknowledged (204, as Nango answers) and dropped; a malformed one gets the envelope.
/// </summary>
public static class CliTelemetryEndpoints
{
    public static IEndpointRouteBuilder MapCliTelemetryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cli/telemetry", PostTelemetry).AllowAnonymous().WithTags("Functions").WithName("PostCliTelemetry")
            .WithSummary("Anonymous CLI usage event; acknowledged and dropped.");
        return app;
    }

    private static async Task<Results<NoContent, JsonHttpResult<ApiError>>> PostTelemetry(HttpContext http, CancellationToken ct)
    {
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = 16 * 1024;
        }
        var errors = new List<ValidationError>();
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            var reader = new JsonBodyReader();
            if (reader.ReadBody(document.RootElement) is { } body)
            {
                reader.RejectUnknownKeys(body, ["deviceId", "event", "ephemeral"]);
                reader.ReadFormattedString(body, "deviceId", [], v => Guid.TryParse(v, out _), "Invalid UUID", required: true);
                reader.ReadString(body, "event", [], required: true, minLength: 1, maxLength: 255);
            }
            errors.AddRange(reader.Errors);
        }
        catch (JsonException)
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, "The request body is not valid JSON or does not match the expected shape.");
        }
        return errors.Count > 0 ? ApiErrors.InvalidBody(errors) : TypedResults.NoContent();
    }
}
