using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Common;
using Nango.Core.Webhooks.Incoming;

namespace Nango.Web.Api.Webhooks;

public static class IncomingWebhookEndpoints
{
    public const string RateLimitPolicy = "IncomingWebhooks";

    /// <summary>
    /// Where providers send webhooks. No API key (providers cannot send one): the environment uuid in the path picks
    /// the tenant and the provider's signature, when configured, proves the sender.
    /// </summary>
    public static IEndpointRouteBuilder MapIncomingWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhook/{environmentUuid}/{providerConfigKey}", ReceiveAsync)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicy)
            .WithTags("Webhooks")
            .WithName("ReceiveProviderWebhook")
            .WithSummary("A provider's webhook: verified, routed to connections and forwarded to the environment's webhook URLs.");
        return app;
    }

    private static async Task<Results<JsonHttpResult<JsonObject>, JsonHttpResult<ApiError>>> ReceiveAsync(
        string environmentUuid, string providerConfigKey, HttpRequest request, IncomingWebhookService service, IOptions<NangoOptions> options, CancellationToken ct)
    {
        var errors = new List<ValidationError>();
        if (!Guid.TryParse(environmentUuid, out var uuid))
        {
            errors.Add(ValidationError.At("Invalid environment uuid", "environmentUuid"));
        }
        if (!Identifiers.IsProviderConfigKey(providerConfigKey))
        {
            errors.Add(ValidationError.At("Invalid provider config key: letters, digits and ~:.@ _- (at most 255)", "providerConfigKey"));
        }
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidUri(errors);
        }

        // The service enforces Nango:Webhooks:IncomingMaxBodyBytes and answers 413 in Nango's envelope; Kestrel's own
        // cap (30 MB by default) must neither cut in before it nor stop a larger configured limit.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = options.Value.Webhooks.IncomingMaxBodyBytes + 1;
        }
        var result = await service.ReceiveAsync(new IncomingWebhookRequest(
            uuid,
            providerConfigKey,
            request.Path,
            request.ContentType,
            request.ContentLength,
            request.Body,
            request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())).ToList(),
            request.Query.Select(q => KeyValuePair.Create(q.Key, q.Value.ToString())).ToList()), ct);

        return result.Status switch
        {
            // Nango answers the provider at once with an empty object; forwarding happens from the outbox.
            IncomingWebhookStatus.Accepted => TypedResults.Json(new JsonObject()),
            IncomingWebhookStatus.UnknownEnvironment => ApiErrors.Create(StatusCodes.Status404NotFound, ErrorCodes.UnknownEnvironment, result.Message),
            IncomingWebhookStatus.UnknownIntegration => ApiErrors.Create(StatusCodes.Status404NotFound, ErrorCodes.UnknownProviderConfig, result.Message),
            IncomingWebhookStatus.TooLarge => ApiErrors.Create(StatusCodes.Status413PayloadTooLarge, ErrorCodes.RequestTooLarge, result.Message),
            IncomingWebhookStatus.MissingSignature => ApiErrors.Create(StatusCodes.Status401Unauthorized, ErrorCodes.WebhookMissingSignature, result.Message),
            _ => ApiErrors.Create(StatusCodes.Status401Unauthorized, ErrorCodes.WebhookInvalidSignature, result.Message),
        };
    }
}
