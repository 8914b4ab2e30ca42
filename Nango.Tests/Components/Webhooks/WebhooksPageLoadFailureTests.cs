using Bunit;
using Nango.Tests.Infrastructure;
using Nango.Web.Components.Pages.Webhooks;

namespace Nango.Tests.Components.Webhooks;

/// <summary>The Webhooks page pointed at a database that does not exist shows the error state with a retry.</summary>
[Trait("Category", "Integration")]
public sealed class WebhooksPageLoadFailureTests() : DashboardTestContext(
    TestPostgres.ConnectionStringFor("nango_missing_" + Guid.NewGuid().ToString("N")[..12]),
    Convert.ToBase64String(new byte[32]),
    Path.Combine(Path.GetTempPath(), "nango-tests", "webhooks-load-failure"))
{
    [Fact]
    public async Task An_unreachable_database_shows_the_error_with_a_retry()
    {
        SignInTo(1);

        var cut = RenderPage<WebhooksPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("The database could not be reached.", cut.Find("[data-testid=error]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=empty]"));

        await cut.ClickWithoutWaitingAsync("[data-testid=error] button");

        cut.WaitForAssertion(() => Assert.Contains("The database could not be reached.", cut.Find("[data-testid=error]").TextContent, StringComparison.Ordinal));
    }
}
