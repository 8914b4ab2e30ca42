using System.Net.Http.Json;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Browser.ConnectUi;

/// <summary>
/// Everything a Connect UI flow touches, each on its own loopback port: Nango.Web on a port chosen in advance
/// (so its OAuth callback URL can be registered with the authorization server), the test OAuth server, an
/// API-key provider that accepts one key, the customer's page on another origin, and Chromium. The
/// integrations <c>test-oauth2</c> and <c>test-api-key</c> exist in the dev environment.
/// </summary>
public sealed class ConnectUiWorld : IAsyncLifetime
{
    public const string OAuthIntegration = TestProviders.OAuth2;
    public const string ApiKeyIntegration = "test-api-key";

    private readonly string _catalogDirectory = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));

    public TestOAuthServer OAuth { get; } = new();

    public Infrastructure.Browser Browser { get; } = new();

    public ApiKeyProvider ApiKeys { get; private set; } = null!;

    public FrontendHostPage Host { get; private set; } = null!;

    public NangoWebFactory Web { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await OAuth.InitializeAsync();
        ApiKeys = await ApiKeyProvider.StartAsync();
        Host = await FrontendHostPage.StartAsync();
        Directory.CreateDirectory(_catalogDirectory);
        var catalog = Path.Combine(_catalogDirectory, "connect-ui-providers.yaml");
        await File.WriteAllTextAsync(catalog, TestProviders.CatalogYaml(OAuth) + ApiKeyCatalogYaml(ApiKeys.BaseUrl));
        Web = new CatalogFactory(catalog) { ListenPort = NangoWebFactory.FreeLoopbackPort() };
        await Web.InitializeAsync();

        var client = await OAuth.AddClientAsync(new Uri(Web.ServerUrl, "/oauth/callback"));
        using var api = Web.CreateApiClient();
        await CreateIntegrationAsync(api, new
        {
            provider = TestProviders.OAuth2,
            unique_key = OAuthIntegration,
            display_name = "Test OAuth2",
            credentials = new { type = "OAUTH2", client_id = client.ClientId, client_secret = client.ClientSecret, scopes = "read,write" },
        });
        await CreateIntegrationAsync(api, new { provider = ApiKeyIntegration, unique_key = ApiKeyIntegration, display_name = "Test API Key" });
        await Browser.InitializeAsync();
    }

    /// <summary>A connect session made with the secret key over REST, as a backend would.</summary>
    public async Task<string> CreateSessionAsync(string endUserId, params string[] allowedIntegrations)
    {
        using var api = Web.CreateApiClient();
        return await api.CreateConnectSessionTokenAsync(allowedIntegrations.Length == 0
            ? new { end_user = new { id = endUserId } }
            : new { end_user = new { id = endUserId }, allowed_integrations = allowedIntegrations });
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Web.DisposeAsync();
        await Host.DisposeAsync();
        await ApiKeys.DisposeAsync();
        await OAuth.DisposeAsync();
        if (Directory.Exists(_catalogDirectory))
        {
            Directory.Delete(_catalogDirectory, recursive: true);
        }
    }

    private static async Task CreateIntegrationAsync(HttpClient api, object body)
    {
        var response = await api.PostAsJsonAsync("/integrations", body);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// An API-key provider whose key is checked against <see cref="ApiKeyProvider"/>, with a connection config that
    /// exercises the form: a patterned secret with a docs anchor, a prefixed and suffixed field, an optional enum.
    /// </summary>
    private static string ApiKeyCatalogYaml(Uri baseUrl) => $$"""
        {{ApiKeyIntegration}}:
          display_name: Test API Key
          categories:
            - dev-tools
          auth_mode: API_KEY
          proxy:
            base_url: '{{baseUrl}}'
            headers:
              authorization: 'Bearer ${apiKey}'
            verification:
              method: GET
              endpoints:
                - /me
          docs: 'https://docs.example.com/test-api-key'
          docs_connect: 'https://docs.example.com/test-api-key/connect'
          credentials:
            apiKey:
              type: string
              title: API Key
              description: Find it in your account under Settings, API.
              example: key-xxxxxxxx
              pattern: '^key-[a-z0-9]+$'
              secret: true
              doc_section: '#api-key'
          connection_config:
            workspace:
              type: string
              title: Workspace
              description: The first part of your workspace's address.
              example: acme
              pattern: '^[a-z0-9-]+$'
              prefix: 'https://'
              suffix: '.example.com'
              doc_section: '#workspace'
            region:
              type: string
              title: Region
              enum:
                - eu
                - us
              default_value: eu
              optional: true

        """;

    private sealed class CatalogFactory(string catalogFile) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [TestProviders.Setting(catalogFile)];
    }
}
