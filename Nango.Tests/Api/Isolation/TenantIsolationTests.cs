using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Isolation;

/// <summary>
/// Account A's dev environment holds an integration, a connection with metadata and variables. Another
/// account's key and A's own prod key are other tenants: A's resources must not exist for them.
/// </summary>
public sealed class IsolationWorld : IAsyncLifetime
{
    public const string Key = "iso-github";
    public const string ConnectionId = "iso-conn";

    public NangoWebFactory Factory { get; } = new();

    public string OtherAccountKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        using var client = Factory.CreateApiClient();
        await client.CreateIntegrationAsync(Key);
        await client.ImportConnectionAsync(Key, ConnectionId, metadata: new { owner = "a" });
        OtherAccountKey = await Factory.CreateOtherAccountAsync();
        var environments = Factory.Services.GetRequiredService<EnvironmentService>();
        Assert.Empty(await environments.ReplaceVariablesAsync(await Factory.GetEnvironmentAsync(Factory.SecretKey), [new("A_ONLY", "dev-a")], CancellationToken.None));
        Assert.Empty(await environments.ReplaceVariablesAsync(await Factory.GetEnvironmentAsync(Factory.ProdSecretKey), [new("PROD_ONLY", "prod-a")], CancellationToken.None));
        Assert.Empty(await environments.ReplaceVariablesAsync(await Factory.GetEnvironmentAsync(OtherAccountKey), [new("B_ONLY", "dev-b")], CancellationToken.None));
    }

    public string KeyOf(string tenant) => tenant switch
    {
        "other-account" => OtherAccountKey,
        "prod" => Factory.ProdSecretKey,
        _ => throw new ArgumentOutOfRangeException(nameof(tenant)),
    };

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

[Trait("Category", "Integration")]
public sealed class TenantIsolationTests(IsolationWorld world) : IClassFixture<IsolationWorld>
{
    private const string Key = IsolationWorld.Key;
    private const string ConnectionId = IsolationWorld.ConnectionId;

    private Task<string> SnapshotAsync() => DatabaseSnapshot.TakeAsync(world.Factory.ConnectionString, TestContext.Current.CancellationToken);

    [Theory]
    [InlineData("other-account", "GET", "/integrations/" + Key, null)]
    [InlineData("other-account", "PATCH", "/integrations/" + Key, """{"display_name":"hijacked"}""")]
    [InlineData("other-account", "DELETE", "/integrations/" + Key, null)]
    [InlineData("prod", "GET", "/integrations/" + Key, null)]
    [InlineData("prod", "PATCH", "/integrations/" + Key, """{"display_name":"hijacked"}""")]
    [InlineData("prod", "DELETE", "/integrations/" + Key, null)]
    public async Task Another_tenants_integration_is_404_not_found_and_untouched(string tenant, string method, string path, string? body)
    {
        using var client = world.Factory.CreateApiClient(world.KeyOf(tenant));
        var before = await SnapshotAsync();

        var response = await client.SendAsync(new HttpMethod(method), path, body);

        await response.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("other-account")]
    [InlineData("prod")]
    public async Task Another_tenant_lists_none_of_the_integrations_and_connections(string tenant)
    {
        using var client = world.Factory.CreateApiClient(world.KeyOf(tenant));

        var integrations = await client.GetFromJsonAsync<JsonObject>("/integrations", TestContext.Current.CancellationToken);
        var connections = await client.GetFromJsonAsync<JsonObject>($"/connections?connectionId={ConnectionId}&integrationId={Key}", TestContext.Current.CancellationToken);
        var legacy = await client.GetFromJsonAsync<JsonObject>("/connection", TestContext.Current.CancellationToken);

        Assert.DoesNotContain(integrations!["data"]!.AsArray(), i => (string?)i!["unique_key"] == Key);
        Assert.Empty(connections!["connections"]!.AsArray());
        Assert.DoesNotContain(legacy!["connections"]!.AsArray(), c => (string?)c!["connection_id"] == ConnectionId);
    }

