using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Environments;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.NodeClient;

/// <summary>
/// Runs <c>node/foundation.mjs</c> once: the official <c>@nangohq/node</c> 0.71.10 client creates, reads,
/// renames and deletes an integration, imports a connection and works its metadata, and reads the
/// environment's variables. Each test checks what the client handed back for one group of calls.
/// </summary>
public sealed class FoundationRun : IAsyncLifetime
{
    public NangoWebFactory Factory { get; } = new();

    public JsonNode Result { get; private set; } = null!;

    public DateTimeOffset StartedAt { get; private set; }

    public DateTimeOffset FinishedAt { get; private set; }

    public string ServerUrl => Factory.Services.GetRequiredService<IOptions<NangoOptions>>().Value.ServerUrl.TrimEnd('/');

    public Guid EnvironmentUuid { get; private set; }

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        var environment = await Factory.GetEnvironmentAsync(Factory.SecretKey);
        EnvironmentUuid = environment.EnvironmentUuid;
        var problems = await Factory.Services.GetRequiredService<EnvironmentService>().ReplaceVariablesAsync(
            environment, [new("API_BASE", "https://api.example.com"), new("FEATURE_FLAG", "on")], CancellationToken.None);
        Assert.Empty(problems);

        StartedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        Result = await Infrastructure.NodeClient.RunAsync("foundation.mjs", Factory.ServerUrl, Factory.SecretKey);
        FinishedAt = DateTimeOffset.UtcNow.AddSeconds(1);
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

[Trait("Category", "Integration")]
public sealed partial class OfficialNodeClientTests(FoundationRun run) : IClassFixture<FoundationRun>
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex JavaScriptIso();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")]
    private static partial Regex PostgresTimestamp();

    private JsonNode Result => run.Result;

    [Fact]
    public void CreateIntegration_returns_the_public_integration_wrapped_in_data()
    {
        var data = Result["createIntegration"]!["data"]!.AsObject();

        Assert.Equal(
            ["unique_key", "provider", "display_name", "logo", "forward_webhooks", "created_at", "updated_at"],
            data.Select(p => p.Key));
        Assert.Equal("node-github", (string?)data["unique_key"]);
        Assert.Equal("github", (string?)data["provider"]);
        Assert.Equal("GitHub via node", (string?)data["display_name"]);
        Assert.Equal($"{run.ServerUrl}/images/template-logos/github.svg", (string?)data["logo"]);
        Assert.True((bool)data["forward_webhooks"]!);
        AssertJavaScriptTimestampDuringRun(data["created_at"]);
        Assert.Equal((string?)data["created_at"], (string?)data["updated_at"]);
    }

    [Fact]
    public void ListIntegrations_is_re_wrapped_by_the_client_as_configs()
    {
        var listed = Result["listIntegrations"]!.AsObject();

        Assert.Equal(["configs"], listed.Select(p => p.Key));
        var only = Assert.Single(listed["configs"]!.AsArray());
        Assert.True(JsonNode.DeepEquals(Result["createIntegration"]!["data"], only));
        Assert.Empty(Result["listIntegrationsAfterDelete"]!["configs"]!.AsArray());
    }

