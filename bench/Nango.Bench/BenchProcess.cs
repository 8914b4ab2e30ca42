using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Nango.Bench;

/// <summary>
/// A server the bench starts as a separate process (Nango.Web, the Node forwarder): its output is drained (a full
/// pipe would stall it) and the last lines kept for error messages; its CPU time can be read at any moment; it is
/// killed when disposed.
/// </summary>
internal sealed class BenchProcess : IAsyncDisposable
{
    private const int KeptLines = 200;

    private readonly Process _process;
    private readonly Queue<string> _tail = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    private BenchProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>User + system CPU the process has used so far (read from /proc on Linux).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public string Tail
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    public static BenchProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        return new BenchProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start."));
    }

    /// <summary>Completes with the first output line (from now or already seen) that matches.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_tail)
        {
            if (_tail.FirstOrDefault(match) is { } line)
            {
                return line;
            }
            _waiters.Add((match, seen));
        }
        try
        {
            return await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{Name} did not print the expected line within {timeout.TotalSeconds:0} s{(HasExited ? " (it exited)" : "")}. Its output:\n{Tail}");
        }
    }

    /// <summary>Polls <paramref name="url"/> until it answers 2xx.</summary>
    public async Task WaitUntilHealthyAsync(Uri url, TimeSpan timeout)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} while starting. Its output:\n{Tail}");
            }
            try
            {
                using var response = await client.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but still starting.
            }
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"{Name} did not answer {url} within {timeout.TotalSeconds:0} s. Its output:\n{Tail}");
    }

    /// <summary>A loopback port free at the time of asking, for a child that must be told its port up front.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > KeptLines)
            {
                _tail.Dequeue();
            }
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    _waiters[i].Seen.TrySetResult(line);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
