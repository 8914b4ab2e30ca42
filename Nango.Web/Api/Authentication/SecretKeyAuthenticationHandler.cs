using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Logs;

namespace Nango.Web.Api.Authentication;

/// <summary>
/// <c>Authorization: Bearer &lt;secret key&gt;</c>, answered with Nango's exact 401 codes. The environment the
/// key belongs to becomes the request's tenant scope (<see cref="EnvironmentAccessor"/>).
/// </summary>
internal sealed class SecretKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    EnvironmentService environments,
    ApiAuthFailures failures) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "NangoSecretKey";
    private const string FailureKey = "nango.auth.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrWhiteSpace(header))
        {
            return Fail(ErrorCodes.MissingAuthHeader, "Authentication failed. The request is missing the Authorization header.");
        }
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return Fail(ErrorCodes.MalformedAuthHeader, "Authentication failed. The provided Authorization header is malformed.");
        }
        var key = header["Bearer ".Length..].Trim();
        if (!SecretKeyFormat.IsValid(key))
        {
            return Fail(ErrorCodes.InvalidSecretKeyFormat, "Authentication failed. The provided secret key is not a UUID v4.");
        }
        var environment = await environments.FindBySecretKeyAsync(key, Context.RequestAborted);
        if (environment is null)
        {
            return Fail(ErrorCodes.UnknownAccount, "Authentication failed. The provided secret key is not valid.");
        }
        EnvironmentAccessor.Set(Context, environment);
        var identity = new ClaimsIdentity(
            [
                new Claim(NangoClaims.AccountId, environment.AccountId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(NangoClaims.EnvironmentId, environment.EnvironmentId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var (code, message) = Context.Items[FailureKey] as (string, string)? ?? (ErrorCodes.MissingAuthHeader, "Authentication failed.");
        await ApiErrors.Create(StatusCodes.Status401Unauthorized, code, message).ExecuteAsync(Context);
    }

    private AuthenticateResult Fail(string code, string message)
    {
        // A refused key belongs to no environment, so there is no tenant log to write it to: count it
        // and leave a trace in the application log instead (never the key itself).
        failures.Record(code);
        Logger.LogWarning("API authentication failed: {Code} from {RemoteIp}", code, Context.Connection.RemoteIpAddress);
        Context.Items[FailureKey] = (code, message);
        return AuthenticateResult.Fail(message);
    }
}

public static class NangoClaims
{
    public const string AccountId = "nango:account_id";
    public const string EnvironmentId = "nango:environment_id";
    public const string ConnectSessionId = "nango:connect_session_id";
}
