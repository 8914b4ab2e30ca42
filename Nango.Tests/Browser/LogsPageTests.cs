using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser;

/// <summary>
/// API calls become operations on the Logs page: filter by integration, search a word, open the drawer, and see a
/// new operation arrive through the live tail.
/// </summary>
[Trait("Category", "Browser")]
public sealed class LogsPageTests(NangoWebFactory factory, Infrastructure.Browser browser)
    : IClassFixture<NangoWebFactory>, IClassFixture<Infrastructure.Browser>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task CreateIntegrationAsync(HttpClient api, string provider, string key)
    {
        using var response = await api.PostAsJsonAsync("/integrations", new { provider, unique_key = key }, Ct);
        Assert.True(response.IsSuccessStatusCode, $"POST /integrations answered {(int)response.StatusCode}");
    }

    [Fact]
    public async Task Api_calls_appear_as_operations_that_can_be_filtered_searched_opened_and_tailed()
    {
        using var api = factory.CreateApiClient();
        await CreateIntegrationAsync(api, "github", "github-alpha");
        await CreateIntegrationAsync(api, "slack", "slack-beta");

        var page = await browser.NewPageAsync(factory.ServerUrl);
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Logs" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/dev/logs$"));
        var rows = page.GetByTestId("logs-row");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Infrastructure.Browser.ScreenshotAsync(page, "logs-list");

        // Filter by one integration through its picker.
        await page.GetByTestId("logs-filter-integration").Locator(".mud-input-control").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "github-alpha" }).ClickAsync();
        // A multi-select stays open after a pick; close it with an outside click (its overlay takes it) and
        // wait until it is gone, so the next input is not typed while the list still holds the focus.
        await page.Locator(".mud-overlay").First.ClickAsync(new() { Force = true });
        await Assertions.Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("integration=github-alpha"));
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("github-alpha");

        // Search a word of the operation's message.
        await page.GetByTestId("logs-search").Locator("input").FillAsync("created");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("search=created"));
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await page.GetByTestId("logs-search").Locator("input").FillAsync("nosuchwordanywhere");
        await Assertions.Expect(page.GetByTestId("empty")).ToContainTextAsync("No operation matches");
        await page.GetByTestId("logs-search").Locator("input").FillAsync("created");
        await Assertions.Expect(rows).ToHaveCountAsync(1);

        // Open the drawer and see the message.
        await rows.First.ClickAsync();
        var drawer = page.GetByTestId("logs-drawer");
        await Assertions.Expect(drawer).ToBeVisibleAsync();
        await Assertions.Expect(drawer).ToContainTextAsync("integration:create");
        await Assertions.Expect(page.GetByTestId("logs-message").First).ToContainTextAsync("Integration 'github-alpha' created for provider github");
        Assert.Contains("operation=", page.Url, StringComparison.Ordinal);
        await Infrastructure.Browser.ScreenshotAsync(page, "logs-drawer");

        // The whole list again, tailing: a new API call shows up at the top without a reload.
        await page.GetByTestId("logs-drawer-close").ClickAsync();
        await page.GotoAsync("/dashboard/dev/logs");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByTestId("logs-live").Locator("input")).ToBeCheckedAsync();

        await CreateIntegrationAsync(api, "hubspot", "hubspot-gamma");

        // Flush (≤ 200 ms) + poll interval (1 s) + a round trip fit in 2 s.
        await Assertions.Expect(rows.First).ToContainTextAsync("hubspot-gamma", new() { Timeout = 2_000 });
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await Infrastructure.Browser.ScreenshotAsync(page, "logs-live");

        // The home page charts the same operations.
        await page.GetByRole(AriaRole.Link, new() { Name = "Home" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("home-chart-types").Locator("svg").First).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("home-totals")).ToContainTextAsync("3 operations");
        await Infrastructure.Browser.ScreenshotAsync(page, "home-charts");
    }
}
