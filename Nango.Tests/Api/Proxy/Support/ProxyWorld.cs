using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Tests.Infrastructure;
using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Api.Proxy.Support;

/// <summary>
/// The proxy test classes share one world and run one after another (some of them change environment settings or
/// the provider's token lifetime for a moment): see <see cref="ProxyWorld"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProxyWorldGroup : ICollectionFixture<ProxyWorld>
{
    public const string Name = "Proxy";
}

/// <summary>
/// Everything a proxied call touches, for real: the recording <see cref="ProxyUpstream"/> on 127.0.0.1, the OpenIddict
/// provider (<see cref="TestOAuthServer"/>) for tokens that really refresh, and one Nango.Web on its own database
/// whose catalog holds <see cref="ProxyCatalog"/>'s providers, each with an integration and (mostly imported)
/// connections. Retries back off from 50 ms so retry tests take milliseconds, not seconds, and request bodies are
/// kept for retries only up to <see cref="MaxBufferedBodyBytes"/>.
/// </summary>
public sealed class ProxyWorld : IAsyncLifetime
{
    /// <summary>The connection id every integration has.</summary>
    public const string ConnectionId = "conn-1";

    /// <summary><c>Nango:Proxy:MaxBufferedBodyBytes</c> here (75 MB by default): small, so a test can go over it cheaply.</summary>
    public const int MaxBufferedBodyBytes = 1024 * 1024;

    public const string ApiKeyValue = "api-key-secret-1";
    public const string BasicUsername = "basic-user@example.com";

    /// <summary>A colon in the password: only the first colon of <c>user:pass</c> separates the two.</summary>
    public const string BasicPassword = "p@ss:word-1";

    public const string OAuth1ConsumerKey = "oauth1-consumer-key";
    public const string OAuth1ConsumerSecret = "oauth1-consumer-secret";
    public const string OAuth1Token = "oauth1-token";
    public const string OAuth1TokenSecret = "oauth1-token-secret";
    public const string TbaConsumerKey = "tba-consumer-key";
    public const string TbaConsumerSecret = "tba-consumer-secret";
    public const string TbaTokenId = "tba-token-id";
    public const string TbaTokenSecret = "tba-token-secret";
    public const string TbaAccountId = "1234567_SB1";

