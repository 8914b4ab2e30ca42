using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Tests.Infrastructure;
using Nango.Tests.Infrastructure.AuthModes;

namespace Nango.Tests.Api.AuthModes;

/// <summary>A <see cref="FakeProviderServer"/> and a Nango.Web whose catalog has test providers of each auth mode pointing at it.</summary>
public sealed class AuthModesWorld : IAsyncLifetime
{
    public const string OAuth1 = "test-oauth1";
    public const string OAuth1PlainText = "test-oauth1-plaintext";
    public const string Tba = "test-tba";
    public const string JwtRsa = "test-jwt-rsa";
    public const string JwtHmac = "test-jwt-hmac";
    public const string TwoStep = "test-two-step";
    public const string TwoStepForm = "test-two-step-form";
    public const string TwoStepSteps = "test-two-step-steps";
    public const string App = "test-app";

    private readonly string _catalogDirectory = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));

    public FakeProviderServer Provider { get; } = new();

    public NangoWebFactory Web { get; private set; } = null!;

    public Guid PublicKey { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await Provider.InitializeAsync();
        Directory.CreateDirectory(_catalogDirectory);
        var catalog = Path.Combine(_catalogDirectory, "auth-modes.yaml");
        await File.WriteAllTextAsync(catalog, CatalogYaml(Provider));
        Web = new CatalogFactory(catalog);
        await Web.InitializeAsync();
        var environments = Web.Services.GetRequiredService<EnvironmentService>();
        var env = await Web.GetEnvironmentAsync(Web.SecretKey);
        // The port is known only now: the providers must send the browser back to this instance.
        await environments.UpdateCallbackUrlAsync(env, new Uri(Web.ServerUrl, "/oauth/callback").ToString(), CancellationToken.None);
        PublicKey = (await environments.GetSettingsAsync(env, CancellationToken.None)).PublicKey;
        // Auth webhooks on, to a port nobody listens on: the tests read the outbox, not deliveries.
        await environments.UpdateWebhookSettingsAsync(env, new WebhookSettingsUpdate("http://127.0.0.1:9/hooks", null, true, false, false, false, false), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await Web.DisposeAsync();
        await Provider.DisposeAsync();
        Directory.Delete(_catalogDirectory, recursive: true);
    }

    /// <summary>Creates an integration of <paramref name="provider"/> with these app credentials and returns its key.</summary>
    public async Task<string> CreateIntegrationAsync(string provider, object? credentials = null)
    {
        using var client = Web.CreateApiClient();
        var key = provider + "-" + Guid.NewGuid().ToString("N")[..8];
        object body = credentials is null ? new { provider, unique_key = key } : new { provider, unique_key = key, credentials };
        var response = await client.PostAsJsonAsync("/integrations", body, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return key;
    }

    /// <summary>
    /// Asserts what every auth flow leaves behind: a successful <c>auth:create_connection</c> operation for the
    /// connection, and an auth webhook (creation) with its auth mode in the outbox.
    /// </summary>
    public async Task AssertRecordedAsync(string integration, string connectionId, string authMode)
    {
        var env = await Web.GetEnvironmentAsync(Web.SecretKey);
        var query = Web.Services.GetRequiredService<LogQueryService>();
        var logged = false;
        // Operations reach the store through a buffer.
        for (var attempt = 0; attempt < 100 && !logged; attempt++)
        {
            var page = await query.SearchOperationsAsync(env, new LogOperationSearch
            {
                Types = ["auth:create_connection"],
                States = [OperationStates.Success],
                Integrations = [integration],
                Connections = [connectionId],
            }, TestContext.Current.CancellationToken);
            logged = page.Items.Count > 0;
            if (!logged)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
        Assert.True(logged, $"No successful auth:create_connection operation for {integration}/{connectionId}.");
        await using var db = await Web.Services.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);
        var bodies = await db.WebhookDeliveries.AsNoTracking().Where(d => d.EnvironmentId == env.EnvironmentId).Select(d => d.Body).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Contains(bodies.Select(b => JsonNode.Parse(b)!), b =>
            (string?)b["type"] == "auth" && (string?)b["connectionId"] == connectionId && (string?)b["providerConfigKey"] == integration
            && (string?)b["authMode"] == authMode && (string?)b["operation"] == "creation" && (bool?)b["success"] == true);
    }

    /// <summary>A browser-like client that does not follow redirects, so each hop can be checked.</summary>
    public static HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

    public Uri AuthUrl(string path, string connectionId, string? extra = null) =>
        new(Web.ServerUrl, $"{path}?public_key={PublicKey}&connection_id={connectionId}{extra}");

    /// <summary>Follows redirects by hand and returns every response, the last one included.</summary>
    public static async Task<List<HttpResponseMessage>> FollowAsync(HttpClient browser, Uri start, int maxHops = 6)
    {
        var hops = new List<HttpResponseMessage>();
        var next = start;
        for (var i = 0; i < maxHops; i++)
        {
            var response = await browser.GetAsync(next, TestContext.Current.CancellationToken);
            hops.Add(response);
            if (response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect))
            {
                break;
            }
            next = new Uri(next, response.Headers.Location!);
        }
        return hops;
    }

    private static string CatalogYaml(FakeProviderServer server) => $$"""
        {{OAuth1}}:
          display_name: Test OAuth1
          categories:
            - dev-tools
          auth_mode: OAUTH1
          request_url: '{{server.OAuth1RequestUrl}}'
          request_params:
            x_auth_access_type: write
          authorization_url: '{{server.OAuth1AuthorizeUrl}}'
          authorization_params:
            expiration: never
          token_url: '{{server.OAuth1AccessUrl}}'
          signature_method: HMAC-SHA1
          scope_separator: ','
          proxy:
            base_url: '{{server.OAuth1ApiUrl}}'
          docs: 'https://nango.dev/docs'
        {{OAuth1PlainText}}:
          display_name: Test OAuth1 (PLAINTEXT)
          categories:
            - storage
          auth_mode: OAUTH1
          request_url: '{{server.OAuth1RequestUrl}}'
          authorization_url: '{{server.OAuth1AuthorizeUrl}}'
          token_url: '{{server.OAuth1AccessUrl}}'
          signature_method: PLAINTEXT
          proxy:
            base_url: '{{server.OAuth1ApiUrl}}'
          docs: 'https://nango.dev/docs'
        {{Tba}}:
          display_name: Test TBA
          categories:
            - erp
          auth_mode: TBA
          signature_method: HMAC-SHA256
          connection_config:
            accountId:
              type: string
              title: Account ID
          proxy:
            base_url: '{{server.OAuth1ApiUrl}}'
            verification:
              method: GET
              endpoints:
                - /me
          docs: 'https://nango.dev/docs'
        {{JwtRsa}}:
          display_name: Test JWT (RSA)
          categories:
            - dev-tools
          auth_mode: JWT
          connection_config:
            scope:
              type: string
              title: Scope
              optional: true
          credentials:
            issuer:
              type: string
              title: Issuer
            keyId:
              type: string
              title: Key ID
            privateKey:
              type: string
              title: Private Key
              secret: true
          signature:
            protocol: RSA
          token:
            expires_in_ms: 3600000
            header:
              alg: RS256
              typ: JWT
              kid: ${credentials.keyId}
            payload:
              iss: ${credentials.issuer}
              aud: test-audience
              scope:
                - ${connectionConfig.scope}
            signing_key: ${credentials.privateKey}
          proxy:
            base_url: '{{server.JwtApiUrl}}'
            headers:
              authorization: Bearer ${accessToken}
            verification:
              method: GET
              endpoints:
                - /me
          docs: 'https://nango.dev/docs'
        {{JwtHmac}}:
          display_name: Test JWT (HMAC)
          categories:
            - cms
          auth_mode: JWT
          credentials:
            privateKey:
              type: string
              title: API Key
          signature:
            protocol: HMAC
          token:
            expires_in_ms: 300000
            header:
              alg: HS256
              kid: ${credentials.privateKey.id}
            payload:
              aud: /admin/
            signing_key: ${credentials.privateKey.secret}
          proxy:
            base_url: '{{server.JwtApiUrl}}'
            headers:
              authorization: Ghost ${accessToken}
            verification:
              method: GET
              endpoints:
                - /users
          docs: 'https://nango.dev/docs'
        {{TwoStep}}:
          display_name: Test Two Step
          categories:
            - crm
          auth_mode: TWO_STEP
          credentials:
            username:
              type: string
              title: Username
            password:
              type: string
              title: Password
              secret: true
            apiKey:
              type: string
              title: API key
          token_url: '{{server.TwoStepTokenUrl}}'
          body_format: json
          token_params:
            username: ${credentials.username}
            password: ${credentials.password}
          token_headers:
            content-type: application/json
            x-api-key: ${credentials.apiKey}
          token_response:
            token: data.access
            token_expiration: data.expires_in
            token_expiration_strategy: expireIn
            refresh_token: data.refresh
          refresh_url: '{{server.TwoStepRefreshUrl}}'
          refresh_token_params:
            refresh_token: ${refresh_token}
          refresh_token_headers:
            content-type: application/json
          proxy:
            base_url: '{{server.BaseUrl}}'
          docs: 'https://nango.dev/docs'
        {{TwoStepForm}}:
          display_name: Test Two Step (form)
          categories:
            - crm
          auth_mode: TWO_STEP
          credentials:
            username:
              type: string
              title: Username
            password:
              type: string
              title: Password
          token_url: '{{server.TwoStepFormTokenUrl}}'
          body_format: form
          token_params:
            grant_type: client_credentials
          token_headers:
            authorization: Basic ${base64(${credentials.username}:${credentials.password})}
          token_response:
            token: access_token
            token_expiration: expires
            token_expiration_strategy: expireAt
          proxy:
            base_url: '{{server.BaseUrl}}'
          docs: 'https://nango.dev/docs'
        {{TwoStepSteps}}:
          display_name: Test Two Step (additional steps)
          categories:
            - crm
          auth_mode: TWO_STEP
          credentials:
            username:
              type: string
              title: Username
            password:
              type: string
              title: Password
            apiKey:
              type: string
              title: API key
          token_url: '{{server.TwoStepDiscoveryUrl}}'
          token_request_method: GET
          additional_steps:
            - token_url: ${step1.endpoints.token}
              body_format: json
              token_params:
                username: ${credentials.username}
                password: ${credentials.password}
              token_headers:
                x-api-key: ${credentials.apiKey}
          token_response:
            token: data.access
            token_expiration: data.expires_in
            token_expiration_strategy: expireIn
          proxy:
            base_url: '{{server.BaseUrl}}'
          docs: 'https://nango.dev/docs'
        {{App}}:
          display_name: Test App
          categories:
            - dev-tools
          auth_mode: APP
          authorization_url: ${connectionConfig.appPublicLink}/installations/new
          connection_config:
            appPublicLink:
              type: string
              title: App Public Link
              automated: true
            installation_id:
              type: string
              title: Installation ID
              automated: true
          token_url: '{{server.InstallationTokenUrlTemplate}}'
          proxy:
            base_url: '{{server.BaseUrl}}'
          docs: 'https://nango.dev/docs'

        """;

    private sealed class CatalogFactory(string catalogFile) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [new("Nango:Catalog:ExtraFiles:0", catalogFile)];
    }
}
