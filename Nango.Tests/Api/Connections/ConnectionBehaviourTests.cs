using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.Connections;

/// <summary>
/// Six connections over three integrations, imported in a known order, for the list filters. Tests that
/// need to read or change a connection make their own under a <c>detail-</c> key the filters never match.
/// </summary>
public sealed class ConnectionListWorld : IAsyncLifetime
{
    /// <summary>Import order; the list answers newest first.</summary>
    public static readonly (string Integration, string ConnectionId)[] Imported =
    [
        ("list-a", "alpha-1"),
        ("list-a", "alpha-2"),
        ("list-b", "beta-1"),
        ("list-c", "gamma-1"),
        ("list-a", "shared-id"),
        ("list-b", "shared-id"),
    ];

    public NangoWebFactory Factory { get; } = new();

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        using var client = Factory.CreateApiClient();
        await client.CreateIntegrationAsync("list-a");
        await client.CreateIntegrationAsync("list-b", provider: "slack");
        await client.CreateIntegrationAsync("list-c");
        var ada = new { id = "u-1", email = "one@acme.test", display_name = "Ada Lovelace", organization = new { id = "org-acme", display_name = "Acme" } };
        var grace = new { id = "u-2", email = "two@globex.test", display_name = "Grace Hopper", organization = new { id = "org-globex", display_name = "Globex" } };
        await client.ImportConnectionAsync("list-a", "alpha-1", endUser: ada, tags: new Dictionary<string, string> { ["Env"] = "prod", ["team"] = "core" });
        await client.ImportConnectionAsync("list-a", "alpha-2", endUser: grace, tags: new { env = "dev" });
        await client.ImportConnectionAsync("list-b", "beta-1", endUser: ada, tags: new { env = "prod" });
        await client.ImportConnectionAsync("list-c", "gamma-1");
        await client.ImportConnectionAsync("list-a", "shared-id");
        await client.ImportConnectionAsync("list-b", "shared-id");
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

[Trait("Category", "Integration")]
public sealed partial class ConnectionBehaviourTests(ConnectionListWorld world) : IClassFixture<ConnectionListWorld>
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")]
    private static partial Regex PostgresTimestamp();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex JavaScriptIso();

    private async Task<List<string>> ListAsync(string query, string path = "/connections")
    {
        using var client = world.Factory.CreateApiClient();
        var response = await client.GetAsync(path + query, TestContext.Current.CancellationToken);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        return body["connections"]!.AsArray().Select(c => $"{c!["provider_config_key"]}/{c["connection_id"]}").ToList();
    }

    [Fact]
    public async Task Without_filters_every_connection_is_listed_newest_first()
    {
        var listed = await ListAsync("?integrationId=list-a,list-b,list-c");

        Assert.Equal(ConnectionListWorld.Imported.Reverse().Select(c => $"{c.Integration}/{c.ConnectionId}"), listed);
    }

    [Fact]
    public async Task ConnectionId_matches_that_id_in_every_integration()
    {
        Assert.Equal(["list-b/shared-id", "list-a/shared-id"], await ListAsync("?connectionId=shared-id"));
        Assert.Empty(await ListAsync("?connectionId=shared"));
    }

    [Theory]
    [InlineData("alpha", "list-a/alpha-2,list-a/alpha-1")]
    [InlineData("ALPHA-1", "list-a/alpha-1")]
    [InlineData("grace", "list-a/alpha-2")]
    [InlineData("acme.test", "list-b/beta-1,list-a/alpha-1")]
    [InlineData("%", "")]
    [InlineData("_", "")]
    [InlineData("nothing-like-this", "")]
    public async Task Search_matches_connection_id_and_end_user_name_or_email_case_insensitively(string search, string expected)
    {
        var listed = await ListAsync("?search=" + Uri.EscapeDataString(search));

        Assert.Equal(Split(expected), listed);
    }

    [Theory]
    [InlineData("?endUserId=u-1", "list-b/beta-1,list-a/alpha-1")]
    [InlineData("?endUserId=u-3", "")]
    [InlineData("?endUserOrganizationId=org-globex", "list-a/alpha-2")]
    [InlineData("?endUserOrganizationId=org-acme&integrationId=list-a", "list-a/alpha-1")]
    public async Task End_user_filters_match_the_end_user_and_organization_ids(string query, string expected)
    {
        Assert.Equal(Split(expected), await ListAsync(query));
    }

    [Theory]
    [InlineData("?integrationId=list-a", "list-a/shared-id,list-a/alpha-2,list-a/alpha-1")]
    [InlineData("?integrationId=list-b,list-c", "list-b/shared-id,list-c/gamma-1,list-b/beta-1")]
    [InlineData("?integrationId=list-c,never-created", "list-c/gamma-1")]
    [InlineData("?integrationId=never-created", "")]
    public async Task IntegrationId_takes_a_comma_separated_list_of_unique_keys(string query, string expected)
    {
        Assert.Equal(Split(expected), await ListAsync(query));
    }

