using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Environments;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Environments;

public static class EnvironmentVariableEndpoints
{
    public static RouteGroupBuilder MapEnvironmentVariableEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/environment-variables", GetEnvironmentVariables)
            .WithTags("Environment").WithName("GetEnvironmentVariables").WithSummary("The environment's variables, decrypted, as a bare array.");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<EnvironmentVariableResponse>>> GetEnvironmentVariables(HttpContext http, EnvironmentService environments, CancellationToken ct)
    {
        var variables = await environments.GetVariablesAsync(http.GetNangoEnvironment(), ct);
        return TypedResults.Ok<IReadOnlyList<EnvironmentVariableResponse>>(variables.Select(v => new EnvironmentVariableResponse(v.Name, v.Value)).ToList());
    }
}

public sealed record EnvironmentVariableResponse(string Name, string Value);
