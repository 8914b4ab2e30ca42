using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.ConnectSessions;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.ConnectSessions;

/// <summary>Account A's dev environment has an integration and a connection; another account and A's prod environment are other tenants.</summary>
public sealed class ConnectSessionIsolationWorld : IAsyncLifetime
{
    public const string Key = "iso-session-github";
    public const string ConnectionId = "iso-session-conn";

    public NangoWebFactory Factory { get; } = new();

    public string OtherAccountKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        await Factory.InitializeAsync();
        using var client = Factory.CreateApiClient();
        await client.CreateIntegrationAsync(Key);
        await client.ImportConnectionAsync(Key, ConnectionId);
        OtherAccountKey = await Factory.CreateOtherAccountAsync();
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
public sealed class ConnectSessionIsolationTests(ConnectSessionIsolationWorld world) : IClassFixture<ConnectSessionIsolationWorld>
{
    private const string Key = ConnectSessionIsolationWorld.Key;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<string> SnapshotAsync() => DatabaseSnapshot.TakeAsync(world.Factory.ConnectionString, Ct);

    [Theory]
    [InlineData("other-account")]
    [InlineData("prod")]
    public async Task Another_tenant_cannot_allow_an_integration_it_does_not_have(string tenant)
    {
        using var client = world.Factory.CreateApiClient(world.KeyOf(tenant));
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connect/sessions", new { end_user = new { id = "intruder" }, allowed_integrations = new[] { Key } });

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(["allowed_integrations.0"], error.IssuePaths());
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("other-account")]
    [InlineData("prod")]
    public async Task Another_tenant_cannot_open_a_reconnect_session_on_the_connection(string tenant)
    {
        using var client = world.Factory.CreateApiClient(world.KeyOf(tenant));
        var before = await SnapshotAsync();

        var response = await client.SendJsonAsync(HttpMethod.Post, "/connect/sessions/reconnect",
            new { connection_id = ConnectSessionIsolationWorld.ConnectionId, integration_id = Key });

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_body");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("other-account")]
    [InlineData("prod")]
    public async Task A_session_is_scoped_to_the_environment_that_created_it(string tenant)
    {
        using var owner = world.Factory.CreateApiClient();
        using var other = world.Factory.CreateApiClient(world.KeyOf(tenant));
        var ownerToken = await owner.CreateConnectSessionTokenAsync(new { end_user = new { id = "owner-user" }, allowed_integrations = new[] { Key } });
        var otherToken = await other.CreateConnectSessionTokenAsync(new { end_user = new { id = "other-user" } });
        var sessions = world.Factory.Services.GetRequiredService<ConnectSessionService>();

        var ownerSession = (await sessions.ResolveAsync(ownerToken, Ct)).Session!;
        var otherSession = (await sessions.ResolveAsync(otherToken, Ct)).Session!;

        Assert.Equal((await world.Factory.GetEnvironmentAsync(world.Factory.SecretKey)).EnvironmentId, ownerSession.Environment.EnvironmentId);
        Assert.Equal((await world.Factory.GetEnvironmentAsync(world.KeyOf(tenant))).EnvironmentId, otherSession.Environment.EnvironmentId);
        using var otherUi = ConnectSessionCalls.SessionClient(world.Factory.ServerUrl, otherToken);
        var seen = (await (await otherUi.GetAsync("/connect/session", Ct)).ReadJsonAsync())["data"]!;
        Assert.Equal("other-user", (string?)seen["endUser"]!["id"]);
        Assert.Null(seen["allowed_integrations"]);
    }

    [Theory]
    [InlineData("other-account")]
    [InlineData("prod")]
    public async Task Ending_another_tenants_session_leaves_this_one_working(string tenant)
    {
        using var owner = world.Factory.CreateApiClient();
        using var other = world.Factory.CreateApiClient(world.KeyOf(tenant));
        var ownerToken = await owner.CreateConnectSessionTokenAsync(new { end_user = new { id = "owner-user" } });
        var otherToken = await other.CreateConnectSessionTokenAsync(new { end_user = new { id = "other-user" } });
        using var otherUi = ConnectSessionCalls.SessionClient(world.Factory.ServerUrl, otherToken);
        using var ownerUi = ConnectSessionCalls.SessionClient(world.Factory.ServerUrl, ownerToken);

        Assert.Equal(HttpStatusCode.NoContent, (await otherUi.DeleteAsync("/connect/session", Ct)).StatusCode);

        var stillThere = await ownerUi.GetAsync("/connect/session", Ct);
        Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        Assert.Equal("owner-user", (string?)(await stillThere.ReadJsonAsync())["data"]!["endUser"]!["id"]);
    }

    [Fact]
    public async Task Deleting_a_session_through_a_context_of_another_environment_deletes_nothing()
    {
        using var owner = world.Factory.CreateApiClient();
        var ownerToken = await owner.CreateConnectSessionTokenAsync(new { end_user = new { id = "owner-user" } });
        var sessions = world.Factory.Services.GetRequiredService<ConnectSessionService>();
        var ownerSession = (await sessions.ResolveAsync(ownerToken, Ct)).Session!;
        var otherEnvironment = await world.Factory.GetEnvironmentAsync(world.OtherAccountKey);

        var deleted = await sessions.DeleteAsync(ownerSession with { Environment = otherEnvironment }, Ct);

        Assert.False(deleted);
        Assert.Equal(ConnectSessionTokenStatus.Valid, (await sessions.ResolveAsync(ownerToken, Ct)).Status);
    }
}
