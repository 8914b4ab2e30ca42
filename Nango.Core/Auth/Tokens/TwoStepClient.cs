using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Http;
using Nango.Core.Providers;

namespace Nango.Core.Auth.Tokens;

/// <summary>What a TWO_STEP token request produced: the credentials, or why not, and what was called (for Logs).</summary>
public sealed record TwoStepResult(JsonObject? Credentials, AuthError? Error, string? Url = null, int StatusCode = 0);

/// <summary>
/// TWO_STEP mode: the user's fields are traded for a token at <c>token_url</c> with <c>token_params</c> and
/// <c>token_headers</c> (placeholders, <c>${now}</c>, <c>${random}</c>, <c>${token}</c> for a JWT made from the
/// catalog's <c>token</c> block, and the template functions), sent as <c>body_format</c> (JSON unless form is named
/// there or in the content type) with <c>token_request_method</c>; <c>token_response{token, token_expiration,
/// token_expiration_strategy, refresh_token}</c> says where the answer keeps them. A refresh uses <c>refresh_url</c>
/// with <c>refresh_token_params</c>/<c>refresh_token_headers</c> when there is a refresh token, and otherwise asks
/// again with the stored fields. Entries with <c>additional_steps</c> or an XML body are not supported yet.
/// </summary>
public sealed class TwoStepClient(OutboundAddressGuard guard, TimeProvider clock) : IDisposable
{
    private readonly HttpClient _http = new(guard.CreateHandler(allowAutoRedirect: true)) { Timeout = TimeSpan.FromSeconds(30) };

    public Task<TwoStepResult> IssueAsync(ProviderDefinition provider, JsonObject input, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(input);
        var fields = input.DeepClone().AsObject();
        fields.Remove("type");
        var missing = provider.CredentialsFields.Where(f => !f.Optional && fields[f.Name] is null).Select(f => f.Name).ToList();
        if (missing.Count > 0)
        {
            return Task.FromResult(new TwoStepResult(null, new AuthError("invalid_credentials", $"Missing credentials: {string.Join(", ", missing)}.")));
        }
        return RequestAsync(provider, fields, connectionConfig, null, ct);
    }

    public Task<TwoStepResult> RefreshAsync(ProviderDefinition provider, JsonObject credentials, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(credentials);
        var fields = credentials.DeepClone().AsObject();
        foreach (var own in new[] { "type", "token", "refresh_token", "expires_at", "raw" })
        {
            fields.Remove(own);
        }
        var refreshToken = credentials["refresh_token"]?.ToString();
        return RequestAsync(provider, fields, connectionConfig, provider.RefreshUrl is not null && !string.IsNullOrEmpty(refreshToken) ? refreshToken : null, ct);
    }

