using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser;

/// <summary>An action's Run panel in a real browser, against a real runner process: input, run, output and the run's log lines.</summary>
[Trait("Category", "Browser")]
public sealed class ActionRunPanelTests(NangoWebFactory factory, Infrastructure.Browser browser)
    : IClassFixture<NangoWebFactory>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task Running_an_action_from_its_page_shows_the_output_and_the_script_log()
    {
        using var client = factory.CreateApiClient();
        await client.SetUpAsync(new Dictionary<string, string>
        {
            ["create_issue"] = """
                async (nango, input) => {
                    await nango.log('Creating the issue', input.title, 'for', nango.connectionId);
                    await nango.log('Labels are not supported yet', { level: 'warn' });
                    return { number: 42, title: input.title, url: 'https://github.com/acme/app/issues/42' };
                }
                """,
        });
        var page = await browser.NewPageAsync(factory.ServerUrl);
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);

        await page.GotoAsync("/dashboard/dev/integrations/github/functions/action/create_issue");
        await Assertions.Expect(page.GetByTestId("run-button")).ToBeEnabledAsync();
        await page.GetByTestId("run-input").Locator("textarea").FillAsync(new JsonObject { ["title"] = "Broken login" }.ToJsonString());
        await page.GetByTestId("run-button").ClickAsync();

        await Assertions.Expect(page.GetByTestId("run-output")).ToContainTextAsync("\"number\": 42", new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByTestId("run-status")).ToHaveTextAsync("200 OK");
        await Assertions.Expect(page.GetByTestId("run-logs")).ToContainTextAsync("Creating the issue Broken login for conn-1", new() { Timeout = 15_000 });
        await Assertions.Expect(page.GetByTestId("run-logs")).ToContainTextAsync("Labels are not supported yet");
        await Assertions.Expect(page.GetByTestId("run-log-link")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("/dashboard/dev/logs\\?operation="));
        await Infrastructure.Browser.ScreenshotAsync(page, "action-run-panel");
    }
}
