using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Nango.Tests.Infrastructure.OAuthServer;

/// <summary>
/// The parts of the test provider that OpenIddict leaves to the host: who the user is (a sign-in and consent
/// form for the one test user), what goes into tokens, and the protected API.
/// </summary>
internal static class OAuthServerEndpoints
{
    private const string AuthenticationType = "test-oauth-server";

    /// <summary>Form fields of the sign-in page itself, as opposed to the authorization request it carries along.</summary>
    private static readonly HashSet<string> _formFields = new(StringComparer.Ordinal) { "username", "password", "decision" };

    public static void MapOAuthServerEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods(TestOAuthServer.AuthorizationPath, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);
        app.MapPost(TestOAuthServer.TokenPath, TokenAsync);
        app.Map(TestOAuthServer.ApiPath + "/{**rest}", ApiAsync);
    }

    /// <summary>
    /// OpenIddict has already checked the client, redirect URI, scopes and PKCE. The first visit shows the
    /// form; the form posts the request's parameters back here with the credentials, so no cookie or
    /// server-side request state is needed and every authorization asks the user again.
    /// </summary>
    private static async Task<IResult> AuthorizeAsync(HttpContext http, TestOAuthServer server)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict authorization request.");
        if (!http.Request.HasFormContentType)
        {
            return LoginPage(http.Request.Query, request, error: null);
        }
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form["decision"] == "deny")
        {
            return Results.Forbid(
                new AuthenticationProperties(new Dictionary<string, string?>
                {
                    [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.AccessDenied,
                    [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = "The user denied access.",
                }),
                [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        }
        if (form["username"] != TestOAuthServer.Username || form["password"] != TestOAuthServer.Password)
        {
            return LoginPage(form, request, error: "Wrong username or password.");
        }
        var identity = new ClaimsIdentity(AuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, TestOAuthServer.Username)
            .SetClaim(Claims.Name, "Test User")
            .SetClaim(Claims.Email, "test-user@example.com");
        var scopes = request.GetScopes().ToList();
        // Many providers hand out refresh tokens without being asked for offline access; OpenIddict only
        // issues one when the grant carries that scope.
        if (server.IssueRefreshTokens && !scopes.Contains(Scopes.OfflineAccess))
        {
            scopes.Add(Scopes.OfflineAccess);
        }
        else if (!server.IssueRefreshTokens)
        {
            scopes.Remove(Scopes.OfflineAccess);
        }
        identity.SetScopes(scopes);
        server.Counters.AuthorizationGranted();
        return SignIn(identity, server);
    }

    private static async Task<IResult> TokenAsync(HttpContext http, TestOAuthServer server)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenIddict token request.");
        ClaimsIdentity identity;
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            // OpenIddict has validated the code or refresh token (and marked it redeemed); this is the identity it carried.
            var stored = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            if (stored.Principal is null)
            {
                return Refuse(Errors.InvalidGrant, "The token is no longer valid.");
            }
            identity = new ClaimsIdentity(stored.Principal.Claims, AuthenticationType, Claims.Name, Claims.Role);
        }
        else if (request.IsClientCredentialsGrantType())
        {
            identity = new ClaimsIdentity(AuthenticationType, Claims.Name, Claims.Role);
            identity.SetClaim(Claims.Subject, request.ClientId).SetClaim(Claims.Name, request.ClientId);
            identity.SetScopes(request.GetScopes());
        }
        else
        {
            return Refuse(Errors.UnsupportedGrantType, "This server supports authorization_code, refresh_token and client_credentials.");
        }
        server.Counters.TokenIssued(request.GrantType!);
        return SignIn(identity, server);
    }

    private static async Task<IResult> ApiAsync(HttpContext http, TestOAuthServer server, string? rest)
    {
        server.Counters.ApiRequested();
        var result = await http.AuthenticateAsync(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        if (result.Principal is not { } principal)
        {
            return Results.Json(new { error = "invalid_token" }, statusCode: StatusCodes.Status401Unauthorized);
        }
        return Results.Json(new
        {
            sub = principal.GetClaim(Claims.Subject),
            client_id = principal.GetClaim(Claims.ClientId),
            scopes = principal.GetScopes(),
            method = http.Request.Method,
            path = "/" + rest,
            query = http.Request.QueryString.Value,
        });
    }

    private static IResult SignIn(ClaimsIdentity identity, TestOAuthServer server)
    {
        // Every claim goes to the access token only: there are no identity tokens here.
        identity.SetDestinations(_ => [Destinations.AccessToken]);
        var principal = new ClaimsPrincipal(identity);
        principal.SetAccessTokenLifetime(server.AccessTokenLifetime);
        return Results.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>A plain form Playwright can fill: <c>#username</c>, <c>#password</c>, then <c>#allow</c> or <c>#deny</c>.</summary>
    private static IResult LoginPage(IEnumerable<KeyValuePair<string, StringValues>> parameters, OpenIddictRequest request, string? error)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Test provider: sign in</title></head><body>");
        html.Append("<h1>Test provider</h1>");
        html.Append("<p id=\"consent\">").Append(Encode(request.ClientId)).Append(" asks for access to: ")
            .Append(Encode(string.Join(", ", request.GetScopes()))).Append("</p>");
        if (error is not null)
        {
            html.Append("<p id=\"error\" role=\"alert\">").Append(Encode(error)).Append("</p>");
        }
        html.Append("<form method=\"post\" action=\"").Append(TestOAuthServer.AuthorizationPath).Append("\">");
        foreach (var (name, values) in parameters)
        {
            if (_formFields.Contains(name))
            {
                continue;
            }
            foreach (var value in values)
            {
                html.Append("<input type=\"hidden\" name=\"").Append(Encode(name)).Append("\" value=\"").Append(Encode(value)).Append("\">");
            }
        }
        html.Append("<label for=\"username\">Username</label><input id=\"username\" name=\"username\" autocomplete=\"username\">");
        html.Append("<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\">");
        html.Append("<button id=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Sign in and allow</button>");
        html.Append("<button id=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>");
        html.Append("</form></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8");
    }

    private static string Encode(string? value) => WebUtility.HtmlEncode(value ?? "");
}
