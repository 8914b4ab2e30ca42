using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Logs;
using Nango.Tests.Api.Proxy.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// What a proxied call leaves in the logs: one <c>proxy:call</c> operation with an HTTP message per attempt, none of
/// them holding a credential; or, with <c>Nango-Activity-Log-Id</c>, the attempts inside the caller's operation.
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyLoggingTests(ProxyWorld world) : IDisposable
{
    private const string ProxyCall = "proxy:call";

    private readonly HttpClient _api = world.Web.CreateApiClient();

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task Every_attempt_is_an_http_message_of_the_calls_operation()
    {
        var path = ProxyCalls.UniquePath("logged");
        world.Upstream.On("/api-key" + path, ProxyUpstream.FailThenEcho(503, 429));

        var response = await _api.ProxyAsync(HttpMethod.Post, path + "?page=3", ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, [("Retries", "2")], ProxyCalls.Json(new { name = "x" }));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var (operation, messages) = await ProxyCalls.WaitForOperationAsync(world.Web, world.Environment, ProxyCall, ProxyCatalog.ApiKey,
            (_, m) => m.HttpMessagesTo(path).Count >= 3);
        var attempts = messages.HttpMessagesTo(path);
        Assert.Equal([503, 429, 200], attempts.Select(m => m.Response?.Code));
        Assert.All(attempts, m => Assert.Equal("POST", m.Request!.Method));
        Assert.All(attempts, m => Assert.Contains("/api-key" + path, m.Request!.Url, StringComparison.Ordinal));
        Assert.Equal(ProxyWorld.ConnectionId, operation.ConnectionName);
        Assert.Equal(ProxyCatalog.ApiKey, operation.Provider);
        await WaitForStateAsync(operation.Id, OperationStates.Success);
    }

    [Fact]
    public async Task Logged_attempts_hold_no_credentials()
    {
        var path = ProxyCalls.UniquePath("redacted");
        world.Upstream.On("/templates" + path, ProxyUpstream.FailThenEcho(500));

        // The templates provider puts the API key in a header and in the query string.
        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.Templates, ProxyWorld.ConnectionId,
            [("Retries", "1"), ("Nango-Proxy-Authorization", "Bearer caller-supplied-secret")]);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(ProxyWorld.ApiKeyValue, world.Upstream.Received("/templates" + path)[0].Header("x-api-key"));
        var (operation, messages) = await ProxyCalls.WaitForOperationAsync(world.Web, world.Environment, ProxyCall, ProxyCatalog.Templates,
            (_, m) => m.HttpMessagesTo(path).Count >= 2);
        var logged = JsonSerializer.Serialize(new { operation, messages });
        Assert.DoesNotContain(ProxyWorld.ApiKeyValue, logged, StringComparison.Ordinal);
        Assert.DoesNotContain("caller-supplied-secret", logged, StringComparison.Ordinal);
        Assert.DoesNotContain(world.Web.SecretKey, logged, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Bearer_tokens_of_oauth_connections_are_not_logged()
    {
        var path = ProxyCalls.UniquePath("redacted-oauth");

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.OAuth2, ProxyWorld.ConnectionId);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var (operation, messages) = await ProxyCalls.WaitForOperationAsync(world.Web, world.Environment, ProxyCall, ProxyCatalog.OAuth2,
            (_, m) => m.HttpMessagesTo(path).Count >= 1);
        Assert.DoesNotContain("oauth2-access-token", JsonSerializer.Serialize(new { operation, messages }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_an_activity_log_id_the_attempts_join_that_operation()
    {
        var path = ProxyCalls.UniquePath("attached");
        world.Upstream.On("/api-key" + path, ProxyUpstream.FailThenEcho(502));
        // An operation of the caller's (a function run) that the proxied calls belong to.
        var run = world.Web.Services.GetRequiredService<ILogService>().StartOperation(
            OperationStart.For(LogOperationKinds.ActionRun, world.Environment) with { FunctionName = "fetch-issues" });

        var response = await _api.ProxyAsync(HttpMethod.Get, path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId,
            [("Retries", "1"), ("Nango-Activity-Log-Id", run.Id.ToString())]);

        await response.AssertStatusAsync(HttpStatusCode.OK);
        IReadOnlyList<LogMessageRow> attempts = [];
        for (var i = 0; i < 200 && attempts.Count < 2; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            attempts = (await ProxyCalls.MessagesAsync(world.Web, world.Environment, run.Id)).HttpMessagesTo(path);
        }
        Assert.Equal([502, 200], attempts.Select(m => m.Response?.Code));
        // Not also (or instead) in an operation of its own.
        var query = world.Web.Services.GetRequiredService<LogQueryService>();
        var proxyOperations = await query.SearchOperationsAsync(world.Environment, new LogOperationSearch { Types = [ProxyCall], Integrations = [ProxyCatalog.ApiKey], Limit = 100 }, TestContext.Current.CancellationToken);
        foreach (var operation in proxyOperations.Items)
        {
            Assert.Empty((await ProxyCalls.MessagesAsync(world.Web, world.Environment, operation.Id)).HttpMessagesTo(path));
        }
        run.Succeed();
    }

    private async Task WaitForStateAsync(Guid operationId, string state)
    {
        var query = world.Web.Services.GetRequiredService<LogQueryService>();
        string? seen = null;
        for (var i = 0; i < 200; i++)
        {
            seen = (await query.GetOperationAsync(world.Environment, operationId, TestContext.Current.CancellationToken))?.State;
            if (seen == state)
            {
                return;
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"Operation {operationId} is {seen}, expected {state}.");
    }
}
