using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Http;
using Nango.Core.Providers;

namespace Nango.Core.Auth;

/// <summary>The client an OAuth 2 token request authenticates as (the integration's, or a per-connection override).</summary>
public sealed record OAuthClient(string ClientId, string? ClientSecret);

/// <summary>A token endpoint's answer: the parsed body, or why there is none.</summary>
public sealed record TokenResponse(JsonObject? Body, int StatusCode, string? Error, string? ErrorDescription)
{
    public bool Succeeded => Body is not null && Error is null;

    /// <summary>The error and, when the provider gave one, its description: for messages to people.</summary>
    public string Describe() => ErrorDescription is null ? $"{Error}" : $"{Error} — {ErrorDescription}";
}

/// <summary>
/// Calls a provider's token endpoint the way its catalog entry says: <c>token_url</c> (interpolated, per auth mode),
/// <c>token_params</c> / <c>refresh_params</c>, <c>body_format</c> (form by default, or JSON), and
/// <c>token_request_auth_method</c> (client id/secret in the body by default, or HTTP Basic). Connections go
/// through the <see cref="OutboundAddressGuard"/>, like every call made on a user's behalf.
/// </summary>
public sealed class OAuth2TokenClient(OutboundAddressGuard guard) : IDisposable
{
    private readonly HttpClient _http = new(guard.CreateHandler(allowAutoRedirect: true)) { Timeout = TimeSpan.FromSeconds(30) };

    public Task<TokenResponse> ExchangeCodeAsync(ProviderDefinition provider, OAuthClient client, string code, string redirectUri, string? codeVerifier, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
        };
        if (codeVerifier is not null)
        {
            fields["code_verifier"] = codeVerifier;
        }
        return SendAsync(provider, provider.TokenUrl?.For(provider.AuthMode), provider.TokenParams, client, fields, connectionConfig, ct);
    }

    public Task<TokenResponse> RefreshAsync(ProviderDefinition provider, OAuthClient client, string refreshToken, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
        };
        var url = provider.RefreshUrl ?? provider.TokenUrl?.For(provider.AuthMode);
        // A refresh uses refresh_params when the catalog has them; token_params are for the code exchange.
        var extra = provider.RefreshParams.Count > 0 ? provider.RefreshParams : [];
        return SendAsync(provider, url, extra, client, fields, connectionConfig, ct);
    }

    public Task<TokenResponse> ClientCredentialsAsync(ProviderDefinition provider, OAuthClient client, IReadOnlyList<string> scopes, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(scopes);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["grant_type"] = "client_credentials" };
        if (scopes.Count > 0)
        {
            fields["scope"] = string.Join(provider.ScopeSeparator ?? " ", scopes);
        }
        return SendAsync(provider, provider.TokenUrl?.For("OAUTH2_CC") ?? provider.TokenUrl?.For(provider.AuthMode), provider.TokenParams, client, fields, connectionConfig, ct);
    }

    private async Task<TokenResponse> SendAsync(
        ProviderDefinition provider, string? urlTemplate, JsonObject extraParams, OAuthClient client,
        Dictionary<string, string> fields, JsonObject connectionConfig, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(urlTemplate))
        {
            return new TokenResponse(null, 0, "missing_token_url", $"The provider '{provider.Name}' has no token_url in the catalog.");
        }
        var context = new InterpolationContext { ConnectionConfig = connectionConfig, ClientId = client.ClientId, ClientSecret = client.ClientSecret };
        var url = ProviderInterpolation.Resolve(urlTemplate, context);
        if (!url.IsComplete)
        {
            return new TokenResponse(null, 0, "missing_connection_config", $"The token URL needs connection config: {string.Join(", ", url.Missing)}.");
        }

        // Catalog params first; the grant's own fields win over them.
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in ProviderInterpolation.InterpolateNode(extraParams, context)?.AsObject() ?? [])
        {
            if (value is not null)
            {
                parameters[key] = value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
            }
        }
        foreach (var (key, value) in fields)
        {
            parameters[key] = value;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url.Value);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (string.Equals(provider.TokenRequestAuthMethod, "basic", StringComparison.OrdinalIgnoreCase))
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.ClientId}:{client.ClientSecret}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basic);
        }
        else
        {
            parameters["client_id"] = client.ClientId;
            if (client.ClientSecret is not null)
            {
                parameters["client_secret"] = client.ClientSecret;
            }
        }
        foreach (var (name, value) in ProviderInterpolation.InterpolateAll(provider.TokenHeaders, context))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        request.Content = string.Equals(provider.BodyFormat, "json", StringComparison.OrdinalIgnoreCase)
            ? new StringContent(JsonSerializer.Serialize(parameters), Encoding.UTF8, "application/json")
            : new FormUrlEncodedContent(parameters);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            return new TokenResponse(null, 0, "token_endpoint_unreachable", $"The token endpoint could not be reached: {ex.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new TokenResponse(null, 0, "token_endpoint_timeout", "The token endpoint did not answer within 30 s.");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var body = ParseBody(text);
            var status = (int)response.StatusCode;
            if (body?["error"] is JsonNode error)
            {
                return new TokenResponse(body, status, error.ToString(), body["error_description"]?.ToString() ?? body["error_message"]?.ToString());
            }
            if (!response.IsSuccessStatusCode || body is null)
            {
                var excerpt = text.Length > 300 ? text[..300] : text;
                return new TokenResponse(body, status, "token_request_failed", $"The token endpoint answered {status}: {excerpt}");
            }
            return new TokenResponse(body, status, null, null);
        }
    }

    /// <summary>JSON, or the form encoding some providers still answer with.</summary>
    private static JsonObject? ParseBody(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                return JsonNode.Parse(trimmed) as JsonObject;
            }
            catch (JsonException)
            {
                return null;
            }
        }
        if (trimmed.Contains('=', StringComparison.Ordinal))
        {
            var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(trimmed);
            var body = new JsonObject();
            foreach (var (key, value) in form)
            {
                body[key] = value.ToString();
            }
            return body;
        }
        return null;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Turns a token response into Nango's credentials object (reference §3.2).</summary>
