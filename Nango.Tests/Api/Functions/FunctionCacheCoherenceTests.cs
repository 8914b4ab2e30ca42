using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Deploy;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// What an action trigger, its dispatch and its result read of the deployed function and of its connection is cached
/// per instance (for a minute here, far longer than these tests wait). A redeploy, a disable or a deleted connection
/// must be seen at once by the instance that made it and, through Postgres NOTIFY, within moments by another instance
/// on the same database that had the old rows cached.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FunctionCacheCoherenceTests(FunctionCacheCoherenceTests.LongCacheFactory web) : IClassFixture<FunctionCacheCoherenceTests.LongCacheFactory>, IAsyncLifetime
{
    /// <summary>How long the other instance may take: a NOTIFY round trip, with room for a loaded machine; far below the ttl.</summary>
    private static readonly TimeSpan OtherInstanceBound = TimeSpan.FromSeconds(10);

    private LongCacheFactory _second = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _second = new LongCacheFactory();
        _second.SharingDatabaseWith(web);
        await _second.InitializeAsync();
    }

    public async ValueTask DisposeAsync() => await _second.DisposeAsync();

    [Fact]
    public async Task A_redeployed_action_runs_its_new_code_at_once_here_and_within_moments_on_the_other_instance()
    {
        var (here, _) = await web.NewAccountWithActionsAsync(new Dictionary<string, string> { ["which"] = "async () => 'first'" });
        using var other = _second.CreateApiClient(SecretKey(here));
        // Both instances have now run the first code, so both hold the function and the connection.
        Assert.Equal("first", (string?)await here.RunAsync("which"));
        Assert.Equal("first", (string?)await other.RunAsync("which"));

        await here.DeployActionsAsync("github", new Dictionary<string, string> { ["which"] = "async () => 'second'" });

        Assert.Equal("second", (string?)await here.RunAsync("which"));
        await EventuallyAsync(async () => (string?)await other.RunAsync("which") == "second");
    }

    [Fact]
    public async Task An_action_disabled_on_one_instance_is_refused_within_moments_by_the_other()
    {
        var (here, env) = await web.NewAccountWithActionsAsync(new Dictionary<string, string> { ["echo"] = "async (nango, input) => input" });
        using var other = _second.CreateApiClient(SecretKey(here));
        await other.RunAsync("echo", new JsonObject { ["n"] = 1 });
        var functions = web.Services.GetRequiredService<FunctionService>();
        var (_, echo) = await functions.GetAsync(env, "github", "echo", FunctionTypes.Action, Ct);

        await functions.SetEnabledAsync(env, echo!.Id, enabled: false, Ct);

        using var refusedHere = await here.TriggerAsync("echo");
        await refusedHere.AssertErrorAsync(HttpStatusCode.NotFound, "disabled_resource");
        await EventuallyAsync(async () =>
        {
            using var response = await other.TriggerAsync("echo");
            return response.StatusCode == HttpStatusCode.NotFound;
        });
    }

    [Fact]
    public async Task A_deleted_connection_is_unknown_at_once_here_and_within_moments_on_the_other_instance()
    {
        var (here, _) = await web.NewAccountWithActionsAsync(new Dictionary<string, string> { ["echo"] = "async (nango, input) => input" });
        using var other = _second.CreateApiClient(SecretKey(here));
        await here.RunAsync("echo");
        await other.RunAsync("echo");

        using var deleted = await here.DeleteAsync("/connection/conn-1?provider_config_key=github", Ct);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);

        using var refusedHere = await here.TriggerAsync("echo");
        await refusedHere.AssertErrorAsync(HttpStatusCode.BadRequest, "unknown_connection");
        await EventuallyAsync(async () =>
        {
            using var response = await other.TriggerAsync("echo");
            return response.StatusCode == HttpStatusCode.BadRequest;
        });
    }

    private static string SecretKey(HttpClient client) =>
        client.DefaultRequestHeaders.Authorization?.Parameter ?? throw new InvalidOperationException("The client has no secret key.");

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < OtherInstanceBound, $"The other instance still served the old row after {OtherInstanceBound.TotalSeconds} s.");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Caches that outlive every test here: only a change signal can explain a fresh read.</summary>
    public sealed class LongCacheFactory : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            new("Nango:Cache:SecretKeyTtl", "00:01:00"),
            new("Nango:Cache:FunctionTtl", "00:01:00"),
        ];
    }
}