    [Theory]
    [InlineData("other-account")]
    [InlineData("prod")]
    public async Task Another_tenant_cannot_read_delete_or_change_metadata_of_the_connection(string tenant)
    {
        using var client = world.Factory.CreateApiClient(world.KeyOf(tenant));
        var before = await SnapshotAsync();

        var get = await client.GetAsync($"/connections/{ConnectionId}?provider_config_key={Key}&refresh_token=true", TestContext.Current.CancellationToken);
        var delete = await client.DeleteAsync($"/connections/{ConnectionId}?provider_config_key={Key}", TestContext.Current.CancellationToken);
        var set = await client.SendJsonAsync(HttpMethod.Post, "/connections/metadata", new { connection_id = ConnectionId, provider_config_key = Key, metadata = new { owner = "b" } });
        var update = await client.SendJsonAsync(HttpMethod.Patch, "/connections/metadata", new { connection_id = ConnectionId, provider_config_key = Key, metadata = new { owner = "b" } });
        var import = await client.SendJsonAsync(HttpMethod.Post, "/connections", new
        {
            provider_config_key = Key,
            connection_id = ConnectionId,
            credentials = new { type = "OAUTH2", access_token = "stolen" },
        });

        await get.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_provider_config");
        await delete.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_connection");
        await set.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_connection");
        await update.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_connection");
        await import.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task The_same_unique_key_in_another_account_is_a_separate_integration_without_the_connection()
    {
        using var client = world.Factory.CreateApiClient(await world.Factory.CreateOtherAccountAsync());
        using var owner = world.Factory.CreateApiClient();
        var ownersView = await (await owner.GetAsync($"/connections/{ConnectionId}?provider_config_key={Key}", TestContext.Current.CancellationToken)).ReadJsonAsync();

        await client.CreateIntegrationAsync(Key, provider: "slack");
        var get = await client.GetAsync($"/connections/{ConnectionId}?provider_config_key={Key}", TestContext.Current.CancellationToken);
        var ownIntegration = await client.GetFromJsonAsync<JsonObject>($"/integrations/{Key}", TestContext.Current.CancellationToken);
        var ownersIntegration = await owner.GetFromJsonAsync<JsonObject>($"/integrations/{Key}", TestContext.Current.CancellationToken);

        await get.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Equal("slack", (string?)ownIntegration!["data"]!["provider"]);
        Assert.Equal("github", (string?)ownersIntegration!["data"]!["provider"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"owner":"a"}"""), ownersView["metadata"]));
        Assert.Equal("access-" + ConnectionId, (string?)ownersView["credentials"]!["access_token"]);
    }

    [Theory]
    [InlineData("dev", """[{"name":"A_ONLY","value":"dev-a"}]""")]
    [InlineData("prod", """[{"name":"PROD_ONLY","value":"prod-a"}]""")]
    [InlineData("other-account", """[{"name":"B_ONLY","value":"dev-b"}]""")]
    public async Task Environment_variables_are_those_of_the_keys_environment_only(string tenant, string expected)
    {
        using var client = world.Factory.CreateApiClient(tenant == "dev" ? world.Factory.SecretKey : world.KeyOf(tenant));

        var variables = await (await client.GetAsync("/environment-variables", TestContext.Current.CancellationToken)).ReadJsonAsync();

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), variables), variables.ToJsonString());
    }

    [Fact]
    public async Task Dev_key_cannot_see_or_touch_an_integration_created_with_the_prod_key()
    {
        using var prod = world.Factory.CreateApiClient(world.Factory.ProdSecretKey);
        using var dev = world.Factory.CreateApiClient();
        await prod.CreateIntegrationAsync("prod-only-github");
        await prod.ImportConnectionAsync("prod-only-github", "prod-conn");
        var before = await SnapshotAsync();

        var list = await dev.GetFromJsonAsync<JsonObject>("/integrations", TestContext.Current.CancellationToken);
        var get = await dev.GetAsync("/integrations/prod-only-github", TestContext.Current.CancellationToken);
        var delete = await dev.DeleteAsync("/integrations/prod-only-github", TestContext.Current.CancellationToken);
        var connections = await dev.GetFromJsonAsync<JsonObject>("/connections?integrationId=prod-only-github", TestContext.Current.CancellationToken);
        var connection = await dev.GetAsync("/connections/prod-conn?provider_config_key=prod-only-github", TestContext.Current.CancellationToken);

        Assert.DoesNotContain(list!["data"]!.AsArray(), i => (string?)i!["unique_key"] == "prod-only-github");
        await get.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        await delete.AssertErrorAsync(HttpStatusCode.NotFound, "not_found");
        Assert.Empty(connections!["connections"]!.AsArray());
        await connection.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_provider_config");
        Assert.Equal(before, await SnapshotAsync());
        var prodList = await prod.GetFromJsonAsync<JsonObject>("/integrations", TestContext.Current.CancellationToken);
        Assert.Equal(["prod-only-github"], prodList!["data"]!.AsArray().Select(i => (string?)i!["unique_key"]));
    }
}