    private async Task<TwoStepResult> RequestAsync(ProviderDefinition provider, JsonObject fields, JsonObject connectionConfig, string? refreshToken, CancellationToken ct)
    {
        var raw = provider.Raw;
        if (raw["additional_steps"] is JsonArray { Count: > 0 } || string.Equals(provider.BodyFormat, "xml", StringComparison.OrdinalIgnoreCase))
        {
            return new TwoStepResult(null, new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' needs additional steps or an XML body, which are not supported yet."));
        }
        if (raw["token_response"] is not JsonObject tokenResponse)
        {
            return new TwoStepResult(null, new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' has no token_response in the catalog."));
        }
        var now = clock.GetUtcNow();
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["now"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["random"] = Guid.NewGuid().ToString("N"),
        };
        if (refreshToken is not null)
        {
            values["refresh_token"] = refreshToken;
        }
        if (raw["token"] is JsonObject)
        {
            var (jwt, jwtError) = JwtCredentials.Issue(provider, fields, connectionConfig, now);
            if (jwtError is not null)
            {
                return new TwoStepResult(null, jwtError);
            }
            values["token"] = jwt!["token"]!.ToString();
        }
        var context = new InterpolationContext { Credentials = fields, ConnectionConfig = connectionConfig, Values = values };
        var urlTemplate = refreshToken is not null ? provider.RefreshUrl : provider.TokenUrl?.For("TWO_STEP");
        if (string.IsNullOrEmpty(urlTemplate))
        {
            return new TwoStepResult(null, new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' has no token_url in the catalog."));
        }
        var url = ProviderInterpolation.Resolve(urlTemplate, context);
        if (!url.IsComplete)
        {
            return new TwoStepResult(null, new AuthError("invalid_connection_config", $"The token URL needs: {string.Join(", ", url.Missing)}."));
        }
        var parameters = TemplateFunctions.Fill(refreshToken is not null ? raw["refresh_token_params"] : provider.TokenParams, context) as JsonObject ?? [];
        var headers = (refreshToken is not null ? ProviderJson.StringMap(raw["refresh_token_headers"]) : provider.TokenHeaders)
            .ToDictionary(h => h.Key, h => TemplateFunctions.Apply(ProviderInterpolation.Interpolate(h.Value, context)), StringComparer.OrdinalIgnoreCase);
        var method = string.Equals(ProviderJson.String(raw["token_request_method"]), "GET", StringComparison.OrdinalIgnoreCase) ? HttpMethod.Get : HttpMethod.Post;

        using var request = new HttpRequestMessage(method, url.Value);
        var contentType = headers.GetValueOrDefault("content-type");
        var form = string.Equals(provider.BodyFormat, "form", StringComparison.OrdinalIgnoreCase)
            || (contentType?.Contains("x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ?? false);
        if (method == HttpMethod.Post)
        {
            request.Content = form
                ? new FormUrlEncodedContent(parameters.Select(p => new KeyValuePair<string, string>(p.Key, Scalar(p.Value))))
                : new StringContent(parameters.ToJsonString(), Encoding.UTF8, "application/json");
        }
        foreach (var (name, value) in headers)
        {
            if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
            {
                if (request.Content is not null && MediaTypeHeaderValue.TryParse(value, out var parsed))
                {
                    request.Content.Headers.ContentType = parsed;
                }
                continue;
            }
            request.Headers.TryAddWithoutValidation(name, value);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            return new TwoStepResult(null, new AuthError("connection_test_failed", $"The token endpoint could not be reached: {ex.Message}"), url.Value);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new TwoStepResult(null, new AuthError("connection_test_failed", "The token endpoint did not answer within 30 s."), url.Value);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                return new TwoStepResult(null, new AuthError("connection_test_failed", $"The token endpoint answered {status}: {(text.Length > 300 ? text[..300] : text)}"), url.Value, status);
            }
            var body = Parse(text);
            var tokenPath = ProviderJson.String(tokenResponse["token"]) ?? "";
            var token = tokenPath.Length == 0 ? text.Trim() : Dig(body, tokenPath);
            if (string.IsNullOrEmpty(token))
            {
                return new TwoStepResult(null, new AuthError("connection_test_failed", $"The token response has no '{tokenPath}'."), url.Value, status);
            }
            var credentials = new JsonObject { ["type"] = "TWO_STEP" };
            foreach (var (name, value) in fields)
            {
                credentials[name] = value?.DeepClone();
            }
            credentials["token"] = token;
            if (ProviderJson.String(tokenResponse["refresh_token"]) is { Length: > 0 } refreshPath && Dig(body, refreshPath) is { Length: > 0 } newRefresh)
            {
                credentials["refresh_token"] = newRefresh;
            }
            else if (refreshToken is not null)
            {
                credentials["refresh_token"] = refreshToken;
            }
            if (ExpiresAt(provider, tokenResponse, body, now) is { } expiresAt)
            {
                credentials["expires_at"] = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            }
            credentials["raw"] = body?.DeepClone() ?? JsonValue.Create(text);
            return new TwoStepResult(credentials, null, url.Value, status);
        }
    }

    private static DateTimeOffset? ExpiresAt(ProviderDefinition provider, JsonObject tokenResponse, JsonObject? body, DateTimeOffset now)
    {
        var path = ProviderJson.String(tokenResponse["token_expiration"]);
        var value = path is null ? null : Dig(body, path);
        if (!string.IsNullOrEmpty(value))
        {
            var strategy = ProviderJson.String(tokenResponse["token_expiration_strategy"]) ?? "expireAt";
            if (strategy == "expireIn" && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            {
                return now.AddSeconds(seconds);
            }
            if (strategy == "expireAt")
            {
                if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
                {
                    // Seconds or milliseconds since the epoch, told apart by size.
                    return epoch > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : DateTimeOffset.FromUnixTimeSeconds(epoch);
                }
                if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                {
                    return at;
                }
            }
        }
        return provider.TokenExpiresInMs is { } ms ? now.AddMilliseconds(ms) : null;
    }

    private static string? Dig(JsonObject? body, string path)
    {
        JsonNode? node = body;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }
        return ProviderJson.String(node);
    }

    private static string Scalar(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString() ?? "";

    private static JsonObject? Parse(string text)
    {
        var trimmed = text.Trim();
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
        return null;
    }

    public void Dispose() => _http.Dispose();
}
