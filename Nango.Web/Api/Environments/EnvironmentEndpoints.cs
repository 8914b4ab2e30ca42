using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Environments;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Environments;

public static class EnvironmentEndpoints
{
    public static RouteGroupBuilder MapEnvironmentEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/environment-variables", GetEnvironmentVariables)
            .WithTags("Environment").WithName("GetEnvironmentVariables").WithSummary("The environment's variables, decrypted, as a bare array.");
        api.MapPost("/environment/webhook-signing-key/rotate", RotateWebhookSigningKey)
            .WithTags("Environment").WithName("RotateWebhookSigningKey")
            .WithSummary("A new webhook signing key; the old one keeps signing beside it for Nango__Webhooks__SigningKeyGracePeriod.");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<EnvironmentVariableResponse>>> GetEnvironmentVariables(HttpContext http, EnvironmentService environments, CancellationToken ct)
    {
        var variables = await environments.GetVariablesAsync(http.GetNangoEnvironment(), ct);
        return TypedResults.Ok<IReadOnlyList<EnvironmentVariableResponse>>(variables.Select(v => new EnvironmentVariableResponse(v.Name, v.Value)).ToList());
    }

    private static async Task<Ok<WebhookSigningKeyDataResponse>> RotateWebhookSigningKey(HttpContext http, EnvironmentService environments, CancellationToken ct)
    {
        var key = await environments.RotateWebhookSigningKeyAsync(http.GetNangoEnvironment(), ct);
        return TypedResults.Ok(new WebhookSigningKeyDataResponse(new WebhookSigningKeyResponse(key)));
    }
}

public sealed record EnvironmentVariableResponse(string Name, string Value);

public sealed record WebhookSigningKeyResponse(string WebhookSigningKey);

public sealed record WebhookSigningKeyDataResponse(WebhookSigningKeyResponse Data);
