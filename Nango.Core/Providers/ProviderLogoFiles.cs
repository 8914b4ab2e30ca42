using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Extensions.FileProviders;

namespace Nango.Core.Providers;

/// <summary>
/// Provider logos that ship with the dashboard, under <c>images/providers/{name}.svg</c> of the web root. Logos are
/// never hotlinked from a provider's or Nango's site (privacy, availability); without a shipped file the dashboard
/// draws an initials avatar.
/// </summary>
public sealed partial class ProviderLogoFiles
{
    public const string UrlPrefix = "/images/providers/";

    private readonly IFileProvider _files;
    private readonly ConcurrentDictionary<string, string?> _cache = new(StringComparer.Ordinal);

    /// <param name="webRoot">The web root, e.g. <c>IWebHostEnvironment.WebRootFileProvider</c>.</param>
    public ProviderLogoFiles(IFileProvider webRoot)
    {
        ArgumentNullException.ThrowIfNull(webRoot);
        _files = webRoot;
    }

    /// <summary><c>/images/providers/{name}.svg</c> when that file ships, else null.</summary>
    public string? UrlFor(string providerName)
    {
        ArgumentNullException.ThrowIfNull(providerName);
        // The name becomes a file path: accept catalog-shaped names only, never separators or "..".
        if (!SafeName().IsMatch(providerName))
        {
            return null;
        }
        return _cache.GetOrAdd(providerName, name =>
            _files.GetFileInfo($"{UrlPrefix.TrimStart('/')}{name}.svg").Exists ? $"{UrlPrefix}{name}.svg" : null);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();
}
