using System.Text.RegularExpressions;
using Nango.Core.Common;

namespace Nango.Web.Api.Functions;

/// <summary>
/// Nango's <c>cliMinVersion</c>: a request whose User-Agent names a <c>nango-cli/x.y.z</c> older than the minimum is
/// refused with 400 <c>invalid_cli_version</c>. Requests without a CLI User-Agent (other clients, scripts) pass, as
/// they do in Nango, and so does a version that does not parse.
/// </summary>
internal sealed partial class CliVersionGate(string minimum) : IEndpointFilter
{
    public const string DeployMinimum = "0.39.25";

    private readonly Version _minimum = Version.Parse(minimum);

    [GeneratedRegex(@"nango-cli/([0-9.]+)")]
    private static partial Regex CliVersionPattern();

    /// <summary>The CLI version of a request, or null when it does not come from the CLI.</summary>
    public static string? CliVersionOf(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var match = CliVersionPattern().Match(request.Headers.UserAgent.ToString());
        return match.Success ? match.Groups[1].Value : null;
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var match = CliVersionPattern().Match(context.HttpContext.Request.Headers.UserAgent.ToString());
        if (match.Success && match.Groups[1].Value.Split('.') is { Length: 3 } parts
            && Version.TryParse(match.Groups[1].Value, out var version) && parts.All(p => p.Length > 0) && version < _minimum)
        {
            return ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidCliVersion,
                $"This endpoint requires a CLI version >= {minimum} (current: {match.Value})");
        }
        return await next(context);
    }
}
