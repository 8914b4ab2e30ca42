using System.Diagnostics;
using System.Text;

namespace Nango.Tests.Api.Functions.Support;

/// <summary>
/// The official <c>nango</c> CLI (0.71.10, from <c>Nango.Tests/node</c>) run as a user runs it. <c>nango init</c> runs
/// once per test process; each test works on its own copy of that example project (GitHub: the <c>fetchIssues</c>
/// sync, the <c>createIssue</c> action and a <c>pre-connection-deletion</c> on-event script) whose
/// <c>node_modules</c> is the harness's, so compiling needs no network.
/// </summary>
public static class NangoCli
{
    private static readonly TimeSpan _timeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Task<string>> _template = new(CreateTemplateAsync);

    /// <summary>The package's <c>bin</c> entry (dist/cli.js is only its version banner).</summary>
    private static string CliPath => Path.Combine(Infrastructure.NodeClient.HarnessDirectory, "node_modules", "nango", "dist", "index.js");

    /// <summary>A fresh copy of the example project in a temporary folder.</summary>
    public static async Task<CliProject> NewProjectAsync()
    {
        var template = await _template.Value;
        var directory = Path.Combine(Path.GetTempPath(), "nango-cli-tests", Guid.NewGuid().ToString("N"));
        CopyDirectory(template, directory);
        Directory.CreateSymbolicLink(Path.Combine(directory, "node_modules"), Path.Combine(Infrastructure.NodeClient.HarnessDirectory, "node_modules"));
        return new CliProject(directory);
    }

    /// <summary>
    /// <c>nango deploy dev</c> against <paramref name="server"/> with <paramref name="secretKey"/> as the dev key, confirming
    /// destructive changes (CI=true makes the CLI refuse to prompt).
    /// </summary>
    public static Task<CliRun> DeployAsync(CliProject project, Uri server, string secretKey, params string[] extraArguments)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(server);
        return RunAsync(project.Directory, ["deploy", "dev", "--auto-confirm", "--allow-destructive", "--no-interactive", .. extraArguments], new Dictionary<string, string>
        {
            ["NANGO_HOSTPORT"] = server.ToString().TrimEnd('/'),
            ["NANGO_SECRET_KEY_DEV"] = secretKey,
        });
    }

    private static async Task<string> CreateTemplateAsync()
    {
        await Infrastructure.NodeClient.EnsureInstalledAsync();
        var directory = Path.Combine(Path.GetTempPath(), "nango-cli-tests", "template-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.GetDirectoryName(directory)!);
        var run = await RunAsync(Path.GetDirectoryName(directory)!, ["init", directory, "--copy"], new Dictionary<string, string>());
        if (run.ExitCode != 0 || !File.Exists(Path.Combine(directory, "index.ts")))
        {
            throw new InvalidOperationException($"nango init failed ({run.ExitCode}):\n{run.Output}");
        }
        return directory;
    }

    private static async Task<CliRun> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("node", [CliPath, .. arguments])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        // Offline and unattended: no upgrade check, no npm install, no prompt; the CLI's state file in a scratch folder.
        start.Environment["NANGO_CLI_UPGRADE_MODE"] = "ignore";
        start.Environment["NANGO_CLI_DEPENDENCY_UPDATE"] = "false";
        start.Environment["NANGO_DEPLOY_AUTO_CONFIRM"] = "true";
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "nango-cli-tests", "config");
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("NANGO_SECRET_KEY");
        start.Environment.Remove("NANGO_HOSTPORT");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(_timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"nango {string.Join(' ', arguments)} did not finish within {_timeout.TotalSeconds} s.");
        }
        output.Append(await stdout).Append(await stderr);
        return new CliRun(process.ExitCode, output.ToString());
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        foreach (var directory in Directory.EnumerateDirectories(source).Where(d => Path.GetFileName(d) != "node_modules"))
        {
            CopyDirectory(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }
}

public sealed record CliRun(int ExitCode, string Output)
{
    public void AssertSucceeded()
    {
        Assert.True(ExitCode == 0, $"nango exited with {ExitCode}:\n{Output}");
    }
}

/// <summary>A copy of the example project; files are read and edited relative to its folder.</summary>
public sealed class CliProject(string directory)
{
    public string Directory { get; } = directory;

    public string Read(string relativePath) => File.ReadAllText(Path.Combine(Directory, relativePath));

    public void Write(string relativePath, string content) => File.WriteAllText(Path.Combine(Directory, relativePath), content);

    public void Replace(string relativePath, string oldText, string newText)
    {
        var text = Read(relativePath);
        Assert.Contains(oldText, text, StringComparison.Ordinal);
        Write(relativePath, text.Replace(oldText, newText, StringComparison.Ordinal));
    }
}
