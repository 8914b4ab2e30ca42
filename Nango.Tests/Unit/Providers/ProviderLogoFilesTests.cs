using Microsoft.Extensions.FileProviders;
using Nango.Core.Providers;

namespace Nango.Tests.Unit.Providers;

public sealed class ProviderLogoFilesTests
{
    [Fact]
    public void Shipped_logo_gives_its_path_and_others_none()
    {
        var root = Directory.CreateTempSubdirectory("nango-logos-");
        try
        {
            Directory.CreateDirectory(Path.Combine(root.FullName, "images", "providers"));
            File.WriteAllText(Path.Combine(root.FullName, "images", "providers", "github.svg"), "<svg/>");
            File.WriteAllText(Path.Combine(root.FullName, "secret.svg"), "<svg/>");
            using var files = new PhysicalFileProvider(root.FullName);
            var logos = new ProviderLogoFiles(files);

            Assert.Equal("/images/providers/github.svg", logos.UrlFor("github"));
            Assert.Null(logos.UrlFor("slack"));
            Assert.Null(logos.UrlFor("../secret"));
            Assert.Null(logos.UrlFor("../../images/providers/github"));
            Assert.Null(logos.UrlFor(""));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void Without_a_web_root_there_is_no_logo()
    {
        Assert.Null(new ProviderLogoFiles(new NullFileProvider()).UrlFor("github"));
    }
}
