using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Functions.Runners;
using Nango.Runner.Protocol;

namespace Nango.Tests.Runner;

/// <summary>Records tasks the pool reports lost with their runner.</summary>
public sealed class LostTaskRecorder : IRunnerTaskFailureSink
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RunnerLostTask>> _lost = new();

    public Task TaskLostAsync(RunnerLostTask task, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        Waiter(task.TaskId).TrySetResult(task);
        return Task.CompletedTask;
    }

    public Task<RunnerLostTask> LostAsync(string taskId) => Waiter(taskId).Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

    private TaskCompletionSource<RunnerLostTask> Waiter(string taskId)
        => _lost.GetOrAdd(taskId, _ => new TaskCompletionSource<RunnerLostTask>(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>
/// A real runner pool (real Nango.Runner processes, spawned from the test's output folder) wired to an
/// <see cref="InternalApiStandIn"/>, plus helpers to send functions and wait for their results.
/// </summary>
public sealed class RunnerTestHost : IAsyncDisposable
{
    // The pool's log (and the runners' warnings it relays) goes to the test's output, shown when a test fails.
    private static readonly ILoggerFactory Logs = LoggerFactory.Create(b => b.AddSimpleConsole());

    private RunnerTestHost(InternalApiStandIn api, RunnerPool pool, RunnerClient client, LostTaskRecorder lost)
    {
        Api = api;
        Pool = pool;
        Client = client;
        Lost = lost;
    }

    public InternalApiStandIn Api { get; }

    public RunnerPool Pool { get; }

    public RunnerClient Client { get; }

    public LostTaskRecorder Lost { get; }

    public static async Task<RunnerTestHost> StartAsync(Action<RunnerOptions>? configure = null)
    {
        var api = await InternalApiStandIn.StartAsync();
        var options = new NangoOptions { InternalUrl = api.Url.ToString().TrimEnd('/') };
        options.Runner.WarmEngines = 2;
        configure?.Invoke(options.Runner);
        var lost = new LostTaskRecorder();
        var pool = new RunnerPool(Options.Create(options), [lost], Logs.CreateLogger<RunnerPool>(), TimeProvider.System);
        api.Authenticate = pool.Authenticate;
        return new RunnerTestHost(api, pool, new RunnerClient(pool, Options.Create(options), new Nango.Core.Functions.InternalApiAddress()), lost);
    }

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Runner", "Fixtures", name));

    public static RunnerTaskRequest Task(string code, object? input = null, RunnerLimits? limits = null, string kind = RunnerTaskKinds.Action, string connectionId = "conn-1", JsonElement? providerPaginate = null)
        => new()
        {
            TaskId = "task-" + Guid.NewGuid().ToString("N"),
            Kind = kind,
            Function = new RunnerFunction
            {
                Name = "fn",
                Version = "1.0.0",
                CodeHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code))),
                Code = code,
            },
            Connection = new RunnerConnection { ProviderConfigKey = "github", ConnectionId = connectionId, Environment = "dev", Provider = "github" },
            Input = input is null ? null : JsonSerializer.SerializeToElement(input, RunnerJson.Options),
            Limits = limits,
            CallbackUrl = "",
            HeartbeatIntervalMs = 100,
            ProviderPaginate = providerPaginate,
        };

    /// <summary>Starts the task on the account's runner and waits for the result it reports.</summary>
    public async Task<RunnerTaskResult> RunAsync(int accountId, RunnerTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await Client.StartTaskAsync(accountId, request, TestContext.Current.CancellationToken);
        var result = await Api.ResultAsync(request.TaskId);
        Pool.TaskFinished(request.TaskId);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync();
        await Api.DisposeAsync();
    }
}
