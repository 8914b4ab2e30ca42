using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.ConnectSessions;

/// <summary>Runs <c>node/connect-sessions.mjs</c> once: the official <c>@nangohq/node</c> 0.71.10 client creates both kinds of session.</summary>
public sealed class ConnectSessionNodeRun : IAsyncLifetime
{
    public NangoWebFactory Factory { get; } = new();

    public JsonNode Result { get; private set; } = null!;

    public DateTimeOffset StartedAt { get; private set; }

    public string ServerUrl => Factory.Services.GetRequiredService<IOptions<NangoOptions>>().Value.ServerUrl.TrimEnd('/');

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        StartedAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        Result = await Infrastructure.NodeClient.RunAsync("connect-sessions.mjs", Factory.ServerUrl, Factory.SecretKey);
    }

    public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
}

[Trait("Category", "Integration")]
public sealed partial class ConnectSessionNodeClientTests(ConnectSessionNodeRun run) : IClassFixture<ConnectSessionNodeRun>
{
    [GeneratedRegex("^nango_connect_session_[0-9a-f]{64}$")]
    private static partial Regex TokenFormat();

    [Theory]
    [InlineData("createConnectSession")]
    [InlineData("createReconnectSession")]
    public void The_client_returns_the_token_connect_link_and_expiry_wrapped_in_data(string call)
    {
        var created = run.Result[call]!.AsObject();

        Assert.Equal(["data"], created.Select(p => p.Key));
        var data = created["data"]!.AsObject();
        Assert.Equal(["token", "connect_link", "expires_at"], data.Select(p => p.Key));
        var token = (string)data["token"]!;
        Assert.Matches(TokenFormat(), token);
        Assert.Equal($"{run.ServerUrl}/connect/?session_token={token}", (string?)data["connect_link"]);
        var expiresAt = DateTimeOffset.Parse((string)data["expires_at"]!, CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt, run.StartedAt.AddMinutes(30), DateTimeOffset.UtcNow.AddMinutes(30).AddSeconds(1));
    }

    [Fact]
    public void The_session_the_client_created_reads_back_with_its_end_user_integrations_and_tags()
    {
        var session = run.Result["session"]!;
        var data = session["data"]!["data"]!;

        Assert.Equal(200, (int)session["status"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"id":"node-user","display_name":"Node User","email":"node@example.com","tags":null,"organization":{"id":"node-org","display_name":"Node Org"}}"""),
            data["endUser"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["node-session-github"]"""), data["allowed_integrations"]));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"node-session-github":{"connection_config":{"subdomain":"acme"}}}"""), data["integrations_config_defaults"]));
        Assert.Equal("node", (string?)data["tags"]!["source"]);
        Assert.Null(data["isReconnecting"]);
    }

    [Fact]
    public void The_reconnect_session_is_bound_to_the_connection_and_its_owner()
    {
        var session = run.Result["reconnectSession"]!;
        var data = session["data"]!["data"]!;

        Assert.Equal(200, (int)session["status"]!);
        Assert.True((bool)data["isReconnecting"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""["node-session-github"]"""), data["allowed_integrations"]));
        Assert.Equal("node-owner", (string?)data["endUser"]!["id"]);
    }

    [Fact]
    public void Errors_reach_the_client_in_nangos_envelope()
    {
        var unknownIntegration = run.Result["createConnectSessionUnknownIntegration"]!;
        var unknownConnection = run.Result["createReconnectSessionUnknownConnection"]!;

        Assert.Equal(400, (int)unknownIntegration["status"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"error":{"code":"invalid_body","errors":[{"code":"custom","message":"Integration does not exist","path":["allowed_integrations",0]}]}}"""),
            unknownIntegration["data"]));
        Assert.Equal(400, (int)unknownConnection["status"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"error":{"code":"invalid_body","message":"ConnectionID or IntegrationId does not exists"}}"""),
            unknownConnection["data"]));
    }
}
