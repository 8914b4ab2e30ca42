using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Integrations;

[Trait("Category", "Integration")]
public sealed class IntegrationEndpointsTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    [Fact]
    public async Task Created_integration_is_listed_and_returned_with_credentials_on_request()
    {
        using var client = factory.CreateApiClient();
        var create = await client.PostAsJsonAsync("/integrations", new
        {
            provider = "github",
            unique_key = "github-smoke",
            credentials = new { type = "OAUTH2", client_id = "id-1", client_secret = "secret-1", scopes = "repo user" },
        }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, create.StatusCode);

        var list = await client.GetFromJsonAsync<JsonObject>("/integrations", TestContext.Current.CancellationToken);
        Assert.Contains(list!["data"]!.AsArray(), i => (string?)i!["unique_key"] == "github-smoke");

        var one = await client.GetFromJsonAsync<JsonObject>("/integrations/github-smoke?include=credentials", TestContext.Current.CancellationToken);
        var credentials = one!["data"]!["credentials"]!;
        Assert.Equal("secret-1", (string?)credentials["client_secret"]);
        Assert.Equal("repo,user", (string?)credentials["scopes"]);
    }
}
