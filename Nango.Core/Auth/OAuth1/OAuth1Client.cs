using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Http;
using Nango.Core.Providers;

namespace Nango.Core.Auth.OAuth1;

/// <summary>A temporary-credentials or token endpoint's answer (RFC 5849 §2.1, §2.3): the parsed body, or why there is none.</summary>
public sealed record OAuth1TokenResponse(JsonObject? Body, int StatusCode, string? Error)
{
    public string? Token => Body?["oauth_token"]?.ToString();

    public string? TokenSecret => Body?["oauth_token_secret"]?.ToString();

    public bool Succeeded => Error is null && !string.IsNullOrEmpty(Token) && TokenSecret is not null;
}

/// <summary>
/// The two server-to-server steps of OAuth 1.0a, as the catalog entry describes them: temporary credentials at
/// <c>request_url</c> (with <c>request_params</c> in the signed form body and <c>oauth_callback</c>), and token
/// credentials at <c>token_url</c> (with the verifier), each signed with <c>signature_method</c>. The HTTP method is
/// POST unless the entry says otherwise (<c>request_http_method</c>, <c>token_http_method</c>, as Nango reads them).
/// </summary>
public sealed class OAuth1Client(OutboundAddressGuard guard, TimeProvider clock) : IDisposable
{
    private readonly HttpClient _http = new(guard.CreateHandler(allowAutoRedirect: true)) { Timeout = TimeSpan.FromSeconds(30) };

    public Task<OAuth1TokenResponse> RequestTokenAsync(ProviderDefinition provider, OAuthClient client, string callbackUrl, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(client);
        var context = new InterpolationContext { ConnectionConfig = connectionConfig, ClientId = client.ClientId };
        var body = ProviderInterpolation.InterpolateAll(provider.RequestParams, context).ToList();
        return SendAsync(provider, provider.RequestUrl, MethodOf(provider, "request_http_method"), new OAuth1Credentials(client.ClientId, client.ClientSecret),
            [new("oauth_callback", callbackUrl)], body, connectionConfig, ct);
    }

    public Task<OAuth1TokenResponse> AccessTokenAsync(
        ProviderDefinition provider, OAuthClient client, string requestToken, string? requestTokenSecret, string verifier, JsonObject connectionConfig, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(client);
        return SendAsync(provider, provider.TokenUrl?.For("OAUTH1"), MethodOf(provider, "token_http_method"),
            new OAuth1Credentials(client.ClientId, client.ClientSecret, requestToken, requestTokenSecret),
            [new("oauth_verifier", verifier)], [], connectionConfig, ct);
    }

    private async Task<OAuth1TokenResponse> SendAsync(
        ProviderDefinition provider, string? urlTemplate, HttpMethod method, OAuth1Credentials credentials,
        List<KeyValuePair<string, string>> extraOAuth, List<KeyValuePair<string, string>> body, JsonObject connectionConfig, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(urlTemplate))
        {
            return new OAuth1TokenResponse(null, 0, $"The provider '{provider.Name}' has no OAuth 1 endpoint URL in the catalog.");
        }
        var url = ProviderInterpolation.Resolve(urlTemplate, new InterpolationContext { ConnectionConfig = connectionConfig });
        if (!url.IsComplete || !Uri.TryCreate(url.Value, UriKind.Absolute, out var uri))
        {
            return new OAuth1TokenResponse(null, 0, $"The endpoint URL needs connection config: {string.Join(", ", url.Missing)}.");
        }
        var signatureMethod = provider.SignatureMethod ?? OAuth1Signature.HmacSha1;
        if (!OAuth1Signature.IsSupported(signatureMethod))
        {
            return new OAuth1TokenResponse(null, 0, $"The signature method {signatureMethod} is not supported.");
        }
        // Parameters of a GET travel in the query, where they are signed as well.
        if (method == HttpMethod.Get && body.Count > 0)
        {
            uri = new Uri(uri + (uri.Query.Length > 0 ? "&" : "?") + string.Join('&', body.Select(p => OAuth1Signature.PercentEncode(p.Key) + "=" + OAuth1Signature.PercentEncode(p.Value))));
            body = [];
        }
        var signed = OAuth1Request.Sign(method.Method, uri, credentials, signatureMethod, OAuth1Request.Timestamp(clock.GetUtcNow()), OAuth1Request.NewNonce(), extraOAuth, body);
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation("Authorization", signed.AuthorizationHeader);
        request.Headers.TryAddWithoutValidation("Accept", "application/x-www-form-urlencoded, application/json");
        if (method != HttpMethod.Get)
        {
            request.Content = new FormUrlEncodedContent(body);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            return new OAuth1TokenResponse(null, 0, $"{uri.GetLeftPart(UriPartial.Path)} could not be reached: {ex.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new OAuth1TokenResponse(null, 0, $"{uri.GetLeftPart(UriPartial.Path)} did not answer within 30 s.");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var status = (int)response.StatusCode;
            var parsed = Parse(text);
            if (!response.IsSuccessStatusCode)
            {
                var excerpt = text.Length > 300 ? text[..300] : text;
                return new OAuth1TokenResponse(parsed, status, $"{uri.GetLeftPart(UriPartial.Path)} answered {status}: {excerpt}");
            }
            if (parsed?["oauth_token"] is null)
            {
                return new OAuth1TokenResponse(parsed, status, $"{uri.GetLeftPart(UriPartial.Path)} answered without an oauth_token.");
            }
            return new OAuth1TokenResponse(parsed, status, null);
        }
    }

    private static HttpMethod MethodOf(ProviderDefinition provider, string key) =>
        ProviderJson.String(provider.Raw[key]) is { Length: > 0 } method ? new HttpMethod(method.ToUpperInvariant()) : HttpMethod.Post;

    /// <summary>The form encoding RFC 5849 prescribes, or JSON, which some providers answer with.</summary>
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
        if (!trimmed.Contains('=', StringComparison.Ordinal))
        {
            return null;
        }
        var body = new JsonObject();
        foreach (var (key, value) in OAuth1Signature.ParseForm(trimmed))
        {
            body[key] = value;
        }
        return body;
    }

    public void Dispose() => _http.Dispose();
}
