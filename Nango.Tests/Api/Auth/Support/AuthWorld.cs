using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Tests.Infrastructure;
using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Api.Auth.Support;

/// <summary>
/// The auth test classes share one world and run one after another (they assert on the provider's traffic counters):
/// see <see cref="AuthWorld"/>.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AuthWorldGroup : ICollectionFixture<AuthWorld>
{
    public const string Name = "Auth";
}

/// <summary>
/// Everything an auth flow touches, for real: the OpenIddict provider (<see cref="TestOAuthServer"/>), a provider API
/// that checks API keys and passwords (<see cref="CredentialCheckApi"/>), a webhook receiver set as the environment's
/// webhook URL, and two Nango.Web instances on one database, each on a port chosen up front so that its
/// <c>Nango:ServerUrl</c> (and so the OAuth callback URL the provider redirects to) is its own address.
/// </summary>
public sealed class AuthWorld : IAsyncLifetime
{
    /// <summary>OAuth 2 code flow with PKCE and rotating refresh tokens.</summary>
    public const string OAuthKey = "test-oauth2-app";

    /// <summary>Another integration of the same provider (sessions that do not allow it; a client secret to break).</summary>
    public const string OtherOAuthKey = "test-oauth2-other";

    /// <summary>The same provider, but its token URL is a closed port.</summary>
    public const string TokenDownKey = "test-oauth2-down";

    public const string ClientCredentialsKey = "test-cc-app";
    public const string ApiKeyKey = "test-api-key-app";
    public const string BasicKey = "test-basic-app";
    public const string NoneKey = "test-none-app";

