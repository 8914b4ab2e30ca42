using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Store;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// One deploy at a time per environment across instances: instance A's deploy is held inside its store write (a gate,
/// not a delay), and meanwhile a deploy of the same environment on instance B, which shares the database, is refused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ConcurrentDeployTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_deploy_while_another_instance_deploys_the_same_environment_is_409_concurrent_deployment()
    {
        var gate = new GatedStore();
        await using var first = new GatedStoreFactory(gate);
        await first.InitializeAsync();
        await using var second = new NangoWebFactory().SharingDatabaseWith(first);
        await second.InitializeAsync();
        using var clientA = first.CreateApiClient();
        using var clientB = second.CreateApiClient(first.SecretKey);
        await clientA.CreateIntegrationAsync("github");
        var otherKey = await first.CreateOtherAccountAsync();
        using var otherClient = second.CreateApiClient(otherKey);
        await otherClient.CreateIntegrationAsync("github");

        var held = clientA.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1")]));
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var refused = await clientB.DeployAsync(DeployBodies.Body([DeployBodies.Action("b1")]));
        var otherEnvironment = await otherClient.DeployAsync(DeployBodies.Body([DeployBodies.Action("c1")]));
        gate.Open();
        var finished = await held;
        var after = await clientB.DeployAsync(DeployBodies.Body([DeployBodies.Action("a1"), DeployBodies.Action("b1")]));

        var error = await refused.AssertErrorAsync(HttpStatusCode.Conflict, "concurrent_deployment");
        Assert.Equal("A deployment is already in progress. Please wait for the current deployment to finish.", (string?)error["message"]);
        Assert.Equal(HttpStatusCode.OK, otherEnvironment.StatusCode);
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var list = await (await clientA.GetAsync("/integrations/github/functions", Ct)).ReadJsonAsync();
        Assert.Equal(["a1", "b1"], list["data"]!.AsArray().Select(f => (string?)f!["name"]));
    }

    private sealed class GatedStoreFactory(GatedStore gate) : NangoWebFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<IFunctionStore>(gate));
        }
    }

    /// <summary>An in-memory store whose first write of the dev environment's deploy waits until the test opens it.</summary>
    private sealed class GatedStore : IFunctionStore
    {
        private readonly ConcurrentDictionary<string, string> _files = new();
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;

        public Task Entered => _entered.Task;

        public void Open() => _open.TrySetResult();

        public async Task PutAsync(string key, string content, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _writes) == 1)
            {
                _entered.TrySetResult();
                await _open.Task.WaitAsync(ct);
            }
            _files[key] = content;
        }

        public Task<string?> GetAsync(string key, CancellationToken ct) => Task.FromResult(_files.TryGetValue(key, out var value) ? value : null);

        public Task<bool> ExistsAsync(string key, CancellationToken ct) => Task.FromResult(_files.ContainsKey(key));

        public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
        {
            await Task.CompletedTask;
            foreach (var key in _files.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                yield return key;
            }
        }
    }
}
