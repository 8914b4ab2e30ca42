using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Nango.Tests.Infrastructure;

/// <summary>
/// Runs scripts of <c>Nango.Tests/node</c> that drive the official <c>@nangohq/node</c> client against a
/// test server. A script prints one JSON document on stdout; anything else it has to say goes to stderr.
/// </summary>
public static class NodeClient
{
    private static readonly TimeSpan _scriptTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan _installTimeout = TimeSpan.FromMinutes(5);
    private static readonly SemaphoreSlim _installLock = new(1, 1);
    private static bool _installed;

    /// <summary>The harness folder in the source tree (node_modules lives there, not in the bin folder).</summary>
    public static string HarnessDirectory { get; } = FindHarnessDirectory();

    /// <summary>Runs <c>node &lt;script&gt;</c> with the server's URL and a secret key in its environment and parses its stdout.</summary>
    public static async Task<JsonNode> RunAsync(
        string script,
        Uri serverUrl,
        string secretKey,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        await EnsureInstalledAsync(ct);
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["NANGO_HOST"] = serverUrl.ToString(),
            ["NANGO_SECRET_KEY"] = secretKey,
        };
        var (exitCode, stdout, stderr) = await RunProcessAsync("node", [Path.Combine(HarnessDirectory, script)], variables, _scriptTimeout, ct);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"node {script} exited with {exitCode}.\nstderr:\n{stderr}\nstdout:\n{stdout}");
        }
        try
        {
            return JsonNode.Parse(stdout) ?? throw new InvalidOperationException($"node {script} printed null.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidOperationException($"node {script} did not print JSON: {e.Message}\nstdout:\n{stdout}\nstderr:\n{stderr}", e);
        }
    }

    /// <summary>Installs the pinned client from package-lock.json once per process if node_modules is missing.</summary>
    public static async Task EnsureInstalledAsync(CancellationToken ct = default)
    {
        if (_installed)
        {
            return;
        }
        await _installLock.WaitAsync(ct);
        try
        {
            if (_installed)
            {
                return;
            }
            if (!File.Exists(Path.Combine(HarnessDirectory, "node_modules", "@nangohq", "node", "package.json"))
                || !File.Exists(Path.Combine(HarnessDirectory, "node_modules", "nango", "package.json")))
            {
                var (exitCode, stdout, stderr) = await RunProcessAsync("npm", ["ci", "--no-audit", "--no-fund"], new Dictionary<string, string>(), _installTimeout, ct);
                if (exitCode != 0)
                {
                    throw new InvalidOperationException($"npm ci in {HarnessDirectory} exited with {exitCode}.\n{stderr}\n{stdout}");
                }
            }
            _installed = true;
        }
        finally
        {
            _installLock.Release();
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunProcessAsync(
        string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken ct)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = HarnessDirectory,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s.");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindHarnessDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "Nango.Tests", "node");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
            if (File.Exists(Path.Combine(directory.FullName, "Nango.Tests.csproj")) && File.Exists(Path.Combine(directory.FullName, "node", "package.json")))
            {
                return Path.Combine(directory.FullName, "node");
            }
        }
        throw new DirectoryNotFoundException($"No Nango.Tests/node/package.json above {AppContext.BaseDirectory}.");
    }
}
