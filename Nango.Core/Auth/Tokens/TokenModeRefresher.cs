using System.Text.Json.Nodes;
using Nango.Core.Integrations;
using Nango.Core.Providers;

namespace Nango.Core.Auth.Tokens;

/// <summary>A regenerated credentials object, or why not; <c>Url</c>/<c>StatusCode</c> describe the call made, if any.</summary>
public sealed record TokenModeRefresh(JsonObject? Credentials, AuthError? Error, string? Url, int StatusCode);

/// <summary>
/// Refresh for the modes whose tokens Nango makes itself: JWT signs a new token from the stored fields, TWO_STEP
/// uses the refresh token or asks again with the stored fields, APP asks for a new installation token.
/// </summary>
public sealed class TokenModeRefresher(TwoStepClient twoStep, AppTokenClient apps, TimeProvider clock)
{
    public static bool Handles(string? type) => type is "JWT" or "TWO_STEP" or "APP";

    public async Task<TokenModeRefresh> RefreshAsync(ProviderDefinition provider, Integration integration, JsonObject credentials, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        switch (credentials["type"]?.ToString())
        {
            case "JWT":
                var fields = credentials.DeepClone().AsObject();
                fields.Remove("token");
                fields.Remove("expires_at");
                var (jwt, error) = JwtCredentials.Issue(provider, fields, connectionConfig, clock.GetUtcNow());
                return new TokenModeRefresh(jwt, error, null, 0);
            case "TWO_STEP":
                var stepped = await twoStep.RefreshAsync(provider, credentials, connectionConfig, ct);
                return new TokenModeRefresh(stepped.Credentials, stepped.Error, stepped.Url, stepped.StatusCode);
            case "APP":
                var app = await apps.IssueAsync(provider, integration, connectionConfig, ct);
                return new TokenModeRefresh(app.Credentials, app.Error, app.Url, app.StatusCode);
            default:
                return new TokenModeRefresh(null, new AuthError("invalid_auth_mode", "These credentials are not made by Nango."), null, 0);
        }
    }
}
