using System.Text;
using System.Text.Json.Nodes;
using Nango.Core.Http;
using Nango.Core.Providers;

namespace Nango.Core.Auth;

/// <summary>The outcome of a credentials check against the provider.</summary>
public sealed record VerificationResult(bool Checked, bool Succeeded, string? Detail, int? StatusCode = null, string? Url = null);

/// <summary>
/// Checks API-key and basic credentials before they are saved, with the request the catalog describes in
/// <c>proxy.verification</c> (method, endpoints tried in turn, headers, body, optional base URL override), sent with
/// the provider's <c>proxy.headers</c> filled from the credentials. Providers without a verification block are not
/// checked; that is Nango's behaviour too.
/// </summary>
public sealed class CredentialVerifier(OutboundAddressGuard guard, TimeProvider clock) : IDisposable
{
    private readonly HttpClient _http = new(guard.CreateHandler(allowAutoRedirect: true)) { Timeout = TimeSpan.FromSeconds(20) };

    public Task<VerificationResult> VerifyAsync(ProviderDefinition provider, JsonObject credentials, JsonObject connectionConfig, CancellationToken ct) =>
        VerifyAsync(provider, credentials, connectionConfig, null, ct);

    /// <summary>
    /// <paramref name="oauth1Consumer"/> signs the check OAuth 1 style (TBA credentials): token id and secret as token
    /// credentials, the catalog's <c>signature_method</c> (HMAC-SHA256 when absent, NetSuite's), and the realm Nango uses
    /// for token-based auth, the connection's <c>accountId</c>.
    /// </summary>
    public async Task<VerificationResult> VerifyAsync(ProviderDefinition provider, JsonObject credentials, JsonObject connectionConfig, OAuthClient? oauth1Consumer, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(credentials);
        var verification = provider.Proxy?.Verification;
        if (verification is null || verification.Endpoints.Count == 0)
        {
            return new VerificationResult(false, true, null);
        }
        var context = Proxy.ProviderRequestAuth.Context(credentials, connectionConfig);
        var baseTemplate = verification.BaseUrlOverride ?? provider.Proxy!.BaseUrl;
        if (baseTemplate is null)
        {
            return new VerificationResult(false, true, null);
        }
        var baseUrl = ProviderInterpolation.Resolve(baseTemplate, context);
        if (!baseUrl.IsComplete)
        {
            return new VerificationResult(true, false, $"Missing connection config for the provider's URL: {string.Join(", ", baseUrl.Missing)}.");
        }

        VerificationResult last = new(true, false, "No verification endpoint answered.");
        foreach (var endpoint in verification.Endpoints)
        {
            var url = baseUrl.Value.TrimEnd('/') + "/" + ProviderInterpolation.InterpolateWithFallback(endpoint, context).TrimStart('/');
            using var request = new HttpRequestMessage(new HttpMethod(verification.Method), url);
            var headers = Proxy.ProviderRequestAuth.ProviderHeaders(provider.Proxy!.Headers, context)
                .Concat(Proxy.ProviderRequestAuth.ProviderHeaders(verification.Headers, context));
            foreach (var (name, value) in headers)
            {
                if (!name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                {
                    request.Headers.Remove(name);
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }
            if (verification.Data is { } data)
            {
                request.Content = new StringContent(ProviderInterpolation.InterpolateNode(data, context)!.ToJsonString(), Encoding.UTF8, "application/json");
            }
            // Basic credentials, or an OAuth 1 signature for TBA (realm = the account id), as the proxy sends them.
            Proxy.ProviderRequestAuth.Apply(request, provider, credentials, connectionConfig, oauth1Consumer, clock.GetUtcNow());
            try
            {
                using var response = await _http.SendAsync(request, ct);
                if (response.IsSuccessStatusCode)
                {
                    return new VerificationResult(true, true, null, (int)response.StatusCode, url);
                }
                last = new VerificationResult(true, false, $"{verification.Method} {url} answered {(int)response.StatusCode}.", (int)response.StatusCode, url);
            }
            catch (HttpRequestException ex)
            {
                last = new VerificationResult(true, false, $"{verification.Method} {url} failed: {ex.Message}", null, url);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                last = new VerificationResult(true, false, $"{verification.Method} {url} did not answer within 20 s.", null, url);
            }
        }
        return last;
    }

    public void Dispose() => _http.Dispose();
}
