using System.Net;
using System.Text.Json.Nodes;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Connections;

/// <summary>Rejected connection and metadata requests answer Nango's envelope and leave the database exactly as it was.</summary>
[Trait("Category", "Integration")]
public sealed class ConnectionBadInputTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    private Task<string> SnapshotAsync() => DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken);

    /// <summary>A fresh integration with one connection carrying metadata; returns the integration key.</summary>
    private static async Task<string> SeedAsync(HttpClient client, string connectionId = "conn-1")
    {
        var key = "bad-input-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateIntegrationAsync(key);
        await client.ImportConnectionAsync(key, connectionId, metadata: new { plan = "free" });
        return key;
    }

    [Theory]
    [InlineData("POST", "/connections", """{"provider_config_key":"x",""")]
    [InlineData("POST", "/connections/metadata", "not json")]
    [InlineData("PATCH", "/connections/metadata", """{"connection_id":"conn-1" "metadata":{}}""")]
    public async Task Malformed_json_is_400_invalid_body(string method, string path, string body)
    {
        using var client = factory.CreateApiClient();
        await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(new HttpMethod(method), path, body);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("""{"connection_id":"c","credentials":{"type":"API_KEY","apiKey":"k"}}""", "provider_config_key")]
    [InlineData("""{"provider_config_key":"bad!key","connection_id":"c","credentials":{"type":"API_KEY","apiKey":"k"}}""", "provider_config_key")]
    [InlineData("""{"provider_config_key":"KEY","connection_id":"c"}""", "credentials")]
    [InlineData("""{"provider_config_key":"KEY","connection_id":"c","credentials":{"type":"TELEPATHY"}}""", "credentials.type")]
    [InlineData("""{"provider_config_key":"KEY","connection_id":"c","credentials":{"type":"OAUTH2"}}""", "credentials.access_token")]
    [InlineData("""{"provider_config_key":"KEY","connection_id":"c","credentials":{"type":"OAUTH2","access_token":"t","expires_at":"next tuesday"}}""", "credentials.expires_at")]
    [InlineData("""{"provider_config_key":"KEY","connection_id":"c","credentials":{"type":"API_KEY","apiKey":"k"},"end_user":{"email":"a@b.c"}}""", "end_user.id")]
    public async Task Import_body_failing_validation_is_400_invalid_body_with_the_offending_path(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connections", body.Replace("KEY", key, StringComparison.Ordinal));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains(path, error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("conn#1")]
    [InlineData("conn<script>")]
    [InlineData("conn?x=1")]
    [InlineData("conn%201")]
    [InlineData("conn&1")]
    [InlineData("émoji")]
    public async Task Import_with_a_connection_id_of_forbidden_characters_is_400_invalid_body(string connectionId)
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connections", new
        {
            provider_config_key = key,
            connection_id = connectionId,
            credentials = new { type = "API_KEY", apiKey = "k" },
        });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(["connection_id"], error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Import_into_an_unknown_integration_is_404_not_found()
    {
        using var client = factory.CreateApiClient();
        await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connections", new
        {
            provider_config_key = "never-created",
            connection_id = "c",
            credentials = new { type = "API_KEY", apiKey = "k" },
        });

        var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal("Integration does not exist", (string?)error["message"]);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Get_with_an_unknown_integration_is_400_unknown_provider_config()
    {
        using var client = factory.CreateApiClient();
        await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.GetAsync("/connections/conn-1?provider_config_key=nope", TestContext.Current.CancellationToken);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_provider_config");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Get_of_an_unknown_connection_is_404_not_found()
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.GetAsync($"/connections/never-imported?provider_config_key={key}", TestContext.Current.CancellationToken);

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("DELETE")]
    public async Task Connection_route_without_provider_config_key_is_400_invalid_query_params(string method)
    {
        using var client = factory.CreateApiClient();
        await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(new HttpMethod(method), "/connections/conn-1");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.Equal(["provider_config_key"], error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("never-imported", false)]
    [InlineData("conn-1", true)]
    public async Task Delete_of_an_unknown_connection_is_400_unknown_connection(string connectionId, bool unknownIntegration)
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.DeleteAsync($"/connections/{connectionId}?provider_config_key={(unknownIntegration ? "nope" : key)}", TestContext.Current.CancellationToken);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_connection");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("POST", "never-imported", false)]
    [InlineData("PATCH", "never-imported", false)]
    [InlineData("POST", "conn-1", true)]
    [InlineData("PATCH", "conn-1", true)]
    public async Task Metadata_of_an_unknown_connection_is_404_unknown_connection(string method, string connectionId, bool unknownIntegration)
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(new HttpMethod(method), "/connections/metadata", new
        {
            connection_id = connectionId,
            provider_config_key = unknownIntegration ? "nope" : key,
            metadata = new { plan = "pro" },
        });

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_connection");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PATCH")]
    public async Task Metadata_for_several_connections_with_one_unknown_changes_none_of_them(string method)
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        await client.ImportConnectionAsync(key, "conn-2", metadata: new { plan = "free" });
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(new HttpMethod(method), "/connections/metadata", new
        {
            connection_id = (string[])["conn-1", "conn-2", "never-imported"],
            provider_config_key = key,
            metadata = new { plan = "pro" },
        });

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_connection");
        Assert.Equal(before, await SnapshotAsync());
        var metadata = (await (await client.GetAsync($"/connections/conn-1?provider_config_key={key}", TestContext.Current.CancellationToken)).ReadJsonAsync())["metadata"];
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"plan":"free"}"""), metadata));
    }

    [Theory]
    [InlineData("""{"connection_id":"conn-1","provider_config_key":"KEY","metadata":"plan=pro"}""", "metadata")]
    [InlineData("""{"connection_id":"conn-1","provider_config_key":"KEY","metadata":[1,2]}""", "metadata")]
    [InlineData("""{"connection_id":"conn-1","provider_config_key":"KEY"}""", "metadata")]
    [InlineData("""{"connection_id":[],"provider_config_key":"KEY","metadata":{}}""", "connection_id")]
    [InlineData("""{"connection_id":"conn#1","provider_config_key":"KEY","metadata":{}}""", "connection_id")]
    [InlineData("""{"connection_id":"conn-1","metadata":{}}""", "provider_config_key")]
    public async Task Metadata_body_failing_validation_is_400_invalid_body(string body, string path)
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(HttpMethod.Post, "/connections/metadata", body.Replace("KEY", key, StringComparison.Ordinal));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Contains(path, error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("POST", "/connections")]
    [InlineData("POST", "/connections/metadata")]
    [InlineData("PATCH", "/connections/metadata")]
    [InlineData("GET", "/connections")]
    [InlineData("GET", "/connection")]
    public async Task Request_with_a_content_type_other_than_json_is_415_invalid_content_type(string method, string path)
    {
        using var client = factory.CreateApiClient();
        var key = await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.SendAsync(new HttpMethod(method), path,
            $$$"""{"connection_id":"conn-1","provider_config_key":"{{{key}}}","metadata":{"plan":"pro"},"credentials":{"type":"API_KEY","apiKey":"k"}}""",
            "text/plain");

        await response.AssertErrorAsync(HttpStatusCode.UnsupportedMediaType, "invalid_content_type");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=2001", "limit")]
    [InlineData("limit=-5", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("page=-1", "page")]
    [InlineData("page=first", "page")]
    public async Task List_with_limit_or_page_out_of_range_is_400_invalid_query_params(string query, string path)
    {
        using var client = factory.CreateApiClient();
        await SeedAsync(client);
        var before = await SnapshotAsync();

        var response = await client.GetAsync("/connections?" + query, TestContext.Current.CancellationToken);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_query_params");
        Assert.Equal([path], error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }
}