    [Fact]
    public void GetIntegration_adds_webhook_url_or_credentials_only_when_included()
    {
        var plain = Result["getIntegration"]!["data"]!;
        var withWebhook = Result["getIntegrationWithWebhook"]!["data"]!.AsObject();
        var withCredentials = Result["getIntegrationWithCredentials"]!["data"]!.AsObject();

        Assert.True(JsonNode.DeepEquals(Result["createIntegration"]!["data"], plain));
        Assert.Equal($"{run.ServerUrl}/webhook/{run.EnvironmentUuid}/node-github", (string?)withWebhook["webhook_url"]);
        Assert.False(withWebhook.ContainsKey("credentials"));
        Assert.False(withCredentials.ContainsKey("webhook_url"));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"type":"OAUTH2","client_id":"node-client-id","client_secret":"node-client-secret","scopes":"repo,user","webhook_secret":null}"""),
            withCredentials["credentials"]));
    }

    [Fact]
    public void UpdateIntegration_renames_and_changes_fields_and_keeps_created_at()
    {
        var created = Result["createIntegration"]!["data"]!;
        var updated = Result["updateIntegration"]!["data"]!;

        Assert.Equal("node-github-renamed", (string?)updated["unique_key"]);
        Assert.Equal("Renamed via node", (string?)updated["display_name"]);
        Assert.False((bool)updated["forward_webhooks"]!);
        Assert.Equal("github", (string?)updated["provider"]);
        Assert.Equal((string?)created["created_at"], (string?)updated["created_at"]);
        AssertJavaScriptTimestampDuringRun(updated["updated_at"]);
        Assert.True(DateTimeOffset.Parse((string)updated["updated_at"]!, System.Globalization.CultureInfo.InvariantCulture)
            >= DateTimeOffset.Parse((string)created["updated_at"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Imported_connection_is_created_with_201_and_its_refresh_token_withheld()
    {
        var imported = Result["importConnection"]!;
        var data = imported["data"]!.AsObject();

        Assert.Equal(201, (int)imported["status"]!);
        Assert.Equal(
            ["id", "connection_id", "provider_config_key", "provider", "errors", "end_user", "tags", "metadata", "connection_config",
                "webhook_url_override", "created_at", "updated_at", "last_fetched_at", "credentials"],
            data.Select(p => p.Key));
        Assert.True((int)data["id"]! > 0);
        Assert.Equal("node-conn-1", (string?)data["connection_id"]);
        Assert.Equal("node-github-renamed", (string?)data["provider_config_key"]);
        Assert.Equal("github", (string?)data["provider"]);
        Assert.Empty(data["errors"]!.AsArray());
        Assert.True(JsonNode.DeepEquals(EndUser(), data["end_user"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"team":"Core"}"""), data["tags"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"plan":"free","seats":3}"""), data["metadata"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"subdomain":"acme"}"""), data["connection_config"]));
        Assert.Null(data["webhook_url_override"]);
        AssertPostgresTimestampDuringRun(data["created_at"]);
        Assert.Equal((string?)data["created_at"], (string?)data["updated_at"]);
        Assert.Null(data["last_fetched_at"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"type":"OAUTH2","access_token":"node-access-token","expires_at":"2030-01-02T03:04:05.000Z"}"""),
            data["credentials"]));
    }

    [Fact]
    public void ListConnections_returns_the_public_connection_by_integration_and_by_connection_id()
    {
        var byIntegration = Result["listConnections"]!.AsObject();
        var byConnectionId = Result["listConnectionsLegacy"]!;
        var imported = Result["importConnection"]!["data"]!;

        Assert.Equal(["connections"], byIntegration.Select(p => p.Key));
        var item = Assert.Single(byIntegration["connections"]!.AsArray())!.AsObject();
        Assert.Equal(
            ["id", "connection_id", "provider_config_key", "provider", "created", "metadata", "errors", "end_user", "tags"],
            item.Select(p => p.Key));
        Assert.Equal((int)imported["id"]!, (int)item["id"]!);
        Assert.Equal("node-conn-1", (string?)item["connection_id"]);
        Assert.Equal("node-github-renamed", (string?)item["provider_config_key"]);
        Assert.Equal("github", (string?)item["provider"]);
        AssertJavaScriptTimestampDuringRun(item["created"]);
        Assert.StartsWith(((string)imported["created_at"]!)[..23], (string?)item["created"], StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"plan":"free","seats":3}"""), item["metadata"]));
        Assert.Empty(item["errors"]!.AsArray());
        Assert.True(JsonNode.DeepEquals(EndUser(), item["end_user"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"team":"Core"}"""), item["tags"]));
        Assert.True(JsonNode.DeepEquals(byIntegration, byConnectionId));
    }

    [Fact]
    public void GetConnection_returns_credentials_without_refresh_token_unless_asked_and_marks_the_fetch()
    {
        var plain = Result["getConnection"]!.AsObject();
        var withRefresh = Result["getConnectionWithRefreshToken"]!;
        var imported = Result["importConnection"]!["data"]!;

        Assert.Equal(imported.AsObject().Select(p => p.Key), plain.Select(p => p.Key));
        foreach (var field in new[] { "id", "connection_id", "provider_config_key", "provider", "errors", "end_user", "tags", "metadata", "connection_config", "webhook_url_override", "created_at", "updated_at", "credentials" })
        {
            Assert.True(JsonNode.DeepEquals(imported[field], plain[field]), $"{field}: {imported[field]?.ToJsonString()} vs {plain[field]?.ToJsonString()}");
        }
        AssertPostgresTimestampDuringRun(plain["last_fetched_at"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"type":"OAUTH2","access_token":"node-access-token","refresh_token":"node-refresh-token","expires_at":"2030-01-02T03:04:05.000Z"}"""),
            withRefresh["credentials"]));
        Assert.True(string.CompareOrdinal((string)withRefresh["last_fetched_at"]!, (string)plain["last_fetched_at"]!) >= 0);
        Assert.Equal("node-access-token", (string?)Result["getToken"]);
    }

    [Fact]
    public void Metadata_is_replaced_then_merged_and_each_call_echoes_its_body()
    {
        var set = Result["setMetadata"]!;
        var update = Result["updateMetadata"]!;

        Assert.Equal(201, (int)set["status"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"connection_id":"node-conn-1","provider_config_key":"node-github-renamed","metadata":{"plan":"pro","region":"eu"}}"""),
            set["data"]));
        Assert.Equal(200, (int)update["status"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"connection_id":"node-conn-1","provider_config_key":"node-github-renamed","metadata":{"region":"us","owner":{"id":7}}}"""),
            update["data"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"plan":"pro","region":"us","owner":{"id":7}}"""), Result["getMetadata"]));
    }

    [Fact]
    public void DeleteConnection_succeeds_and_the_connection_is_gone()
    {
        var deleted = Result["deleteConnection"]!;
        var afterwards = Result["getDeletedConnection"]!;

        Assert.Equal(200, (int)deleted["status"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"success":true}"""), deleted["data"]));
        Assert.Equal(404, (int)afterwards["status"]!);
        Assert.Equal("not_found", (string?)afterwards["data"]!["error"]!["code"]);
        Assert.Empty(Result["listConnectionsAfterDelete"]!["connections"]!.AsArray());
    }

    [Fact]
    public void DeleteIntegration_succeeds_and_the_integration_answers_not_found()
    {
        var deleted = Result["deleteIntegration"]!;
        var afterwards = Result["getDeletedIntegration"]!;

        Assert.Equal(200, (int)deleted["status"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"success":true}"""), deleted["data"]));
        Assert.Equal(404, (int)afterwards["status"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"error":{"code":"not_found","message":"Integration does not exist"}}"""),
            afterwards["data"]));
    }

    [Fact]
    public void GetEnvironmentVariables_returns_the_bare_array_of_decrypted_variables()
    {
        var variables = Result["getEnvironmentVariables"];

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"name":"API_BASE","value":"https://api.example.com"},{"name":"FEATURE_FLAG","value":"on"}]"""),
            variables));
    }

    private static JsonNode EndUser() => JsonNode.Parse(
        """{"id":"user-1","display_name":"User One","email":"user1@example.com","tags":null,"organization":{"id":"org-1","display_name":"Org One"}}""")!;

    private void AssertJavaScriptTimestampDuringRun(JsonNode? value)
    {
        var text = (string?)value;
        Assert.NotNull(text);
        Assert.Matches(JavaScriptIso(), text);
        AssertDuringRun(text);
    }

    private void AssertPostgresTimestampDuringRun(JsonNode? value)
    {
        var text = (string?)value;
        Assert.NotNull(text);
        Assert.Matches(PostgresTimestamp(), text);
        AssertDuringRun(text);
    }

    private void AssertDuringRun(string text)
    {
        var at = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(at, run.StartedAt, run.FinishedAt);
    }
}
