namespace Nango.Tests.Api.Functions.Support;

/// <summary>
/// The Azure Blob Storage emulator that scripts/test.sh installs and starts (<c>NANGO_TEST_AZURITE</c>, a connection string).
/// Outside CI a run without it skips the tests that need it; in CI (<c>CI=true</c>) they must run, so its absence fails them.
/// </summary>
public static class Azurite
{
    public static string? ConnectionString => Environment.GetEnvironmentVariable("NANGO_TEST_AZURITE") is { Length: > 0 } value ? value : null;

    public static string Require()
    {
        if (ConnectionString is { } value)
        {
            return value;
        }
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail("NANGO_TEST_AZURITE is not set: in CI scripts/test.sh must start Azurite.");
        }
        Assert.Skip("NANGO_TEST_AZURITE is not set (scripts/test.sh starts Azurite and sets it).");
        return "";
    }
}
