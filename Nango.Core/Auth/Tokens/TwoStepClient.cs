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
/// again with the stored fields. <c>additional_steps</c> run in order after the first request, each reading the
/// earlier answers as <c>${stepN.path}</c>; the last answer holds the token. XML bodies are not supported yet.
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
        if (string.Equals(provider.BodyFormat, "xml", StringComparison.OrdinalIgnoreCase))
        {
            return new TwoStepResult(null, new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' needs an XML body, which is not supported yet."));
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

        // The first step is the entry itself (or its refresh request); additional_steps follow, each able to read
        // the answers before it as ${stepN.path}. The last answer holds the token.
        var steps = new List<Step>
        {
            refreshToken is not null
                ? new Step(provider.RefreshUrl, raw["refresh_token_params"], ProviderJson.StringMap(raw["refresh_token_headers"]), provider.BodyFormat, null)
                : new Step(provider.TokenUrl?.For("TWO_STEP"), provider.TokenParams, provider.TokenHeaders, provider.BodyFormat, ProviderJson.String(raw["token_request_method"])),
        };
        if (refreshToken is null && raw["additional_steps"] is JsonArray additional)
        {
            steps.AddRange(additional.OfType<JsonObject>().Select(step => new Step(
                ProviderJson.String(step["token_url"]), step["token_params"], ProviderJson.StringMap(step["token_headers"]),
                ProviderJson.String(step["body_format"]), ProviderJson.String(step["token_request_method"]))));
        }
        var answers = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        StepAnswer? last = null;
        for (var i = 0; i < steps.Count; i++)
        {
            var context = new InterpolationContext { Credentials = fields, ConnectionConfig = connectionConfig, Values = values, Objects = answers };
            last = await SendStepAsync(provider, steps[i], context, ct);
            if (last.Error is not null)
            {
                return new TwoStepResult(null, last.Error, last.Url, last.StatusCode);
            }
            answers["step" + (i + 1).ToString(CultureInfo.InvariantCulture)] = last.Body ?? [];
        }

        var body = last!.Body;
        var tokenPath = ProviderJson.String(tokenResponse["token"]) ?? "";
        var token = tokenPath.Length == 0 ? last.Text.Trim() : Dig(body, tokenPath);
        if (string.IsNullOrEmpty(token))
        {
            return new TwoStepResult(null, new AuthError("connection_test_failed", $"The token response has no '{tokenPath}'."), last.Url, last.StatusCode);
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
        credentials["raw"] = body?.DeepClone() ?? JsonValue.Create(last.Text);
        return new TwoStepResult(credentials, null, last.Url, last.StatusCode);
    }

    private async Task<StepAnswer> SendStepAsync(ProviderDefinition provider, Step step, InterpolationContext context, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(step.UrlTemplate))
        {
            return new StepAnswer(null, "", "", 0, new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' has no token_url in the catalog."));
        }
        var url = ProviderInterpolation.Resolve(step.UrlTemplate, context);
        if (!url.IsComplete)
        {
            return new StepAnswer(null, "", url.Value, 0, new AuthError("invalid_connection_config", $"The token URL needs: {string.Join(", ", url.Missing)}."));
        }
        var parameters = TemplateFunctions.Fill(step.Params, context) as JsonObject ?? [];
        var headers = step.Headers.ToDictionary(h => h.Key, h => TemplateFunctions.Apply(ProviderInterpolation.Interpolate(h.Value, context)), StringComparer.OrdinalIgnoreCase);
        var method = string.Equals(step.Method, "GET", StringComparison.OrdinalIgnoreCase) ? HttpMethod.Get : HttpMethod.Post;

        using var request = new HttpRequestMessage(method, url.Value);
        var contentType = headers.GetValueOrDefault("content-type");
        var form = string.Equals(step.BodyFormat, "form", StringComparison.OrdinalIgnoreCase)
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
            return new StepAnswer(null, "", url.Value, 0, new AuthError("connection_test_failed", $"The token endpoint could not be reached: {ex.Message}"));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new StepAnswer(null, "", url.Value, 0, new AuthError("connection_test_failed", "The token endpoint did not answer within 30 s."));
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new StepAnswer(Parse(text), text, url.Value, status, null)
                : new StepAnswer(null, text, url.Value, status, new AuthError("connection_test_failed", $"{url.Value} answered {status}: {(text.Length > 300 ? text[..300] : text)}"));
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

    private sealed record Step(string? UrlTemplate, JsonNode? Params, IReadOnlyDictionary<string, string> Headers, string? BodyFormat, string? Method);

    private sealed record StepAnswer(JsonObject? Body, string Text, string Url, int StatusCode, AuthError? Error);
}
