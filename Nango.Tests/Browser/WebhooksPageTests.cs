using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser;

/// <summary>
/// From an empty Webhooks page to a delivered test event: set a URL in the settings (a real receiver on a
/// loopback port), send a test event from the page and watch it turn delivered through the live refresh.
/// </summary>
[Trait("Category", "Browser")]
public sealed class WebhooksPageTests(NangoWebFactory factory, Infrastructure.Browser browser)
    : IClassFixture<NangoWebFactory>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task A_test_event_sent_from_the_page_is_delivered_and_can_be_inspected()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var page = await browser.NewPageAsync(factory.ServerUrl);
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);

        await page.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/dev/webhooks$"));
        await Assertions.Expect(page.GetByTestId("empty")).ToContainTextAsync("No webhooks sent yet");
        await Assertions.Expect(page.GetByTestId("webhooks-send-test")).ToBeDisabledAsync();
        await Infrastructure.Browser.ScreenshotPageAsync(page, "webhooks-empty");

        // Set the receiver as the primary URL.
        await page.GetByTestId("webhooks-open-settings").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/dev/environment-settings$"));
        var url = page.GetByTestId("webhook-url").Locator("input");
        await url.FillAsync(receiver.Url.ToString());
        // The field commits its value on change (blur); leave it before saving.
        await url.PressAsync("Tab");
        await page.GetByTestId("save-webhooks").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "Webhook settings saved" })).ToBeVisibleAsync();
        await page.GetByTestId("reveal-standard-webhooks-secret").ClickAsync();
        await Assertions.Expect(page.GetByTestId("standard-webhooks-secret").Locator("input")).ToHaveValueAsync(new Regex("^whsec_"));
        await Infrastructure.Browser.ScreenshotPageAsync(page, "settings-webhooks");

        // Send a test event from the Webhooks page.
        await page.GetByTestId("open-webhooks").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/dev/webhooks$"));
        var sendTest = page.GetByTestId("webhooks-send-test");
        await Assertions.Expect(sendTest).ToBeEnabledAsync();
        await sendTest.ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = "Test event queued to 1 URL" })).ToBeVisibleAsync();

        var received = await receiver.NextAsync();
        Assert.Contains("\"type\":\"test\"", received.BodyText, StringComparison.Ordinal);

        // The live refresh (every 2 s while something is in flight) shows it landing.
        var row = page.Locator("tr.webhooks-row").First;
        await Assertions.Expect(row.GetByTestId("webhooks-status")).ToHaveTextAsync("delivered", new() { Timeout = 10_000 });
        await Assertions.Expect(row.GetByTestId("webhooks-event")).ToHaveTextAsync("test");
        await Assertions.Expect(row.GetByTestId("webhooks-response")).ToContainTextAsync("200");
        await Assertions.Expect(page.GetByTestId("webhooks-count-delivered").GetByTestId("webhooks-count-value")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByTestId("webhooks-target")).ToContainTextAsync("Healthy");
        await Assertions.Expect(page.GetByTestId("webhooks-live")).ToHaveCountAsync(0);
        await Infrastructure.Browser.ScreenshotPageAsync(page, "webhooks-list");

        // The drawer shows what was sent.
        await row.ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"delivery=\d+$"));
        var drawer = page.GetByTestId("webhooks-drawer");
        await Assertions.Expect(drawer).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("webhooks-drawer-status")).ToHaveTextAsync("delivered");
        await Assertions.Expect(page.GetByTestId("webhooks-drawer-facts")).ToContainTextAsync(received.Header("webhook-id")!);
        await Assertions.Expect(page.GetByTestId("webhooks-drawer-payload")).ToContainTextAsync("\"type\": \"test\"");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "webhooks-drawer");

        await page.GetByTestId("webhooks-drawer-close").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/dashboard/dev/webhooks$"));
        await Assertions.Expect(drawer).ToHaveCountAsync(0);
    }
}
