using Microsoft.Extensions.Primitives;
using Nango.Core.Auth;
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
        if (!StringValues.IsNullOrEmpty(query["connect_session_token"]))
        {
            return (null, new AuthError("unknown_connect_session_token", "Connect sessions are not available yet on this server."));
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