    private readonly string _catalogDirectory = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));

    public TestOAuthServer OAuth { get; } = new();

    public CredentialCheckApi Checks { get; private set; } = null!;

    public WebhookReceiver Webhooks { get; private set; } = null!;

    /// <summary>Instance A: flows start here unless a test says otherwise.</summary>
    public NangoWebFactory Web { get; private set; } = null!;

    /// <summary>Instance B, on A's database.</summary>
    public NangoWebFactory Second { get; private set; } = null!;

    /// <summary>The provider's client for <see cref="OAuthKey"/>, <see cref="TokenDownKey"/> and client credentials; redirects to either instance.</summary>
    public TestOAuthClient Client { get; private set; } = null!;

    public EnvironmentContext Environment { get; private set; } = null!;

    public string SecretKey => Web.SecretKey;

    public async ValueTask InitializeAsync()
    {
        await OAuth.InitializeAsync();
        Checks = await CredentialCheckApi.StartAsync();
        Webhooks = await WebhookReceiver.StartAsync();
        string[] catalogFiles =
        [
            TestProviders.WriteCatalogFile(OAuth, _catalogDirectory),
            WriteExtraCatalogFile(),
        ];
        Web = new AuthFactory(catalogFiles).ListeningOn(NangoWebFactory.FreePort());
        await Web.InitializeAsync();
        Second = new AuthFactory(catalogFiles).ListeningOn(NangoWebFactory.FreePort()).SharingDatabaseWith(Web);
        await Second.InitializeAsync();

        Client = new TestOAuthClient(
            "client-" + Guid.NewGuid().ToString("N")[..12],
            "secret-" + Guid.NewGuid().ToString("N"),
            [CallbackUrl(Web), CallbackUrl(Second)]);
        await OAuth.AddClientAsync(Client);

        using var api = Web.CreateApiClient();
        foreach (var key in new[] { OAuthKey, OtherOAuthKey })
        {
            await CreateIntegrationAsync(api, key, TestProviders.OAuth2, Client.ClientId, Client.ClientSecret);
        }
        await CreateIntegrationAsync(api, TokenDownKey, "test-oauth2-down", Client.ClientId, Client.ClientSecret);
        await CreateIntegrationAsync(api, ClientCredentialsKey, TestProviders.OAuth2ClientCredentials);
        await CreateIntegrationAsync(api, ApiKeyKey, "test-api-key");
        await CreateIntegrationAsync(api, BasicKey, "test-basic");
        await CreateIntegrationAsync(api, NoneKey, "test-none");

        Environment = await Web.GetEnvironmentAsync(SecretKey);
        await Web.Services.GetRequiredService<EnvironmentService>().UpdateWebhookSettingsAsync(
            Environment,
            new WebhookSettingsUpdate(Webhooks.Url.ToString(), null, SendAuthWebhook: true, SendRefreshFailedWebhook: true,
                SendSyncErrorWebhook: true, AlwaysSendSyncCompletionWebhook: false, SendAsyncActionWebhook: true),
            CancellationToken.None);
    }

    /// <summary>Where the provider sends the browser back to: <c>Nango:ServerUrl</c> + <c>/oauth/callback</c>.</summary>
    public static Uri CallbackUrl(NangoWebFactory web)
    {
        ArgumentNullException.ThrowIfNull(web);
        return new Uri(web.ServerUrl, "/oauth/callback");
    }

    /// <summary>Providers besides <see cref="TestProviders"/>': API key and basic verified against <see cref="Checks"/>, none, and an OAuth 2 provider whose token endpoint is down.</summary>
    private string WriteExtraCatalogFile()
    {
        // A port nothing listens on: connecting to it is refused at once.
        var closedPort = NangoWebFactory.FreePort().ToString(CultureInfo.InvariantCulture);
        var path = Path.Combine(_catalogDirectory, "auth-test-providers.yaml");
        File.WriteAllText(path, $$"""
            test-api-key:
              display_name: Test API key
              categories:
                - dev-tools
              auth_mode: API_KEY
              proxy:
                base_url: '{{Checks.BaseUrl}}api-key'
                headers:
                  authorization: Bearer ${apiKey}
                verification:
                  method: GET
                  endpoints:
                    - /me
              docs: 'https://nango.dev/docs'
            test-basic:
              display_name: Test basic
              categories:
                - dev-tools
              auth_mode: BASIC
              proxy:
                base_url: '{{Checks.BaseUrl}}basic'
                verification:
                  method: GET
                  endpoints:
                    - /me
              docs: 'https://nango.dev/docs'
            test-none:
              display_name: Test unauthenticated
              categories:
                - dev-tools
              auth_mode: NONE
              docs: 'https://nango.dev/docs'
            test-oauth2-down:
              display_name: Test OAuth2 (token endpoint down)
              categories:
                - dev-tools
              auth_mode: OAUTH2
              authorization_url: '{{OAuth.AuthorizationUrl}}'
              token_url: 'http://127.0.0.1:{{closedPort}}/oauth/token'
              default_scopes:
                - read
              docs: 'https://nango.dev/docs'

            """);
        return path;
    }

    private static async Task CreateIntegrationAsync(HttpClient api, string key, string provider, string? clientId = null, string? clientSecret = null)
    {
        object body = clientId is null
            ? new { provider, unique_key = key }
            : new { provider, unique_key = key, credentials = new { type = "OAUTH2", client_id = clientId, client_secret = clientSecret, scopes = "read,write" } };
        var response = await api.PostAsJsonAsync("/integrations", body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Creating integration {key} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Second.DisposeAsync();
        await Web.DisposeAsync();
        await Webhooks.DisposeAsync();
        await Checks.DisposeAsync();
        await OAuth.DisposeAsync();
        if (Directory.Exists(_catalogDirectory))
        {
            Directory.Delete(_catalogDirectory, recursive: true);
        }
    }

    private sealed class AuthFactory(string[] catalogFiles) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            .. catalogFiles.Select((file, i) => TestProviders.Setting(file, i)),
            // The tests drive the refresh sweep themselves; Quartz's would refresh short-lived tokens behind their back
            // and make the provider's counters meaningless.
            new("Nango:Scheduling:Enabled", "false"),
        ];
    }
}