public static class OAuth2Credentials
{
    public static JsonObject FromTokenResponse(ProviderDefinition provider, JsonObject raw, DateTimeOffset now, string type = "OAUTH2", string? previousRefreshToken = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(raw);
        var tokenSource = raw;
        if (provider.AlternateAccessTokenResponsePath is { Length: > 0 } path && Dig(raw, path) is JsonObject nested)
        {
            tokenSource = nested;
        }
        var accessToken = tokenSource["access_token"]?.ToString()
            ?? (provider.AlternateAccessTokenResponsePath is { Length: > 0 } p ? Dig(raw, p)?.ToString() : null);
        var credentials = new JsonObject { ["type"] = type };
        if (type == "OAUTH2_CC")
        {
            credentials["token"] = accessToken;
        }
        else
        {
            credentials["access_token"] = accessToken;
            // Providers that do not rotate refresh tokens omit them on refresh: keep the one we have.
            var refreshToken = tokenSource["refresh_token"]?.ToString() ?? previousRefreshToken;
            if (refreshToken is not null)
            {
                credentials["refresh_token"] = refreshToken;
            }
        }
        if (ExpiresAt(provider, tokenSource, now) is { } expiresAt)
        {
            credentials["expires_at"] = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }
        credentials["raw"] = raw.DeepClone();
        return credentials;
    }

    public static DateTimeOffset? ExpiresAt(ProviderDefinition provider, JsonObject token, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(token);
        if (provider.TokenExpiresInMs is { } fixedMs)
        {
            return now.AddMilliseconds(fixedMs);
        }
        var node = token["expires_in"];
        if (node is null || !double.TryParse(node.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            if (token["expires_at"] is { } absolute && DateTimeOffset.TryParse(absolute.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return at;
            }
            return null;
        }
        return string.Equals(provider.ExpiresInUnit, "milliseconds", StringComparison.OrdinalIgnoreCase)
            ? now.AddMilliseconds(value)
            : now.AddSeconds(value);
    }

    private static JsonNode? Dig(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }
        return node;
    }
}
