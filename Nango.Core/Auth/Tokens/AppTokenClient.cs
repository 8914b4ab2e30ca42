using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Http;
using Nango.Core.Integrations;
using Nango.Core.Providers;
using Nango.Core.Secrets;

namespace Nango.Core.Auth.Tokens;

/// <summary>What an installation token request produced: the APP credentials, or why not.</summary>
public sealed record AppTokenResult(JsonObject? Credentials, AuthError? Error, string? Url = null, int StatusCode = 0);

/// <summary>
/// APP mode (GitHub App style): the app signs a short JWT with its private key (RS256; <c>iss</c> = the app id,
/// <c>iat</c>/<c>exp</c>), and trades it at <c>token_url</c> (the APP entry when there is one per mode), interpolated
/// with the connection's <c>installation_id</c>, for an installation token: <c>{token, expires_at}</c>.
/// </summary>
public sealed class AppTokenClient(OutboundAddressGuard guard, SecretProtector protector, TimeProvider clock) : IDisposable
{
    /// <summary>GitHub refuses app JWTs valid for more than ten minutes.</summary>
    public static readonly TimeSpan AppJwtLifetime = TimeSpan.FromMinutes(9);

    private readonly HttpClient _http = new(guard.CreateHandler(allowAutoRedirect: true)) { Timeout = TimeSpan.FromSeconds(30) };

    public async Task<AppTokenResult> IssueAsync(ProviderDefinition provider, Integration integration, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(integration);
        var appId = integration.AppId ?? connectionConfig["app_id"]?.ToString();
        var privateKey = protector.UnprotectOrNull(integration.PrivateKeyCiphertext);
        if (string.IsNullOrEmpty(appId) || string.IsNullOrEmpty(privateKey))
        {
            return new AppTokenResult(null, new AuthError("invalid_auth_mode", $"The integration '{integration.UniqueKey}' has no app id or private key: set them in its settings."));
        }
        var template = provider.TokenUrl?.For("APP");
        if (string.IsNullOrEmpty(template))
        {
            return new AppTokenResult(null, new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' has no token_url in the catalog."));
        }
        var url = ProviderInterpolation.Resolve(template, new InterpolationContext { ConnectionConfig = connectionConfig });
        if (!url.IsComplete)
        {
            return new AppTokenResult(null, new AuthError("invalid_connection_config", $"The token URL needs connection config: {string.Join(", ", url.Missing)}."));
        }

        var now = clock.GetUtcNow();
        string jwt;
        try
        {
            jwt = JwtSigner.AppToken(privateKey, appId, now, AppJwtLifetime);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            return new AppTokenResult(null, new AuthError("invalid_credentials", $"The app's private key could not sign a JWT: {ex.Message}"));
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, url.Value);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        foreach (var (name, value) in ProviderInterpolation.InterpolateAll(provider.TokenHeaders, new InterpolationContext { ConnectionConfig = connectionConfig }))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            return new AppTokenResult(null, new AuthError("token_exchange_failed", $"The token endpoint could not be reached: {ex.Message}"), url.Value);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AppTokenResult(null, new AuthError("token_exchange_failed", "The token endpoint did not answer within 30 s."), url.Value);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            JsonObject? body = null;
            try
            {
                body = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                // Reported below with the status.
            }
            if (!response.IsSuccessStatusCode || body?["token"]?.ToString() is not { Length: > 0 } token)
            {
                return new AppTokenResult(null, new AuthError("token_exchange_failed", $"The installation token request answered {status}: {(text.Length > 300 ? text[..300] : text)}"), url.Value, status);
            }
            var credentials = new JsonObject { ["type"] = "APP", ["access_token"] = token };
            if (body["expires_at"]?.ToString() is { } expires
                && DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiresAt))
            {
                credentials["expires_at"] = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            }
            credentials["raw"] = body.DeepClone();
            credentials["jwtToken"] = jwt;
            return new AppTokenResult(credentials, null, url.Value, status);
        }
    }

    public void Dispose() => _http.Dispose();
}
