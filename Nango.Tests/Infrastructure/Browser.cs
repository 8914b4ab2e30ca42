using Microsoft.Playwright;

namespace Nango.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright (no browser download: the test script installs the `chromium`
/// package). Screenshots go to <c>NANGO_TEST_ARTIFACTS</c> or <c>artifacts/screenshots</c> at the repo root.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Instance { get; private set; } = null!;

    public static string ChromiumPath => System.Environment.GetEnvironmentVariable("NANGO_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    public static string ScreenshotFolder
    {
        get
        {
            var folder = System.Environment.GetEnvironmentVariable("NANGO_TEST_ARTIFACTS")
                ?? Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    public async ValueTask InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Instance = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task<IPage> NewPageAsync(Uri baseUrl)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        context.SetDefaultTimeout(20_000);
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    /// <summary>A screenshot of the page itself: snackbars of earlier steps dismissed, scrolled to the top.</summary>
    public static async Task ScreenshotPageAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        var snackbars = page.Locator(".mud-snackbar");
        for (var i = await snackbars.CountAsync() - 1; i >= 0; i--)
        {
            try
            {
                await snackbars.Nth(i).Locator("button").ClickAsync(new() { Force = true, Timeout = 2_000 });
            }
            catch (PlaywrightException)
            {
                // It hid itself meanwhile.
            }
        }
        await Assertions.Expect(snackbars).ToHaveCountAsync(0);
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await ScreenshotAsync(page, name);
    }

    /// <summary>Signs in through the real form and waits until the interactive dashboard is up.</summary>
    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/signin");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => url.Contains("/dashboard/", StringComparison.Ordinal));
        // The layout's nav renders only once the circuit is live; clicks before that would be lost.
        await page.Locator(".mud-nav-link").First.WaitForAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Instance is not null)
        {
            await Instance.DisposeAsync();
        }
        _playwright?.Dispose();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Nango.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
