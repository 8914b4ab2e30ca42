namespace Nango.Tests.Unit.Providers;

/// <summary>
/// Nango's full catalog (shared/reference/nango-providers.yaml) lives outside the repository, beside the checkout;
/// tests that need it skip when it is not there. NANGO_REFERENCE_PROVIDERS points at another copy.
/// </summary>
internal static class ReferenceCatalogFile
{
    private const string RelativePath = "shared/reference/nango-providers.yaml";

    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("NANGO_REFERENCE_PROVIDERS") is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? configured : null;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static string FindOrSkip()
    {
        var path = Find();
        if (path is null)
        {
            Assert.Skip($"Nango's reference catalog ({RelativePath}) is not beside this checkout; set NANGO_REFERENCE_PROVIDERS to run this test.");
        }
        return path;
    }
}
