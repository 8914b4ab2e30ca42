using Microsoft.Playwright;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser;

[Trait("Category", "Browser")]
public sealed class SignInTests(NangoWebFactory factory, Infrastructure.Browser browser)
    : IClassFixture<NangoWebFactory>, IClassFixture<Infrastructure.Browser>
{
    [Fact]
    public async Task Wrong_password_is_refused_and_right_one_opens_the_dashboard()
    {
        var page = await browser.NewPageAsync(factory.ServerUrl);

        await page.GotoAsync("/dashboard/dev");
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
        await page.FillAsync("#email", NangoWebFactory.AdminEmail);
        await page.FillAsync("#password", "not-the-password");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.GetByTestId("signin-error")).ToBeVisibleAsync();

        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/dashboard/dev"));
        await Infrastructure.Browser.ScreenshotAsync(page, "signin-home");
    }

    [Fact]
    public async Task A_sign_in_post_without_a_valid_form_token_returns_to_the_form()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = factory.ServerUrl };
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = NangoWebFactory.AdminEmail,
            ["password"] = NangoWebFactory.AdminPassword,
        });

        var response = await client.PostAsync("/dashboard/auth/signin", form, TestContext.Current.CancellationToken);

        Assert.Equal(System.Net.HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?error=expired", response.Headers.Location?.ToString());
    }
}