    private readonly string _catalogDirectory = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));
    private string _catalog = "";

    public TestOAuthServer OAuth { get; } = new();

    public ProxyUpstream Upstream { get; private set; } = null!;

    public NangoWebFactory Web { get; private set; } = null!;

    /// <summary>The provider's client behind <see cref="ProxyCatalog.OAuth2"/>.</summary>
    public TestOAuthClient Client { get; private set; } = null!;

    public EnvironmentContext Environment { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await OAuth.InitializeAsync();
        Upstream = await ProxyUpstream.StartAsync();
        // A port nothing listens on: connecting to it is refused at once.
        _catalog = ProxyCatalog.Write(_catalogDirectory, Upstream, OAuth, NangoWebFactory.FreePort());
        Web = new ProxyFactory(_catalog).ListeningOn(NangoWebFactory.FreePort());
        await Web.InitializeAsync();
        Environment = await Web.GetEnvironmentAsync(Web.SecretKey);

        Client = await OAuth.AddClientAsync(new Uri(Web.ServerUrl, "/oauth/callback"));
        using var api = Web.CreateApiClient();
        foreach (var provider in ProxyCatalog.Providers)
        {
            object? credentials = provider switch
            {
                ProxyCatalog.OAuth2 or ProxyCatalog.OAuth2Down => new { type = "OAUTH2", client_id = Client.ClientId, client_secret = Client.ClientSecret, scopes = "read" },
                ProxyCatalog.OAuth1 => new { type = "OAUTH1", client_id = OAuth1ConsumerKey, client_secret = OAuth1ConsumerSecret },
                ProxyCatalog.Tba => new { type = "TBA", client_id = TbaConsumerKey, client_secret = TbaConsumerSecret },
                _ => null,
            };
            await CreateIntegrationAsync(api, provider, credentials);
        }

        var apiKey = new { type = "API_KEY", apiKey = ApiKeyValue };
        await ImportAsync(ProxyCatalog.ApiKey, ConnectionId, apiKey);
        await ImportAsync(ProxyCatalog.Templates, ConnectionId, apiKey, new { tenant = "acme" });
        await ImportAsync(ProxyCatalog.Fallback, "with-region", apiKey, new { region = "eu" });
        await ImportAsync(ProxyCatalog.Fallback, "without-region", apiKey);
        await ImportAsync(ProxyCatalog.Placeholder, ConnectionId, apiKey, new { other = "x" });
        await ImportAsync(ProxyCatalog.KeyInUrl, ConnectionId, new { type = "API_KEY", apiKey = "4242:key-in-url" });
        await ImportAsync(ProxyCatalog.NoBaseUrl, ConnectionId, apiKey);
        await ImportAsync(ProxyCatalog.Basic, ConnectionId, new { type = "BASIC", username = BasicUsername, password = BasicPassword });
        await ImportAsync(ProxyCatalog.OAuth2, ConnectionId, new { type = "OAUTH2", access_token = "oauth2-access-token", refresh_token = "oauth2-refresh-token" });
        await ImportAsync(ProxyCatalog.OAuth2Down, ConnectionId, new
        {
            type = "OAUTH2",
            access_token = "expired-access-token",
            refresh_token = "some-refresh-token",
            expires_at = DateTimeOffset.UtcNow.AddHours(-1).ToString("O"),
        });
        await ImportAsync(ProxyCatalog.ClientCredentials, ConnectionId, new { type = "OAUTH2_CC", token = "client-credentials-token", client_id = "cc-id", client_secret = "cc-secret" });
        await ImportAsync(ProxyCatalog.App, ConnectionId, new { type = "APP", access_token = "app-installation-token" });
        await ImportAsync(ProxyCatalog.Custom, ConnectionId, new { type = "CUSTOM", access_token = "custom-access-token" });
        await ImportAsync(ProxyCatalog.Jwt, ConnectionId, new { type = "JWT", token = "jwt-token-value" });
        await ImportAsync(ProxyCatalog.Signature, ConnectionId, new { type = "SIGNATURE", username = "sig-user", password = "sig-pass", token = "signature-token-value" });
        await ImportAsync(ProxyCatalog.TwoStep, ConnectionId, new { type = "TWO_STEP", token = "two-step-token-value" });
        await ImportAsync(ProxyCatalog.OAuth1, ConnectionId, new { type = "OAUTH1", oauth_token = OAuth1Token, oauth_token_secret = OAuth1TokenSecret });
        await ImportAsync(ProxyCatalog.Tba, ConnectionId, new { type = "TBA", token_id = TbaTokenId, token_secret = TbaTokenSecret }, new { accountId = TbaAccountId });
        await ImportAsync(ProxyCatalog.None, ConnectionId, new { type = "NONE" });
        foreach (var retry in new[] { ProxyCatalog.RetryAt, ProxyCatalog.RetryAfter, ProxyCatalog.RetryRemaining, ProxyCatalog.RetryErrorCode, ProxyCatalog.RetryInBody })
        {
            await ImportAsync(retry, ConnectionId, apiKey);
        }
    }

    /// <summary>Imports a connection through <c>POST /connections</c> (credentials obtained elsewhere) and asserts it was created.</summary>
    public async Task ImportAsync(string key, string connectionId, object credentials, object? connectionConfig = null)
    {
        using var api = Web.CreateApiClient();
        var response = await api.PostAsJsonAsync("/connections", new
        {
            provider_config_key = key,
            connection_id = connectionId,
            credentials,
            connection_config = connectionConfig,
        });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Importing {key}/{connectionId} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>Another Nango.Web on the same database with the same catalog (multi-instance tests); the caller disposes it.</summary>
    public async Task<NangoWebFactory> StartSecondInstanceAsync()
    {
        var second = new ProxyFactory(_catalog).SharingDatabaseWith(Web);
        await second.InitializeAsync();
        return second;
    }

    /// <summary>The environment's public key (legacy frontend auth), for OAuth popups.</summary>
    public async Task<Guid> PublicKeyAsync() =>
        (await Web.Services.GetRequiredService<EnvironmentService>().GetSettingsAsync(Environment, CancellationToken.None)).PublicKey;

    private static async Task CreateIntegrationAsync(HttpClient api, string key, object? credentials)
    {
        object body = credentials is null ? new { provider = key, unique_key = key } : new { provider = key, unique_key = key, credentials };
        var response = await api.PostAsJsonAsync("/integrations", body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating integration {key} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Web.DisposeAsync();
        await Upstream.DisposeAsync();
        await OAuth.DisposeAsync();
        if (Directory.Exists(_catalogDirectory))
        {
            Directory.Delete(_catalogDirectory, recursive: true);
        }
    }

    /// <summary>
    /// Nango.Web with the proxy catalog, private networks reachable (the upstream is on loopback), fast retries, and no
    /// Quartz sweep (it would refresh tokens behind the tests' back). Cached keys and connections live a minute, far
    /// longer than any test: every change a test makes must reach the caches through their invalidation, not by expiry.
    /// </summary>
    private sealed class ProxyFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            TestProviders.Setting(catalog),
            new("Nango:Scheduling:Enabled", "false"),
            new("Nango:Proxy:AllowPrivateNetworks", "true"),
            new("Nango:Proxy:RetryBaseDelay", ProxyCalls.RetryBaseDelaySetting),
            new("Nango:Proxy:MaxBufferedBodyBytes", MaxBufferedBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Nango:Cache:SecretKeyTtl", "00:01:00"),
            new("Nango:Cache:ProxyConnectionTtl", "00:01:00"),
        ];
    }
}
