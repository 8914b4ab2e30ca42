using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Nango.Core.Integrations;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser;

/// <summary>The first thing a new user does: sign in, add an integration from the catalog, see it listed.</summary>
[Trait("Category", "Browser")]
public sealed class IntegrationsFlowTests(NangoWebFactory factory, Infrastructure.Browser browser)
    : IClassFixture<NangoWebFactory>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task Signed_in_user_creates_an_integration_and_sees_it_in_the_list()
    {
        var page = await browser.NewPageAsync(factory.ServerUrl);
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);

        await page.GotoAsync("/dashboard/dev/integrations");
        await Assertions.Expect(page.GetByTestId("empty")).ToBeVisibleAsync();
        await Infrastructure.Browser.ScreenshotAsync(page, "integrations-empty");

        await page.GetByTestId("add-integration").ClickAsync();
        await page.GetByTestId("provider-search").Locator("input").FillAsync("github");
        await page.GetByTestId("provider-card").Filter(new() { HasText = "GitHub" }).First.ClickAsync();
        var uniqueKey = page.GetByTestId("unique-key").Locator("input");
        await uniqueKey.FillAsync("github-browser");
        // The field commits its value on change (blur); leave it before submitting.
        await uniqueKey.PressAsync("Tab");
        await Infrastructure.Browser.ScreenshotAsync(page, "integration-create");
        await page.GetByTestId("create-integration-submit").ClickAsync();

        // The page navigates inside the circuit (no load event), so poll the URL rather than wait for a load.
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/dashboard/dev/integrations$"), new() { Timeout = 30_000 });
        var row = page.GetByTestId("integration-row").Filter(new() { HasText = "github-browser" });
        await Assertions.Expect(row).ToBeVisibleAsync();
        await Infrastructure.Browser.ScreenshotAsync(page, "integrations-list");

        var environment = await factory.GetEnvironmentAsync(factory.SecretKey);
        var saved = await factory.Services.GetRequiredService<IntegrationService>().GetAsync(environment, "github-browser", TestContext.Current.CancellationToken);
        Assert.NotNull(saved);
        Assert.Equal("github", saved.Summary.Provider);
    }
}
