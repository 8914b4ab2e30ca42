using System.Globalization;
using System.Net;
using System.Text;
using Nango.Tests.Api.Proxy.Support;
using Nango.Tests.Infrastructure.AuthModes;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// What each auth mode adds to a proxied request: the connection's credentials in the form the provider expects, and
/// nothing of the caller's own credentials (its Nango secret key never leaves Nango).
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyAuthInjectionTests(ProxyWorld world) : IDisposable
{
    private readonly HttpClient _api = world.Web.CreateApiClient();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _api.Dispose();

    private async Task<UpstreamRequest> CallAsync(string key, string path, HttpMethod? method = null, HttpContent? content = null)
    {
        var response = await _api.ProxyAsync(method ?? HttpMethod.Get, path, key, ProxyWorld.ConnectionId, content: content);
        await response.AssertStatusAsync(HttpStatusCode.OK);
        return Assert.Single(world.Upstream.Received(ProxyCatalog.Folder(key) + path.Split('?')[0]));
    }

    [Theory]
    [InlineData(ProxyCatalog.OAuth2, "Bearer oauth2-access-token")]
    [InlineData(ProxyCatalog.App, "Bearer app-installation-token")]
    [InlineData(ProxyCatalog.Custom, "Bearer custom-access-token")]
    [InlineData(ProxyCatalog.ClientCredentials, "Bearer client-credentials-token")]
    [InlineData(ProxyCatalog.Jwt, "Bearer jwt-token-value")]
    [InlineData(ProxyCatalog.Signature, "Bearer signature-token-value")]
    [InlineData(ProxyCatalog.TwoStep, "Bearer two-step-token-value")]
    public async Task Token_modes_send_the_connection_token_as_a_bearer(string key, string expected)
    {
        var received = await CallAsync(key, ProxyCalls.UniquePath("bearer"));

        Assert.Equal(expected, received.Header("authorization"));
    }

    [Fact]
    public async Task Basic_sends_the_username_and_password_base64_encoded()
    {
        var received = await CallAsync(ProxyCatalog.Basic, ProxyCalls.UniquePath("basic"));

        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ProxyWorld.BasicUsername}:{ProxyWorld.BasicPassword}")), received.Header("authorization"));
    }

    [Fact]
    public async Task Api_key_is_sent_only_where_the_provider_templates_put_it()
    {
        var templated = await CallAsync(ProxyCatalog.ApiKey, ProxyCalls.UniquePath("api-key"));
        var path = ProxyCalls.UniquePath("getMe");
        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.KeyInUrl, ProxyWorld.ConnectionId);
        await response.AssertStatusAsync(HttpStatusCode.OK);

        Assert.Equal("Bearer " + ProxyWorld.ApiKeyValue, templated.Header("authorization"));
        // No header template: the key goes nowhere but the base URL, and no Authorization header is made up.
        var inUrl = Assert.Single(world.Upstream.Received("/key-in-url/bot4242:key-in-url" + path));
        Assert.False(inUrl.HasHeader("authorization"), "An API-key provider without header templates got an Authorization header.");
    }

    [Fact]
    public async Task None_sends_no_credentials_and_the_callers_secret_key_never_reaches_the_provider()
    {
        var received = await CallAsync(ProxyCatalog.None, ProxyCalls.UniquePath("none"));

        Assert.False(received.HasHeader("authorization"), $"Authorization sent: {received.Header("authorization")}");
        Assert.DoesNotContain(received.Headers, h => h.Value.Contains(world.Web.SecretKey, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task OAuth1_requests_are_signed_hmac_sha1_with_the_integration_client_and_the_connection_token()
    {
        var path = ProxyCalls.UniquePath("oauth1");
        Dictionary<string, string>? parameters = null;
        var valid = false;
        world.Upstream.On("/oauth1" + path, async (context, request, _) =>
        {
            // Checked the provider's way, independently of Nango's signer: query and form parameters included.
            valid = await OAuth1Verifier.IsValidAsync(context.Request, ProxyWorld.OAuth1ConsumerSecret, ProxyWorld.OAuth1TokenSecret);
            parameters = OAuth1Verifier.ReadHeader(context.Request);
            await ProxyUpstream.EchoAsync(context, request);
        });
        using var form = new FormUrlEncodedContent([new("status", "Hello Ladies + Gentlemen, a signed OAuth request!"), new("include_entities", "true")]);
        var formText = await form.ReadAsStringAsync(Ct);

        var received = await CallAsync(ProxyCatalog.OAuth1, path + "?b5=%3D%253D&a3=a&c%40=&a2=r%20b", HttpMethod.Post, form);

        Assert.StartsWith("OAuth ", received.Header("authorization"), StringComparison.Ordinal);
        Assert.NotNull(parameters);
        Assert.True(valid, "The OAuth 1 signature does not verify: " + received.Header("authorization"));
        Assert.Equal(ProxyWorld.OAuth1ConsumerKey, parameters["oauth_consumer_key"]);
        Assert.Equal(ProxyWorld.OAuth1Token, parameters["oauth_token"]);
        Assert.Equal("HMAC-SHA1", parameters["oauth_signature_method"]);
        Assert.False(string.IsNullOrEmpty(parameters.GetValueOrDefault("oauth_nonce")), "No oauth_nonce.");
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(long.Parse(parameters["oauth_timestamp"], CultureInfo.InvariantCulture));
        Assert.InRange(timestamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        // The body the signature covered is the body the provider got.
        Assert.Equal(formText, received.BodyText);
    }

    [Fact]
    public async Task OAuth1_nonces_differ_between_calls()
    {
        var first = await CallAsync(ProxyCatalog.OAuth1, ProxyCalls.UniquePath("oauth1-nonce"));
        var second = await CallAsync(ProxyCatalog.OAuth1, ProxyCalls.UniquePath("oauth1-nonce"));

        Assert.NotEqual(Nonce(first), Nonce(second));

        static string Nonce(UpstreamRequest request) =>
            request.Header("authorization")!.Split(',').Select(p => p.Trim()).Single(p => p.StartsWith("oauth_nonce=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tba_requests_are_signed_hmac_sha256_with_the_account_id_as_realm()
    {
        var path = ProxyCalls.UniquePath("tba");
        Dictionary<string, string>? parameters = null;
        var valid = false;
        world.Upstream.On("/tba" + path, async (context, request, _) =>
        {
            valid = await OAuth1Verifier.IsValidAsync(context.Request, ProxyWorld.TbaConsumerSecret, ProxyWorld.TbaTokenSecret);
            parameters = OAuth1Verifier.ReadHeader(context.Request);
            await ProxyUpstream.EchoAsync(context, request);
        });

        var received = await CallAsync(ProxyCatalog.Tba, path + "?q=SELECT%20id%20FROM%20customer&limit=5");

        Assert.NotNull(parameters);
        Assert.True(valid, "The TBA signature does not verify: " + received.Header("authorization"));
        Assert.Equal(ProxyWorld.TbaAccountId, parameters["realm"]);
        Assert.Equal("HMAC-SHA256", parameters["oauth_signature_method"]);
        Assert.Equal(ProxyWorld.TbaConsumerKey, parameters["oauth_consumer_key"]);
        Assert.Equal(ProxyWorld.TbaTokenId, parameters["oauth_token"]);
    }
}
