using Bunit;
using Nango.Web.Components.Pages.Integrations;

namespace Nango.Tests.Components.Integrations;

[Trait("Category", "Integration")]
public sealed class CreateIntegrationPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    [Fact]
    public async Task Search_narrows_the_catalog_and_puts_the_exact_match_first()
    {
        await SignInNewAccountAsync();
        var cut = RenderPage<CreateIntegrationPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=provider-card]")));

        await cut.Find("[data-testid=provider-search] input").TypeAsync("hub");

        cut.WaitForAssertion(() =>
        {
            var cards = cut.FindAll("[data-testid=provider-card]");
            Assert.Contains(cards, c => c.GetAttribute("data-provider") == "hubspot");
            Assert.Contains(cards, c => c.GetAttribute("data-provider") == "github");
            Assert.DoesNotContain(cards, c => c.GetAttribute("data-provider") == "slack");
            Assert.All(cards, c => Assert.Contains("hub", c.GetAttribute("data-provider") + " " + c.TextContent, StringComparison.OrdinalIgnoreCase));
        });

        await cut.Find("[data-testid=provider-search] input").TypeAsync("github");
        cut.WaitForAssertion(() => Assert.Equal("github", cut.Find("[data-testid=provider-card]").GetAttribute("data-provider")));

        await cut.Find("[data-testid=provider-search] input").TypeAsync("no-such-provider-xyz");
        cut.WaitForAssertion(() => Assert.Contains("No provider matches", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Choosing_a_provider_and_submitting_creates_the_integration_and_returns_to_the_list()
    {
        var env = await SignInNewAccountAsync();
        var cut = RenderPage<CreateIntegrationPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=provider-card]")));
        await cut.Find("[data-testid=provider-search] input").TypeAsync("github");
        cut.WaitForAssertion(() => Assert.Equal("github", cut.Find("[data-testid=provider-card]").GetAttribute("data-provider")));

        await cut.Find("[data-testid=provider-card][data-provider=github]").PressAsync();
        Assert.Equal("github", cut.Find("[data-testid=unique-key] input").GetAttribute("value"));
        Assert.EndsWith("/dashboard/dev/integrations/create/github", Navigation.Uri, StringComparison.Ordinal);
        Assert.Contains("/oauth/callback", cut.Find("[data-testid=callback-url] input").GetAttribute("value"), StringComparison.Ordinal);
        await cut.Find("[data-testid=unique-key] input").TypeAsync("github-dashboard");
        await cut.Find("[data-testid=client-id] input").TypeAsync("client-123");
        await cut.Find("[data-testid=client-secret] input").TypeAsync("secret-456");
        await cut.Find("[data-testid=scopes] input").TypeAsync("repo user");
        await cut.Find("[data-testid=create-integration-submit]").PressAsync();

        var saved = await Integrations.GetAsync(env, "github-dashboard", Ct);
        Assert.NotNull(saved);
        Assert.Equal("github", saved.Summary.Provider);
        Assert.Equal("OAUTH2", saved.Credentials?.Type);
        Assert.Equal("client-123", saved.Credentials?.ClientId);
        Assert.Equal("secret-456", saved.Credentials?.ClientSecret);
        Assert.Equal("repo,user", saved.Credentials?.Scopes);
        Assert.EndsWith("/dashboard/dev/integrations", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_unique_key_already_in_use_is_reported_on_the_field_and_nothing_is_created()
    {
        var env = await SignInNewAccountAsync();
        await CreateIntegrationAsync(env, "slack", "taken");
        var cut = RenderPage<CreateIntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Provider, "github"));
        cut.WaitForAssertion(() => Assert.StartsWith("GitHub", cut.Find("[data-testid=selected-provider]").TextContent, StringComparison.Ordinal));

        await cut.Find("[data-testid=unique-key] input").TypeAsync("taken");
        await cut.Find("[data-testid=create-integration-submit]").PressAsync();

        cut.WaitForAssertion(() => Assert.Contains("Unique key already used", cut.Find("[data-testid=unique-key]").TextContent, StringComparison.Ordinal));
        var all = await Integrations.ListAsync(env, Ct);
        Assert.Equal("slack", Assert.Single(all).Provider);
        Assert.DoesNotContain("/integrations", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_unique_key_is_refused_before_anything_is_sent()
    {
        var env = await SignInNewAccountAsync();
        var cut = RenderPage<CreateIntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Provider, "github"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=unique-key] input")));

        await cut.Find("[data-testid=unique-key] input").TypeAsync("not/valid");
        await cut.Find("[data-testid=create-integration-submit]").PressAsync();

        Assert.Contains("letters, digits", cut.Find("[data-testid=unique-key]").TextContent, StringComparison.Ordinal);
        Assert.Empty(await Integrations.ListAsync(env, Ct));
    }

    [Fact]
    public async Task Credentials_the_service_refuses_are_listed()
    {
        var env = await SignInNewAccountAsync();
        var cut = RenderPage<CreateIntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Provider, "github"));
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=client-id] input")));

        await cut.Find("[data-testid=client-id] input").TypeAsync("only-the-id");
        await cut.Find("[data-testid=create-integration-submit]").PressAsync();

        cut.WaitForAssertion(() => Assert.Contains("client_secret is required", cut.Find("[data-testid=form-errors]").TextContent, StringComparison.Ordinal));
        Assert.Empty(await Integrations.ListAsync(env, Ct));
    }

    [Fact]
    public async Task An_unknown_provider_in_the_url_shows_not_found()
    {
        await SignInNewAccountAsync();

        var cut = RenderPage<CreateIntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Provider, "no-such-provider"));

        cut.WaitForAssertion(() => Assert.Contains("Provider not found", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }
}
