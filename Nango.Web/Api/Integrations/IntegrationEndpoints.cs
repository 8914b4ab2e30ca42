using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Web.Api.Authentication;
using Nango.Web.Api.Providers;

namespace Nango.Web.Api.Integrations;

public static class IntegrationEndpoints
{
    public static RouteGroupBuilder MapIntegrationEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/integrations").WithTags("Integrations").AddEndpointFilter<RouteIdentifierFilter>();
        group.MapGet("/", ListIntegrations).WithName("ListIntegrations").WithSummary("Integrations of the environment.");
        group.MapGet("/{uniqueKey}", GetIntegration).WithName("GetIntegration").WithSummary("One integration; include=webhook|credentials adds those.");
        group.MapPost("/", CreateIntegration).WithName("CreateIntegration").WithSummary("Configure a provider as an integration.");
        group.MapPatch("/{uniqueKey}", UpdateIntegration).WithName("UpdateIntegration").WithSummary("Change an integration.");
        group.MapDelete("/{uniqueKey}", DeleteIntegration).WithName("DeleteIntegration").WithSummary("Delete an integration and its connections.");
        return api;
    }

    private static async Task<Ok<IntegrationListResponse>> ListIntegrations(HttpContext http, IntegrationService integrations, IOptions<NangoOptions> options, CancellationToken ct)
    {
        var env = http.GetNangoEnvironment();
        var list = await integrations.ListAsync(env, ct);
        return TypedResults.Ok(new IntegrationListResponse(list.Select(i => ToResponse(i, options.Value)).ToList()));
    }

    private static async Task<Results<Ok<IntegrationDataResponse>, JsonHttpResult<ApiError>>> GetIntegration(
        string uniqueKey, HttpContext http, IntegrationService integrations, IOptions<NangoOptions> options, CancellationToken ct)
    {
        var include = http.Request.Query["include"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var unknown = include.Where(i => i is not ("webhook" or "credentials")).ToList();
        if (unknown.Count > 0)
        {
            return ApiErrors.InvalidQuery([ValidationError.At($"include must be webhook or credentials; got {string.Join(", ", unknown)}", "include")]);
        }
        var env = http.GetNangoEnvironment();
        var integration = await integrations.GetAsync(env, uniqueKey, ct);
        if (integration is null)
        {
            return ApiErrors.NotFound("Integration does not exist");
        }
        return TypedResults.Ok(new IntegrationDataResponse(ToResponse(integration, env, options.Value, include.Contains("webhook"), include.Contains("credentials"))));
    }

    private static async Task<Results<Ok<IntegrationDataResponse>, JsonHttpResult<ApiError>>> CreateIntegration(
        CreateIntegrationRequest body, HttpContext http, IntegrationService integrations, IOptions<NangoOptions> options, CancellationToken ct)
    {
        var errors = body.Validate();
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidBody(errors);
        }
        var env = http.GetNangoEnvironment();
        var result = await integrations.CreateAsync(env, new CreateIntegration(
            body.Provider!, body.UniqueKey!, body.DisplayName, body.Credentials?.ToCore(), body.ForwardWebhooks, body.IntegrationConfig, body.Custom), ct);
        return ToResult(result, env, options.Value);
    }

    private static async Task<Results<Ok<IntegrationDataResponse>, JsonHttpResult<ApiError>>> UpdateIntegration(
        string uniqueKey, UpdateIntegrationRequest body, HttpContext http, IntegrationService integrations, IOptions<NangoOptions> options, CancellationToken ct)
    {
        var errors = body.Validate();
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidBody(errors);
        }
        var env = http.GetNangoEnvironment();
        var result = await integrations.UpdateAsync(env, uniqueKey, new UpdateIntegration(
            body.UniqueKey, body.DisplayName, body.Credentials?.ToCore(), body.ForwardWebhooks, body.IntegrationConfig, body.Custom), ct);
        return ToResult(result, env, options.Value, renaming: true);
    }

    private static async Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> DeleteIntegration(
        string uniqueKey, HttpContext http, IntegrationService integrations, CancellationToken ct)
    {
        var deleted = await integrations.DeleteAsync(http.GetNangoEnvironment(), uniqueKey, ct);
        return deleted ? TypedResults.Ok(new SuccessResponse(true)) : ApiErrors.NotFound("Integration does not exist");
    }

    private static Results<Ok<IntegrationDataResponse>, JsonHttpResult<ApiError>> ToResult(IntegrationResult result, EnvironmentContext env, NangoOptions options, bool renaming = false) =>
        result.Outcome switch
        {
            IntegrationOutcome.Ok => TypedResults.Ok(new IntegrationDataResponse(ToResponse(result.Integration!, env, options, false, false))),
            IntegrationOutcome.NotFound => ApiErrors.NotFound("Integration does not exist"),
            // Nango answers a taken unique_key as a validation failure, not a conflict, and words it differently on create and on rename.
            // Nango's current server answers 400 invalid_body here; we keep its documented
            // duplicate_provider_config/409 so clients can tell a taken key from a malformed body.
            IntegrationOutcome.Duplicate => ApiErrors.Create(StatusCodes.Status409Conflict, ErrorCodes.DuplicateProviderConfig,
                renaming ? "uniqueKey is already used by another integration" : "Unique key already exists",
                [new ApiValidationIssue("invalid_string", "Unique key already exists", ["unique_key"])]),
            _ => ApiErrors.InvalidBody(result.Errors ?? []),
        };

    private static IntegrationResponse ToResponse(IntegrationSummary i, NangoOptions options) => new()
    {
        UniqueKey = i.UniqueKey,
        Provider = i.Provider,
        DisplayName = i.DisplayName,
        Logo = ProviderLogos.Url(options, i.Provider),
        ForwardWebhooks = i.ForwardWebhooks,
        CreatedAt = ApiJson.IsoString(i.CreatedAt),
        UpdatedAt = ApiJson.IsoString(i.UpdatedAt),
    };

    private static IntegrationResponse ToResponse(IntegrationDetails details, EnvironmentContext env, NangoOptions options, bool includeWebhook, bool includeCredentials)
    {
        return ToResponse(details.Summary, options) with
        {
            WebhookUrl = includeWebhook ? $"{options.ServerUrl.TrimEnd('/')}/webhook/{env.EnvironmentUuid}/{Uri.EscapeDataString(details.Summary.UniqueKey)}" : null,
            Credentials = includeCredentials ? IncludedCredentials.For(details.Summary.AuthMode, details.Credentials) : null,
        };
    }
}
