using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Runners;
using Nango.Runner.Protocol;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// <c>Nango__Runner__Mode=Remote</c>: Nango.Web spawns no runner and sends tasks to runners an operator started elsewhere,
/// at <c>Nango__Runner__Urls__N</c>, sharing <c>Nango__Runner__Token</c>. Here the remote runner is a real Nango.Runner
/// process started by the test with only its token and listen address (no database, no app configuration).
/// </summary>
[Trait("Category", "Integration")]
public sealed class RemoteRunnerTests(RemoteRunnerTests.Factory web) : IClassFixture<RemoteRunnerTests.Factory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Actions_run_on_the_configured_remote_runner_the_pool_spawns_none_and_without_it_they_fail_clearly()
    {
        await web.Runner.WaitUntilListeningAsync();
        var client = web.CreateApiClient();
        await client.SetUpAsync(new Dictionary<string, string> { ["echo"] = "async (nango, input) => ({ echo: input, connection: nango.connectionId })" });

        var output = await client.RunAsync("echo", new JsonObject { ["n"] = 7 });

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"echo":{"n":7},"connection":"conn-1"}"""), output), output?.ToJsonString());
        Assert.Empty(web.Services.GetRequiredService<RunnerPool>().Processes);
        var env = await web.GetEnvironmentAsync(web.SecretKey);
        Assert.Equal("remote-0", Assert.Single(await ActionHarness.TasksAsync(web.ConnectionString, env.EnvironmentId, "echo")).RunnerId);

        // The action depended on that process: with it gone, the next one fails in Nango's envelope instead of hanging.
        await web.Runner.DisposeAsync();
        using var failed = await client.TriggerAsync("echo", new JsonObject { ["n"] = 8 });
        var error = await failed.AssertErrorAsync(HttpStatusCode.InternalServerError, "function_runtime_other");
        Assert.Contains("Runner remote-0 could not be reached", (string?)error["message"], StringComparison.Ordinal);
        Assert.Empty(web.Services.GetRequiredService<RunnerPool>().Processes);
    }

    public sealed class Factory : NangoWebFactory
    {
        public const string SharedToken = "remote-runner-shared-token-for-tests";

        public StandaloneRunner Runner { get; } = StandaloneRunner.Start(SharedToken);

        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            KeyValuePair.Create("Nango:Runner:Mode", (string?)RunnerOptions.RemoteMode),
            KeyValuePair.Create("Nango:Runner:Urls:0", (string?)Runner.Url.ToString()),
            KeyValuePair.Create("Nango:Runner:Token", (string?)SharedToken),
        ];

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Runner.DisposeAsync();
        }
    }

    /// <summary>A Nango.Runner process started the way an operator would: its token and a fixed listen address.</summary>
    public sealed class StandaloneRunner : IAsyncDisposable
    {
        private readonly Process _process;
        private int _disposed;

        private StandaloneRunner(Process process, Uri url)
        {
            _process = process;
            Url = url;
        }

        public Uri Url { get; }

        public static StandaloneRunner Start(string token)
        {
            var url = new Uri($"http://127.0.0.1:{NangoWebFactory.FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture)}/");
            var runnerPath = Path.Combine(AppContext.BaseDirectory, "Nango.Runner.dll");
            var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
            var start = new ProcessStartInfo(dotnet)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            start.ArgumentList.Add(runnerPath);
            start.Environment[RunnerEnvironment.Token] = token;
            start.Environment[RunnerEnvironment.Id] = "standalone";
            start.Environment[RunnerEnvironment.Urls] = url.ToString().TrimEnd('/');
            // Dies with the test process even if the test host is killed.
            start.Environment[RunnerEnvironment.ExitWithStdin] = "1";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            var process = Process.Start(start) ?? throw new InvalidOperationException("Nango.Runner did not start.");
            var runner = new StandaloneRunner(process, url);
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return runner;
        }

        public async Task WaitUntilListeningAsync()
        {
            using var probe = new HttpClient { BaseAddress = Url };
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var response = await probe.GetAsync(new Uri(RunnerRoutes.Health, UriKind.Relative), Ct);
                    return;
                }
                catch (HttpRequestException) when (attempt < 300 && !_process.HasExited)
                {
                    await Task.Delay(50, Ct);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
            _process.Dispose();
        }
    }
}
