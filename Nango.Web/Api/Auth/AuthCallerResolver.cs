using Nango.Core.Auth;
using Nango.Core.ConnectSessions;
using Nango.Core.Environments;

namespace Nango.Web.Api.Auth;

/// <summary>
/// Who is calling an auth flow endpoint. The frontend SDK identifies itself with a connect session token
/// (<c>?connect_session_token=</c>) or, for old frontends, the environment's public key (<c>?public_key=</c>).
/// </summary>
public static class AuthCallerResolver
{
    public static async Task<(AuthCaller? Caller, AuthError? Error)> ResolveAsync(HttpContext http, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        var query = http.Request.Query;
        var sessionToken = query["connect_session_token"].ToString();
        if (string.IsNullOrEmpty(sessionToken) && http.Request.Headers.Authorization.ToString() is { } header
            && header.StartsWith("Bearer " + ConnectSessionToken.Prefix, StringComparison.Ordinal))
        {
            sessionToken = header["Bearer ".Length..];
        }
        if (!string.IsNullOrEmpty(sessionToken))
        {
            var lookup = await http.RequestServices.GetRequiredService<ConnectSessionService>().ResolveAsync(sessionToken, ct);
            return lookup.Status switch
            {
                ConnectSessionTokenStatus.Valid => (AuthCaller.FromSession(lookup.Session!), null),
                ConnectSessionTokenStatus.InvalidFormat => (null, new AuthError("invalid_connect_session_token_format", "The connect session token is malformed.")),
                _ => (null, new AuthError("unknown_connect_session_token", "The connect session token is unknown or expired.")),
            };
        }
        var publicKey = query["public_key"].ToString();
        if (string.IsNullOrEmpty(publicKey))
        {
            return (null, new AuthError("missing_auth_token", "Pass a connect session token (connect_session_token) or the environment's public key (public_key)."));
        }
        if (!Guid.TryParse(publicKey, out var key))
        {
            return (null, new AuthError("invalid_public_key", "The public key is not a UUID."));
        }
        var environments = http.RequestServices.GetRequiredService<EnvironmentService>();
        var environment = await environments.FindByPublicKeyAsync(key, ct);
        return environment is null
            ? (null, new AuthError("unknown_public_key", "No environment has this public key."))
            : (new AuthCaller(environment), null);
    }

    /// <summary><c>prefix[key]=value</c> query entries as a map (Nango's <c>params[…]</c>, <c>authorization_params[…]</c>).</summary>
    public static Dictionary<string, string> Bracketed(IQueryCollection query, string prefix)
    {
        ArgumentNullException.ThrowIfNull(query);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in query)
        {
            if (name.Length > prefix.Length + 2 && name.StartsWith(prefix + "[", StringComparison.Ordinal) && name.EndsWith(']'))
            {
                values[name[(prefix.Length + 1)..^1]] = value.ToString();
            }
        }
        return values;
    }
}