    [Theory]
    [InlineData("?tags[env]=prod", "list-b/beta-1,list-a/alpha-1")]
    [InlineData("?tags[ENV]=prod", "list-b/beta-1,list-a/alpha-1")]
    [InlineData("?tags[env]=prod&tags[team]=core", "list-a/alpha-1")]
    [InlineData("?tags[env]=PROD", "")]
    [InlineData("?tags[team]=core&integrationId=list-b", "")]
    public async Task Tags_filter_matches_every_given_tag_with_keys_case_insensitive(string query, string expected)
    {
        Assert.Equal(Split(expected), await ListAsync(query));
    }

    [Fact]
    public async Task Tag_keys_are_stored_lower_case()
    {
        using var client = world.Factory.CreateApiClient();

        var list = await client.GetFromJsonAsync<JsonObject>("/connections?connectionId=alpha-1", TestContext.Current.CancellationToken);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"env":"prod","team":"core"}"""), list!["connections"]![0]!["tags"]));
    }

    [Theory]
    [InlineData("&limit=2", "list-b/shared-id,list-a/shared-id")]
    [InlineData("&limit=2&page=0", "list-b/shared-id,list-a/shared-id")]
    [InlineData("&limit=2&page=1", "list-c/gamma-1,list-b/beta-1")]
    [InlineData("&limit=2&page=2", "list-a/alpha-2,list-a/alpha-1")]
    [InlineData("&limit=2&page=3", "")]
    [InlineData("&limit=4&page=1", "list-a/alpha-2,list-a/alpha-1")]
    [InlineData("&limit=2000", "list-b/shared-id,list-a/shared-id,list-c/gamma-1,list-b/beta-1,list-a/alpha-2,list-a/alpha-1")]
    public async Task Limit_and_page_cut_the_newest_first_list_into_pages(string paging, string expected)
    {
        Assert.Equal(Split(expected), await ListAsync("?integrationId=list-a,list-b,list-c" + paging));
    }

    [Fact]
    public async Task List_item_has_nangos_public_shape_with_a_javascript_timestamp()
    {
        using var client = world.Factory.CreateApiClient();

        var list = await client.GetFromJsonAsync<JsonObject>("/connections?connectionId=alpha-1", TestContext.Current.CancellationToken);

        var item = Assert.Single(list!["connections"]!.AsArray())!.AsObject();
        Assert.Equal(["id", "connection_id", "provider_config_key", "provider", "created", "metadata", "errors", "end_user", "tags"], item.Select(p => p.Key));
        Assert.Matches(JavaScriptIso(), (string?)item["created"]);
        Assert.Null(item["metadata"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"id":"u-1","display_name":"Ada Lovelace","email":"one@acme.test","tags":null,"organization":{"id":"org-acme","display_name":"Acme"}}"""),
            item["end_user"]));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("&refresh_token=false", false)]
    [InlineData("&force_refresh=false&refresh_token=false&refresh_github_app_jwt_token=false", false)]
    [InlineData("&refresh_token=true", true)]
    public async Task Refresh_token_is_removed_from_credentials_unless_asked_for(string query, bool included)
    {
        using var client = world.Factory.CreateApiClient();
        var key = await DetailIntegrationAsync(client);
        await client.ImportConnectionAsync(key, "detail-1");

        var connection = await (await client.GetAsync($"/connections/detail-1?provider_config_key={key}{query}", TestContext.Current.CancellationToken)).ReadJsonAsync();

        var expected = included
            ? """{"type":"OAUTH2","access_token":"access-detail-1","refresh_token":"refresh-detail-1"}"""
            : """{"type":"OAUTH2","access_token":"access-detail-1"}""";
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), connection["credentials"]), connection["credentials"]!.ToJsonString());
    }

    [Fact]
    public async Task Reading_a_connection_sets_last_fetched_at_and_listing_does_not()
    {
        using var client = world.Factory.CreateApiClient();
        var key = await DetailIntegrationAsync(client);
        var imported = await client.ImportConnectionAsync(key, "detail-fetch");
        await client.GetAsync($"/connections?integrationId={key}", TestContext.Current.CancellationToken);
        var afterList = await LastFetchedAtAsync(key, "detail-fetch");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var first = await (await client.GetAsync($"/connections/detail-fetch?provider_config_key={key}", TestContext.Current.CancellationToken)).ReadJsonAsync();
        var stored = await LastFetchedAtAsync(key, "detail-fetch");
        var second = await (await client.GetAsync($"/connections/detail-fetch?provider_config_key={key}", TestContext.Current.CancellationToken)).ReadJsonAsync();

        Assert.Null(imported["last_fetched_at"]);
        Assert.Null(afterList);
        var firstAt = DateTimeOffset.Parse((string)first["last_fetched_at"]!, CultureInfo.InvariantCulture);
        Assert.InRange(firstAt, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(stored, firstAt);
        Assert.True(DateTimeOffset.Parse((string)second["last_fetched_at"]!, CultureInfo.InvariantCulture) >= firstAt);
        Assert.Equal((string?)imported["updated_at"], (string?)second["updated_at"]);
    }

    [Fact]
    public async Task Connection_timestamps_are_postgres_style_with_microseconds_and_offset()
    {
        using var client = world.Factory.CreateApiClient();
        var key = await DetailIntegrationAsync(client);
        await client.ImportConnectionAsync(key, "detail-time");

        var connection = await (await client.GetAsync($"/connections/detail-time?provider_config_key={key}", TestContext.Current.CancellationToken)).ReadJsonAsync();
        var listed = await client.GetFromJsonAsync<JsonObject>($"/connections?integrationId={key}", TestContext.Current.CancellationToken);

        Assert.Matches(PostgresTimestamp(), (string?)connection["created_at"]);
        Assert.Matches(PostgresTimestamp(), (string?)connection["updated_at"]);
        Assert.Matches(PostgresTimestamp(), (string?)connection["last_fetched_at"]);
        var created = DateTimeOffset.Parse((string)connection["created_at"]!, CultureInfo.InvariantCulture);
        Assert.Equal(created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), (string?)listed!["connections"]![0]!["created"]);
        Assert.Equal(created, await ColumnAsync<DateTimeOffset>(key, "detail-time", "created_at"));
    }

    [Fact]
    public async Task Deprecated_connection_paths_answer_like_the_current_ones()
    {
        using var client = world.Factory.CreateApiClient();
        var key = await DetailIntegrationAsync(client);
        await client.ImportConnectionAsync(key, "detail-legacy-1", metadata: new { a = 1 });

        var imported = await client.ImportConnectionAsync(key, "detail-legacy-2", path: "/connection");
        var list = await ListAsync($"?integrationId={key}");
        var legacyList = await ListAsync($"?integrationId={key}", "/connection");
        var current = await (await client.GetAsync($"/connections/detail-legacy-1?provider_config_key={key}&refresh_token=true", TestContext.Current.CancellationToken)).ReadJsonAsync();
        var legacy = await (await client.GetAsync($"/connection/detail-legacy-1?provider_config_key={key}&refresh_token=true", TestContext.Current.CancellationToken)).ReadJsonAsync();
        var setMetadata = await client.PostAsJsonAsync("/connection/metadata", new { connection_id = "detail-legacy-1", provider_config_key = key, metadata = new { b = 2 } }, TestContext.Current.CancellationToken);
        var updateMetadata = await client.SendJsonAsync(HttpMethod.Patch, "/connection/metadata", new { connection_id = "detail-legacy-1", provider_config_key = key, metadata = new { c = 3 } });
        using var byPath = new HttpRequestMessage(HttpMethod.Patch, "/connection/detail-legacy-1/metadata") { Content = JsonContent.Create(new { d = 4 }) };
        byPath.Headers.Add("Provider-Config-Key", key);
        var pathMetadata = await client.SendAsync(byPath, TestContext.Current.CancellationToken);
        var metadata = (await (await client.GetAsync($"/connection/detail-legacy-1?provider_config_key={key}", TestContext.Current.CancellationToken)).ReadJsonAsync())["metadata"];
        var delete = await client.DeleteAsync($"/connection/detail-legacy-2?provider_config_key={key}", TestContext.Current.CancellationToken);
        var deleteAgain = await client.DeleteAsync($"/connection/detail-legacy-2?provider_config_key={key}", TestContext.Current.CancellationToken);

        Assert.Equal("detail-legacy-2", (string?)imported["connection_id"]);
        Assert.Equal(list, legacyList);
        Assert.Equal([$"{key}/detail-legacy-2", $"{key}/detail-legacy-1"], list);
        current.AsObject().Remove("last_fetched_at");
        legacy.AsObject().Remove("last_fetched_at");
        Assert.True(JsonNode.DeepEquals(current, legacy));
        Assert.Equal(HttpStatusCode.Created, setMetadata.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updateMetadata.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pathMetadata.StatusCode);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":2,"c":3,"d":4}"""), metadata), metadata?.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        await deleteAgain.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_connection");
    }

    private static async Task<string> DetailIntegrationAsync(HttpClient client)
    {
        var key = "detail-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateIntegrationAsync(key);
        return key;
    }

    private Task<DateTimeOffset?> LastFetchedAtAsync(string key, string connectionId) => ColumnAsync<DateTimeOffset?>(key, connectionId, "last_fetched_at");

    private async Task<T> ColumnAsync<T>(string key, string connectionId, string column)
    {
        await using var connection = new NpgsqlConnection(world.Factory.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        // Column names come from this file only.
        await using var command = new NpgsqlCommand(
            $"SELECT c.{column} FROM connections c JOIN integrations i ON i.id = c.integration_id WHERE i.unique_key = @key AND c.connection_id = @id AND c.deleted_at IS NULL",
            connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("id", connectionId);
        var value = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return value is DBNull or null ? default! : value is DateTime time ? (T)(object)new DateTimeOffset(time, TimeSpan.Zero) : (T)value;
    }

    private static List<string> Split(string expected) => expected.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
}
