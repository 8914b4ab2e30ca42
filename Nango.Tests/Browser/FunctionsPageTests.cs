using System.Net;
using Microsoft.Playwright;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser;

/// <summary>After a deploy, the integration's Functions tab lists what was deployed and a function's page shows its code.</summary>
[Trait("Category", "Browser")]
public sealed class FunctionsPageTests(NangoWebFactory factory, Infrastructure.Browser browser)
    : IClassFixture<NangoWebFactory>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task The_functions_tab_lists_deployed_functions_and_opens_one_with_its_code()
    {
        using var client = factory.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        var deployed = await client.DeployAsync(DeployBodies.Body(
            [DeployBodies.Sync("fetch_issues", model: "GithubIssue"), DeployBodies.Action("create_issue", js: "module.exports = { default: { exec: async (nango, input) => ({ title: input.title }) } };")],
            [DeployBodies.OnEvent("welcome")]));
        Assert.Equal(HttpStatusCode.OK, deployed.StatusCode);
        var page = await browser.NewPageAsync(factory.ServerUrl);
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);

        await page.GotoAsync("/dashboard/dev/integrations/github?tab=functions");
        await Assertions.Expect(page.GetByTestId("functions-action")).ToBeVisibleAsync();
        await Infrastructure.Browser.ScreenshotAsync(page, "integration-functions");
        await page.GetByTestId("function-link").Filter(new() { HasText = "create_issue" }).ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/functions/action/create_issue$"), new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("function-code")).ToContainTextAsync("input.title");
        await Assertions.Expect(page.GetByTestId("function-version")).ToHaveTextAsync("v1.0.0");
        await Infrastructure.Browser.ScreenshotAsync(page, "function-page");
    }
}
