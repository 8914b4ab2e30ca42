using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Nango.Core.Common;
using Nango.Core.ConnectSessions;
using Nango.Core.Logs;

namespace Nango.Web.Api.Authentication;

/// <summary>
/// The end user's side of the API: a connect session token, as <c>Authorization: Bearer
/// nango_connect_session_…</c> (Connect UI) or <c>?connect_session_token=</c> (the frontend SDK's auth URLs).
/// The session's environment becomes the request's tenant scope, exactly as a secret key's would.
/// </summary>
internal sealed class ConnectSessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ConnectSessionService sessions,
    ApiAuthFailures failures) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "NangoConnectSession";
    public const string QueryParameter = "connect_session_token";
    private const string FailureKey = "nango.connect_session.failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? token;
        string? header = Request.Headers.Authorization;
        if (!string.IsNullOrWhiteSpace(header))
        {
            if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                return Fail(ConnectSessionAuthErrors.MalformedHeader);
            }
            token = header["Bearer ".Length..].Trim();
        }
        else
        {
            token = Request.Query[QueryParameter].FirstOrDefault();
            if (string.IsNullOrEmpty(token))
            {
                return Fail(ConnectSessionAuthErrors.MissingHeader);
            }
        }
        var lookup = await sessions.ResolveAsync(token, Context.RequestAborted);
        if (lookup.Session is not { } session)
        {
            return Fail(ConnectSessionAuthErrors.For(lookup.Status));
        }
        ConnectSessionAccessor.Set(Context, session);
        var identity = new ClaimsIdentity(
            [
                new Claim(NangoClaims.AccountId, session.Environment.AccountId.ToString(CultureInfo.InvariantCulture)),
                new Claim(NangoClaims.EnvironmentId, session.Environment.EnvironmentId.ToString(CultureInfo.InvariantCulture)),
                new Claim(NangoClaims.ConnectSessionId, session.Id.ToString(CultureInfo.InvariantCulture)),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = Context.Items[FailureKey] as ConnectSessionAuthFailure ?? ConnectSessionAuthErrors.MissingHeader;
        await failure.ToResult().ExecuteAsync(Context);
    }

    private AuthenticateResult Fail(ConnectSessionAuthFailure failure)
    {
        // Like a refused secret key, a refused session token belongs to no tenant: count it, log it without the token.
        failures.Record(failure.Code);
        Logger.LogWarning("Connect session authentication failed: {Code} from {RemoteIp}", failure.Code, Context.Connection.RemoteIpAddress);
        Context.Items[FailureKey] = failure;
        return AuthenticateResult.Fail(failure.Message);
    }
}

public sealed record ConnectSessionAuthFailure(string Code, string Message)
{
    public JsonHttpResult<ApiError> ToResult() =>
        ApiErrors.Create(StatusCodes.Status401Unauthorized, Code, Message);
}

/// <summary>Nango's 401s for session tokens, shared by the scheme and the telemetry endpoint (which reads its token from the body).</summary>
public static class ConnectSessionAuthErrors
{
    public static readonly ConnectSessionAuthFailure MissingHeader =
        new(ErrorCodes.MissingAuthHeader, "Authentication failed. The request is missing the Authorization header.");

    public static readonly ConnectSessionAuthFailure MalformedHeader =
        new(ErrorCodes.MalformedAuthHeader, "Authentication failed. The provided Authorization header is malformed.");

    public static readonly ConnectSessionAuthFailure InvalidFormat =
        new(ErrorCodes.InvalidConnectSessionTokenFormat, "Authentication failed. The provided connect session token is not following correct format: nango_connect_session_RANDOM)");

    public static readonly ConnectSessionAuthFailure Unknown =
        new(ErrorCodes.UnknownConnectSessionToken, "Authentication failed. The provided connect session token does not match any account.");

    public static ConnectSessionAuthFailure For(ConnectSessionTokenStatus status) =>
        status == ConnectSessionTokenStatus.InvalidFormat ? InvalidFormat : Unknown;
}
