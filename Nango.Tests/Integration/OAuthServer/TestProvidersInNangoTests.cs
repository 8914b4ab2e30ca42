using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Integration.OAuthServer;

/// <summary>A test authorization server and a Nango.Web whose catalog has the test providers pointing at it.</summary>
public sealed class TestProvidersWorld : IAsyncLifetime
{
    private readonly string _catalogDirectory = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));

    public TestOAuthServer OAuth { get; } = new();

    public NangoWebFactory Web { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await OAuth.InitializeAsync();
        Web = new CatalogFactory(TestProviders.WriteCatalogFile(OAuth, _catalogDirectory));
        await Web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Web.DisposeAsync();
        await OAuth.DisposeAsync();
        Directory.Delete(_catalogDirectory, recursive: true);
    }

    private sealed class CatalogFactory(string catalogFile) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [TestProviders.Setting(catalogFile)];
    }
}

[Trait("Category", "Integration")]
public sealed class TestProvidersInNangoTests(TestProvidersWorld world) : IClassFixture<TestProvidersWorld>
{
    private static readonly string[] _allowed = ["test-oauth2-app"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TestProviders.OAuth2, "OAUTH2")]
    [InlineData(TestProviders.OAuth2ClientCredentials, "OAUTH2_CC")]
    public async Task Nango_serves_the_test_provider_from_the_extra_catalog_file(string provider, string authMode)
    {
        using var client = world.Web.CreateApiClient();

        var response = await client.GetAsync("/providers/" + provider, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = (await response.ReadJsonAsync())["data"]!;
        Assert.Equal(provider, (string?)data["name"]);
        Assert.Equal(authMode, (string?)data["auth_mode"]);
        Assert.Equal(world.OAuth.TokenUrl.ToString(), (string?)data["token_url"]);
        Assert.Equal(world.OAuth.ApiBaseUrl.ToString(), (string?)data["proxy"]!["base_url"]);
    }

    [Fact]
    public async Task An_integration_of_the_test_provider_can_be_offered_in_a_connect_session()
    {
        using var client = world.Web.CreateApiClient();
        var oauthClient = await world.OAuth.AddClientAsync(new Uri(world.Web.ServerUrl, "/oauth/callback"));
        var created = await client.PostAsJsonAsync("/integrations", new
        {
            provider = TestProviders.OAuth2,
            unique_key = "test-oauth2-app",
            credentials = new { type = "OAUTH2", client_id = oauthClient.ClientId, client_secret = oauthClient.ClientSecret, scopes = "read,write" },
        }, Ct);
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(Ct));

        var token = await client.CreateConnectSessionTokenAsync(new { end_user = new { id = "oauth-user" }, allowed_integrations = _allowed });

        using var session = ConnectSessionCalls.SessionClient(world.Web.ServerUrl, token);
        var data = (await (await session.GetAsync("/connect/session", Ct)).ReadJsonAsync())["data"]!;
        Assert.True(JsonNode.DeepEquals(new JsonArray("test-oauth2-app"), data["allowed_integrations"]));
    }
}
