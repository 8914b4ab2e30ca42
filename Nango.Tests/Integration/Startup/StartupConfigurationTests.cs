using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Startup;

/// <summary>Nango.Web as a real process: what an operator sees when configuration is wrong.</summary>
[Trait("Category", "Integration")]
public sealed class StartupConfigurationTests
{
    [Fact]
    public async Task Production_without_an_encryption_key_refuses_to_start_and_names_the_setting()
    {
        var (exitCode, output) = await RunWebAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Nango"] = TestPostgres.ConnectionStringFor("postgres"),
        });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Nango__EncryptionKey is required outside Development", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_invalid_setting_is_reported_at_once()
    {
        var (exitCode, output) = await RunWebAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Nango"] = TestPostgres.ConnectionStringFor("postgres"),
            ["Nango__EncryptionKey"] = "too-short",
            ["Nango__ServerUrl"] = "not a url",
            ["Nango__Runner__Mode"] = "Sideways",
        });

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Nango__EncryptionKey must be the base64 of exactly 32 bytes", output, StringComparison.Ordinal);
        Assert.Contains("Nango__ServerUrl must be an absolute http(s) URL", output, StringComparison.Ordinal);
        Assert.Contains("Nango__Runner__Mode must be Local or Remote", output, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output)> RunWebAsync(Dictionary<string, string> environment) =>
        WebProcess.RunAsync(["--urls", "http://127.0.0.1:0"], environment, TimeSpan.FromSeconds(60));
}
