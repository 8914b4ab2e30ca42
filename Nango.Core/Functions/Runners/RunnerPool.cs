using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Nango.Runner.Protocol;

namespace Nango.Core.Functions.Runners;

/// <summary>Where to send an account's task: a runner's base URL and the token it accepts.</summary>
public sealed record RunnerEndpoint(string RunnerId, int? AccountId, Uri BaseUrl, string Token);

/// <summary>Who called the internal API: a local runner serves exactly one account; a remote one (AccountId null) any.</summary>
public sealed record RunnerIdentity(string RunnerId, int? AccountId);

/// <summary>A task whose runner process died or was killed before it reported a result.</summary>
public sealed record RunnerLostTask(string TaskId, int AccountId, string RunnerId, RunnerError Error);

/// <summary>Told about every task lost with its runner, to fail or retry it (the jobs service implements it).</summary>
public interface IRunnerTaskFailureSink
{
    Task TaskLostAsync(RunnerLostTask task, CancellationToken ct);
}

public sealed record RunnerProcessInfo(string RunnerId, int AccountId, int ProcessId, Uri? BaseUrl, string State, IReadOnlyList<string> TasksInFlight);

/// <summary>No runner can take the task now (none could be started, all are busy, or one is unreachable).</summary>
public sealed class RunnerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Supervises the runner processes of this instance: started on demand per account (never shared between
/// accounts), health-checked, replaced with backoff after a crash (their tasks reported lost), stopped when idle,
/// capped in number. In Remote mode it only maps accounts to the configured runner URLs.
/// </summary>
public sealed class RunnerPool : IAsyncDisposable
{
    private readonly RunnerOptions _options;
    private readonly IReadOnlyList<IRunnerTaskFailureSink> _sinks;
    private readonly ILogger<RunnerPool> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, AccountRunners> _accounts = [];
    private readonly ConcurrentDictionary<string, RunnerProcess> _byToken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RunnerProcess> _byTask = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly IReadOnlyList<Uri> _remoteUrls;
    private Task? _monitor;

    /// <summary>The process started ahead of need (Nango__Runner__SpareProcesses), while it waits for an account.</summary>
    private Task<RunnerProcess>? _spare;
    private RunnerProcess? _spareProcess;

    public RunnerPool(IOptions<NangoOptions> options, IEnumerable<IRunnerTaskFailureSink> sinks, ILogger<RunnerPool> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Runner;
        _sinks = [.. sinks];
        _logger = logger;
        _time = time;
        _remoteUrls = [.. _options.Urls.Select(url => new Uri(url.TrimEnd('/') + "/"))];
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5), AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    public bool IsRemote => _options.Mode == RunnerOptions.RemoteMode;

    internal HttpClient Http { get; }

    /// <summary>A ready runner of the account, started (or waited for) when it has none with room.</summary>
    public async Task<RunnerEndpoint> AcquireAsync(int accountId, CancellationToken ct)
    {
        if (IsRemote)
        {
            return RemoteEndpoint(accountId);
        }
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Task<RunnerProcess> starting;
            RunnerProcess? victim = null;
            Task<RunnerProcess>? spareVictim = null;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
                var account = AccountOf(accountId);
                var ready = account.Runners.Where(r => r.State == RunnerState.Ready).MinBy(r => r.InFlight.Count);
                var mayGrow = account.Runners.Count < _options.MaxProcessesPerAccount;
                if (ready is not null && (ready.InFlight.Count < _options.TasksPerProcess || !mayGrow || account.Starting is not null))
                {
                    return EndpointOf(ready);
                }
                if (account.Starting is null && account.Runners.Count == 0 && _spare is { IsFaulted: false } spare && _time.GetTimestamp() >= account.NotBefore)
                {
                    _spare = null;
                    account.Starting = AdoptAsync(accountId, account, spare);
                }
                else if (account.Starting is null)
                {
                    if (ProcessCount() >= _options.MaxProcesses && _spare is not null)
                    {
                        // The spare is the first to make room: it serves nobody yet.
                        spareVictim = _spare;
                        _spare = null;
                    }
                    else if (ProcessCount() >= _options.MaxProcesses)
                    {
                        victim = _accounts.Values.SelectMany(a => a.Runners)
                            .Where(r => r.State == RunnerState.Ready && r.InFlight.IsEmpty && r.AccountId != accountId)
                            .MinBy(r => r.LastActivity);
                        if (victim is null)
                        {
                            return ready is not null ? EndpointOf(ready)
                                : throw new RunnerUnavailableException($"All {_options.MaxProcesses} runner processes (Nango__Runner__MaxProcesses) are busy.");
                        }
                        Detach(victim, onPurpose: true);
                    }
                    account.Starting = SpawnAsync(accountId, account);
                }
                starting = account.Starting;
            }
            victim?.Kill();
            StopSpare(spareVictim);
            try
            {
                var runner = await starting.WaitAsync(ct);
                return EndpointOf(runner);
            }
            catch (RunnerUnavailableException) when (attempt < 2)
            {
                // A start failed; the next attempt waits out the backoff it set.
            }
        }
        throw new RunnerUnavailableException($"No runner could be started for account {accountId}.");
    }

    /// <summary>
    /// Records a task about to be sent to a runner, so that its loss is reported if the runner dies. False when the
    /// runner is being stopped meanwhile (idle, cap): the caller acquires another. Under the pool's lock, so an idle
    /// stop and a dispatch cannot interleave.
    /// </summary>
    public bool TaskDispatched(RunnerEndpoint endpoint, string taskId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (IsRemote)
        {
            return true;
        }
        lock (_gate)
        {
            if (!_byToken.TryGetValue(endpoint.Token, out var runner) || runner.State != RunnerState.Ready)
            {
                return false;
            }
            // 0 until the runner accepts it: until then a health answer that does not list it proves nothing.
            runner.InFlight[taskId] = 0;
            runner.Touch(_time);
            _byTask[taskId] = runner;
            return true;
        }
    }

    /// <summary>The runner answered 202 for the task: from now on it lists the task until the result is delivered.</summary>
    public void TaskAccepted(string taskId)
    {
        if (_byTask.TryGetValue(taskId, out var runner) && runner.InFlight.ContainsKey(taskId))
        {
            runner.InFlight[taskId] = _time.GetTimestamp();
            runner.Touch(_time);
        }
    }

    /// <summary>The task's result arrived (or it will never be sent): it no longer depends on its runner.</summary>
    public void TaskFinished(string taskId)
    {
        if (_byTask.TryRemove(taskId, out var runner))
        {
            runner.InFlight.TryRemove(taskId, out _);
            runner.Touch(_time);
            lock (_gate)
            {
                // A task ran to its end: whatever crashed before, the account's runner works again.
                if (_accounts.TryGetValue(runner.AccountId, out var account))
                {
                    account.Crashes = 0;
                }
            }
        }
    }

    /// <summary>The runner a task was sent to, while it runs there.</summary>
    public RunnerEndpoint? FindTask(string taskId)
        => _byTask.TryGetValue(taskId, out var runner) && runner.State == RunnerState.Ready ? EndpointOf(runner) : null;

    /// <summary>The runner a bearer token belongs to, for the internal API; null for any other token.</summary>
    public RunnerIdentity? Authenticate(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        if (IsRemote)
        {
            return _options.Token is { Length: > 0 } expected && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(expected))
                ? new RunnerIdentity("remote", null)
                : null;
        }
        return _byToken.TryGetValue(token, out var runner) && runner.State is RunnerState.Starting or RunnerState.Ready
            ? new RunnerIdentity(runner.Id, runner.AccountId)
            : null;
    }

    /// <summary>The spare process once it is ready to be handed to an account (account 0); null otherwise.</summary>
    public RunnerProcessInfo? Spare
    {
        get
        {
            lock (_gate)
            {
                return _spare is { IsCompletedSuccessfully: true, Result: { State: RunnerState.Ready } r }
                    ? new RunnerProcessInfo(r.Id, r.AccountId, r.ProcessId, r.BaseUrl, r.State.ToString(), [])
                    : null;
            }
        }
    }

    public IReadOnlyList<RunnerProcessInfo> Processes
    {
        get
        {
            lock (_gate)
            {
                return [.. _accounts.Values.SelectMany(a => a.Runners)
                    .Select(r => new RunnerProcessInfo(r.Id, r.AccountId, r.ProcessId, r.BaseUrl, r.State.ToString(), [.. r.InFlight.Keys]))];
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<RunnerProcess> runners;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            _stopping.Cancel();
            runners = [.. _accounts.Values.SelectMany(a => a.Runners)];
            if (_spareProcess is { AccountId: 0 } spare)
            {
                runners.Add(spare);
            }
            foreach (var runner in runners)
            {
                runner.StoppedOnPurpose = true;
                runner.State = RunnerState.Stopping;
            }
        }
        foreach (var runner in runners)
        {
            runner.Kill();
        }
        try
        {
            await Task.WhenAll(runners.Select(r => r.Exited)).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Some runner processes did not exit within 10 s of being killed");
        }
        if (_monitor is not null)
        {
            await _monitor.ContinueWith(_ => { }, TaskScheduler.Default);
        }
        Http.Dispose();
        _stopping.Dispose();
    }

    private RunnerEndpoint RemoteEndpoint(int accountId)
    {
        if (_remoteUrls.Count == 0)
        {
            throw new RunnerUnavailableException("Nango__Runner__Mode is Remote but no Nango__Runner__Urls__0 is set.");
        }
        var index = (int)((uint)accountId % (uint)_remoteUrls.Count);
        return new RunnerEndpoint($"remote-{index}", null, _remoteUrls[index], _options.Token ?? "");
    }

    private static RunnerEndpoint EndpointOf(RunnerProcess runner) => new(runner.Id, runner.AccountId, runner.BaseUrl!, runner.Token);

    private AccountRunners AccountOf(int accountId)
    {
        if (!_accounts.TryGetValue(accountId, out var account))
        {
            account = new AccountRunners();
            _accounts[accountId] = account;
        }
        return account;
    }

    private int ProcessCount() => _accounts.Values.Sum(a => a.Runners.Count + (a.Starting is null ? 0 : 1)) + (_spare is { IsFaulted: false } ? 1 : 0);

    /// <summary>Starts a spare unless one exists or there is no room (under the lock).</summary>
    private void EnsureSpare()
    {
        if (_options.SpareProcesses <= 0 || IsRemote || _stopping.IsCancellationRequested || _spare is { IsFaulted: false } || ProcessCount() >= _options.MaxProcesses)
        {
            return;
        }
        _spare = SpawnSpareAsync();
        // A spare that fails to start is replaced by the next start; nobody may ever await this one.
        _spare.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private async Task<RunnerProcess> SpawnSpareAsync()
    {
        // Called under the lock: nothing synchronous here.
        await Task.Yield();
        RunnerProcess? runner = null;
        try
        {
            runner = RunnerProcess.Start(0, _options, ResolveRunnerPath(), ResolveDotnetPath(), _logger, _time);
            lock (_gate)
            {
                // Disposal may have collected the processes to kill while this one was being started.
                if (_stopping.IsCancellationRequested)
                {
                    runner.StoppedOnPurpose = true;
                    runner.Kill();
                    throw new RunnerUnavailableException("The runner pool is stopping.");
                }
                _spareProcess = runner;
            }
            _ = WatchExitAsync(runner);
            await runner.WaitUntilListeningAsync(_options.StartTimeout, _stopping.Token);
            if (await CheckHealthAsync(runner, _stopping.Token) is null)
            {
                throw new RunnerUnavailableException($"Spare runner {runner.Id} did not answer its health check.");
            }
            runner.State = RunnerState.Ready;
            _logger.LogInformation("Spare runner {RunnerId} (pid {Pid}) ready at {Url}", runner.Id, runner.ProcessId, runner.BaseUrl);
            return runner;
        }
        catch (Exception e) when (e is not RunnerUnavailableException)
        {
            runner?.Kill();
            throw new RunnerUnavailableException($"The spare runner did not start: {e.Message}", e);
        }
    }

    /// <summary>
    /// Hands the spare to the account as its first runner, and starts the next spare; when the spare did not start
    /// or died meanwhile, the account's runner is started as without one.
    /// </summary>
    private async Task<RunnerProcess> AdoptAsync(int accountId, AccountRunners account, Task<RunnerProcess> spare)
    {
        await Task.Yield();
        try
        {
            RunnerProcess? runner = null;
            try
            {
                runner = await spare.WaitAsync(_stopping.Token);
            }
            catch (RunnerUnavailableException e)
            {
                _logger.LogWarning("No spare runner for account {AccountId}: {Reason}", accountId, e.Message);
            }
            lock (_gate)
            {
                if (runner is { State: RunnerState.Ready } && !_stopping.IsCancellationRequested)
                {
                    runner.AssignTo(accountId);
                    runner.Touch(_time);
                    account.Runners.Add(runner);
                    _byToken[runner.Token] = runner;
                }
                else
                {
                    runner = null;
                }
            }
            if (runner is null)
            {
                return await SpawnAsync(accountId, account);
            }
            _logger.LogInformation("Spare runner {RunnerId} now serves account {AccountId}", runner.Id, accountId);
            EnsureMonitor();
            return runner;
        }
        finally
        {
            lock (_gate)
            {
                account.Starting = null;
                EnsureSpare();
            }
        }
    }

    /// <summary>Stops a spare taken out of the pool, once it has started (or at once if it never will).</summary>
    private static void StopSpare(Task<RunnerProcess>? spare) =>
        spare?.ContinueWith(static t =>
        {
            if (t.IsCompletedSuccessfully)
            {
                t.Result.StoppedOnPurpose = true;
                t.Result.Kill();
            }
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    private async Task<RunnerProcess> SpawnAsync(int accountId, AccountRunners account)
    {
        // Yield first: this method is called under the lock and must not run its synchronous part there.
        await Task.Yield();
        RunnerProcess? runner = null;
        var started = false;
        try
        {
            var early = account.NotBefore - _time.GetTimestamp();
            if (early > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(early / (double)_time.TimestampFrequency), _time, _stopping.Token);
            }
            runner = RunnerProcess.Start(accountId, _options, ResolveRunnerPath(), ResolveDotnetPath(), _logger, _time);
            lock (_gate)
            {
                account.Runners.Add(runner);
                _byToken[runner.Token] = runner;
            }
            _ = WatchExitAsync(runner);
            await runner.WaitUntilListeningAsync(_options.StartTimeout, _stopping.Token);
            var health = await CheckHealthAsync(runner, _stopping.Token);
            runner.Touch(_time);
            runner.State = RunnerState.Ready;
            _logger.LogInformation("Runner {RunnerId} (pid {Pid}) ready at {Url} for account {AccountId}", runner.Id, runner.ProcessId, runner.BaseUrl, accountId);
            EnsureMonitor();
            started = health is not null;
            return health is not null ? runner : throw new RunnerUnavailableException($"Runner {runner.Id} did not answer its health check.");
        }
        catch (Exception e) when (e is not RunnerUnavailableException and not OperationCanceledException)
        {
            _logger.LogError(e, "Runner for account {AccountId} did not start", accountId);
            runner?.Kill();
            throw new RunnerUnavailableException($"The runner for account {accountId} did not start: {e.Message}", e);
        }
        finally
        {
            lock (_gate)
            {
                account.Starting = null;
                if (started)
                {
                    // The pool is in use: have the next account's first runner ready before it is asked for.
                    EnsureSpare();
                }
            }
        }
    }

    private async Task WatchExitAsync(RunnerProcess runner)
    {
        var code = await runner.Exited;
        List<string> lost;
        bool replace;
        int crashes;
        lock (_gate)
        {
            if (ReferenceEquals(_spareProcess, runner))
            {
                _spareProcess = null;
            }
            if (_spare is { IsCompletedSuccessfully: true } spare && ReferenceEquals(spare.Result, runner))
            {
                // The spare died before any account took it: the next start makes another.
                _spare = null;
            }
            Detach(runner, onPurpose: runner.StoppedOnPurpose);
            lost = [.. runner.InFlight.Keys];
            foreach (var taskId in lost)
            {
                _byTask.TryRemove(taskId, out _);
            }
            crashes = _accounts.TryGetValue(runner.AccountId, out var account) ? account.Crashes : 0;
            replace = !runner.StoppedOnPurpose && lost.Count > 0 && !_stopping.IsCancellationRequested;
        }
        if (runner.StoppedOnPurpose)
        {
            _logger.LogInformation("Runner {RunnerId} stopped (exit code {Code})", runner.Id, code);
        }
        else
        {
            _logger.LogWarning("Runner {RunnerId} of account {AccountId} exited unexpectedly with code {Code}; {Lost} task(s) lost, {Crashes} crash(es) in a row",
                runner.Id, runner.AccountId, code, lost.Count, crashes);
        }
        foreach (var taskId in lost)
        {
            var error = new RunnerError
            {
                Type = RunnerErrorTypes.RuntimeOther,
                Message = $"The runner process exited (code {code}) while the task was running",
            };
            foreach (var sink in _sinks)
            {
                try
                {
                    await sink.TaskLostAsync(new RunnerLostTask(taskId, runner.AccountId, runner.Id, error), CancellationToken.None);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Reporting lost task {TaskId} failed", taskId);
                }
            }
        }
        if (replace)
        {
            // The account was busy: have a runner ready again once the backoff has passed.
            _ = Task.Run(async () =>
            {
                try
                {
                    await AcquireAsync(runner.AccountId, _stopping.Token);
                }
                catch (Exception e) when (e is RunnerUnavailableException or OperationCanceledException or ObjectDisposedException)
                {
                    _logger.LogWarning("Replacing runner {RunnerId} failed: {Reason}", runner.Id, e.Message);
                }
            });
        }
    }

    /// <summary>Takes the runner out of the pool (under the lock). A crash pushes the account's next start back.</summary>
    private void Detach(RunnerProcess runner, bool onPurpose)
    {
        if (onPurpose)
        {
            runner.StoppedOnPurpose = true;
        }
        if (runner.State != RunnerState.Exited)
        {
            runner.State = RunnerState.Stopping;
        }
        _byToken.TryRemove(runner.Token, out _);
        if (_accounts.TryGetValue(runner.AccountId, out var account) && account.Runners.Remove(runner) && !onPurpose)
        {
            account.Crashes++;
            var delay = TimeSpan.FromTicks(Math.Min(
                _options.MaxRestartBackoff.Ticks,
                _options.RestartBackoff.Ticks * (1L << Math.Min(account.Crashes - 1, 20))));
            account.NotBefore = _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency);
        }
    }

    private async Task<RunnerHealth?> CheckHealthAsync(RunnerProcess runner, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(runner.BaseUrl!, RunnerRoutes.Health));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", runner.Token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await Http.SendAsync(request, timeout.Token);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<RunnerHealth>(RunnerJson.Options, timeout.Token) : null;
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    private void EnsureMonitor()
    {
        lock (_gate)
        {
            _monitor ??= Task.Run(MonitorAsync);
        }
    }

    private async Task MonitorAsync()
    {
        using var timer = new PeriodicTimer(_options.HealthCheckInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                RunnerProcess[] runners;
                lock (_gate)
                {
                    runners = [.. _accounts.Values.SelectMany(a => a.Runners).Where(r => r.State == RunnerState.Ready)];
                }
                foreach (var runner in runners)
                {
                    try
                    {
                        await CheckAsync(runner);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // One runner's bad answer must not end supervision of the others.
                        _logger.LogError(e, "Checking runner {RunnerId} failed", runner.Id);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task CheckAsync(RunnerProcess runner)
    {
        var askedAt = _time.GetTimestamp();
        var health = await CheckHealthAsync(runner, _stopping.Token);
        if (health is null)
        {
            runner.HealthFailures++;
            if (runner.HealthFailures >= _options.HealthCheckFailures)
            {
                _logger.LogWarning("Runner {RunnerId} failed {Count} health checks in a row; killing it", runner.Id, runner.HealthFailures);
                runner.Kill();
            }
            return;
        }
        runner.HealthFailures = 0;

        // A task the runner accepted before this check was asked, and no longer lists, has delivered its result
        // (the runner lists a task until then), whether or not Web has told the pool yet.
        var running = health.RunningTasks.ToHashSet(StringComparer.Ordinal);
        foreach (var (taskId, acceptedAt) in runner.InFlight)
        {
            if (acceptedAt != 0 && acceptedAt < askedAt && !running.Contains(taskId))
            {
                runner.InFlight.TryRemove(taskId, out _);
                _byTask.TryRemove(taskId, out _);
            }
        }

        if (runner.InFlight.IsEmpty && health.RunningTasks.Count == 0 && _time.GetElapsedTime(runner.LastActivity) > _options.IdleTimeout)
        {
            lock (_gate)
            {
                if (!runner.InFlight.IsEmpty || runner.State != RunnerState.Ready || _time.GetElapsedTime(runner.LastActivity) <= _options.IdleTimeout)
                {
                    return;
                }
                Detach(runner, onPurpose: true);
            }
            _logger.LogInformation("Runner {RunnerId} idle for {Idle}; stopping it", runner.Id, _options.IdleTimeout);
            runner.Kill();
        }
    }

    private string ResolveRunnerPath()
    {
        if (_options.Path is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured);
        }
        // run.sh and the Docker image publish the runner into a folder next to the app's, compiled ahead of time
        // (ReadyToRun) for a fast start; the IL copy beside the app (a project reference) is the fallback that
        // builds and tests use.
        var sibling = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "runner", "Nango.Runner.dll"));
        if (File.Exists(sibling))
        {
            return sibling;
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "Nango.Runner.dll");
        return File.Exists(beside) ? beside
            : throw new RunnerUnavailableException($"Nango.Runner.dll is neither at {sibling} nor at {beside}; set Nango__Runner__Path.");
    }

    private string ResolveDotnetPath()
    {
        if (_options.DotnetPath is { Length: > 0 } configured)
        {
            return configured;
        }
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }
        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private sealed class AccountRunners
    {
        public List<RunnerProcess> Runners { get; } = [];

        public Task<RunnerProcess>? Starting { get; set; }

        public int Crashes { get; set; }

        /// <summary>TimeProvider timestamp before which no runner is started (crash backoff).</summary>
        public long NotBefore { get; set; }
    }
}
