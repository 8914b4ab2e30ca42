using System.Text.Json.Nodes;
using Bunit;
using Nango.Core.Connections;
using Nango.Core.Integrations;
using Nango.Web.Components.Pages.Integrations;

namespace Nango.Tests.Components.Integrations;

[Trait("Category", "Integration")]
public sealed class IntegrationPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private static readonly IntegrationCredentials _oauth = new("OAUTH2", "client-1", "secret-1", "repo,user", "hook-secret");

    [Fact]
    public async Task Shows_the_settings_the_urls_and_a_link_to_the_connections()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh", _oauth);
        var settings = await Environments.GetSettingsAsync(env, Ct);

        var cut = RenderPage<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));

        cut.WaitForAssertion(() => Assert.StartsWith("GitHub", cut.Find("[data-testid=integration-name]").TextContent, StringComparison.Ordinal));
        Assert.Equal("client-1", cut.Find("[data-testid=client-id] input").GetAttribute("value"));
        Assert.Equal("password", cut.Find("[data-testid=client-secret] input").GetAttribute("type"));
        Assert.Equal(settings.CallbackUrl, cut.Find("[data-testid=callback-url] input").GetAttribute("value"));
        Assert.Equal($"{settings.IncomingWebhookBaseUrl}/gh", cut.Find("[data-testid=webhook-url] input").GetAttribute("value"));
        Assert.EndsWith("/dashboard/dev/connections?integration=gh", cut.Find("[data-testid=integration-connections]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Saving_updates_the_display_name_and_credentials()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh", _oauth);
        var cut = RenderPage<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=client-secret] input")));

        await cut.Find("[data-testid=display-name] input").TypeAsync("GitHub (prod app)");
        await cut.Find("[data-testid=client-secret] input").TypeAsync("secret-2");
        await cut.Find("[data-testid=save-integration]").PressAsync();

        var saved = await Integrations.GetAsync(env, "gh", Ct);
        Assert.Equal("GitHub (prod app)", saved!.Summary.DisplayName);
        Assert.Equal("secret-2", saved.Credentials?.ClientSecret);
        Assert.Equal("client-1", saved.Credentials?.ClientId);
        Assert.Equal("hook-secret", saved.Credentials?.WebhookSecret);
        cut.WaitForAssertion(() => Assert.Equal("GitHub (prod app)", cut.Find("[data-testid=integration-name]").TextContent));
    }

    [Fact]
    public async Task Deleting_after_confirmation_removes_the_integration_and_its_connections()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh", _oauth);
        await ImportConnectionAsync(env, new ImportConnection("gh", "user-1", new JsonObject { ["type"] = "OAUTH2", ["access_token"] = "t" }));
        var (_, dialogs) = RenderProviders();
        var cut = Render<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=delete-integration]")));

        await cut.ClickWithoutWaitingAsync("[data-testid=delete-integration]");
        dialogs.WaitForAssertion(() => Assert.Contains("1 connection is deleted too", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.Find("[data-testid=confirm-ok]").PressAsync();

        cut.WaitForAssertion(() => Assert.EndsWith("/dashboard/dev/integrations", Navigation.Uri, StringComparison.Ordinal));
        Assert.Null(await Integrations.GetAsync(env, "gh", Ct));
        Assert.Empty(await Connections.ListAsync(env, new ConnectionQuery(), Ct));
    }

    [Fact]
    public async Task Cancelling_the_confirmation_keeps_the_integration()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "github", "gh");
        var (_, dialogs) = RenderProviders();
        var cut = Render<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "gh"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=delete-integration]")));

        await cut.ClickWithoutWaitingAsync("[data-testid=delete-integration]");
        await dialogs.WaitForElement("[data-testid=confirm-cancel]").PressAsync();

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("[data-testid=confirm-ok]")));
        Assert.NotNull(await Integrations.GetAsync(env, "gh", Ct));
        Assert.DoesNotContain("/integrations", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_unique_key_shows_not_found()
    {
        await SignInNewAccountAsync();

        var cut = RenderPage<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "missing"));

        cut.WaitForAssertion(() => Assert.Contains("Integration not found", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }
}
