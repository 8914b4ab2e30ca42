using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Persistence;
using Nango.Core.Secrets;
using Nango.Web.Components.Pages.Connections;
using Nango.Web.Components.Pages.Integrations;
using Nango.Web.Components.Pages.Settings;

namespace Nango.Tests.Components.Dashboard;

/// <summary>A signed-in user reaches only their own account's environments, whatever the URL says.</summary>
[Trait("Category", "Integration")]
public sealed class EnvironmentIsolationTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private async Task AddEnvironmentAsync(int accountId, string name)
    {
        var protector = Services.GetRequiredService<SecretProtector>();
        await using var db = await Services.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContextAsync(Ct);
        var now = DateTimeOffset.UtcNow;
        db.Environments.Add(new NangoEnvironment
        {
            AccountId = accountId,
            Name = name,
            Uuid = Guid.NewGuid(),
            PublicKey = Guid.NewGuid(),
            SecretKeyHash = Guid.NewGuid().ToString("N"),
            SecretKeyCiphertext = protector.Protect(Guid.NewGuid().ToString()),
            WebhookSigningKeyCiphertext = protector.Protect("signing"),
            CreatedAt = now,
            UpdatedAt = now,
        });
        await db.SaveChangesAsync(Ct);
    }

    [Fact]
    public async Task An_environment_of_another_account_is_not_found()
    {
        var other = await CreateAccountAsync();
        await AddEnvironmentAsync(other.Id, "staging");
        await SignInNewAccountAsync();

        var integrations = RenderPage<IntegrationsPage>(p => p.Add(x => x.Env, "staging"));
        var connections = Render<ConnectionsPage>(p => p.Add(x => x.Env, "staging"));
        var settings = Render<EnvironmentSettingsPage>(p => p.Add(x => x.Env, "staging"));

        integrations.WaitForAssertion(() => Assert.Contains("Environment not found", integrations.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        connections.WaitForAssertion(() => Assert.Contains("Environment not found", connections.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        settings.WaitForAssertion(() => Assert.Contains("Environment not found", settings.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        Assert.Empty(settings.FindAll("[data-testid=api-keys]"));
    }

    [Fact]
    public async Task The_owner_of_that_environment_does_see_it()
    {
        var owner = await CreateAccountAsync();
        await AddEnvironmentAsync(owner.Id, "staging");
        SignInTo(owner.Id);

        var cut = RenderPage<IntegrationsPage>(p => p.Add(x => x.Env, "staging"));

        cut.WaitForAssertion(() => Assert.Contains("No integrations yet", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_environment_name_shows_only_the_signed_in_accounts_data()
    {
        var other = await CreateAccountAsync();
        var otherDev = (await Environments.FindByNameAsync(other.Id, "dev", Ct))!;
        await CreateIntegrationAsync(otherDev, "github", "theirs");
        var mine = await SignInNewAccountAsync();
        await CreateIntegrationAsync(mine, "slack", "mine");

        var cut = RenderPage<IntegrationsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=integration-row]")));
        Assert.Contains("mine", cut.Find("[data-testid=integration-row]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("theirs", cut.Markup, StringComparison.Ordinal);

        var detail = Render<IntegrationPage>(p => p.Add(x => x.Env, "dev").Add(x => x.Key, "theirs"));
        detail.WaitForAssertion(() => Assert.Contains("Integration not found", detail.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }
}
