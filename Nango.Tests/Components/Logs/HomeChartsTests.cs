using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Web.Components.Pages.Home;

namespace Nango.Tests.Components.Logs;

/// <summary>The home page's operation charts, from the histogram of the real store.</summary>
[Trait("Category", "Integration")]
public sealed class HomeChartsTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private async Task WriteAsync(EnvironmentContext env, params (TimeSpan Ago, string Type, string State)[] operations)
    {
        var batch = new LogBatch();
        var now = DateTimeOffset.UtcNow;
        foreach (var (ago, type, state) in operations)
        {
            var at = now - ago;
            batch.Operations.Add(new LogOperationRow
            {
                Id = Guid.CreateVersion7(at),
                CreatedAt = at,
                UpdatedAt = at,
                Type = type,
                Action = "run",
                State = state,
                AccountId = env.AccountId,
                EnvironmentId = env.EnvironmentId,
            });
        }
        await Services.GetRequiredService<ILogStore>().WriteAsync(batch, Ct);
    }

    [Fact]
    public async Task Charts_show_operations_per_type_and_success_against_failure()
    {
        var env = await SignInNewAccountAsync();
        await WriteAsync(env,
            (TimeSpan.FromMinutes(5), "sync", OperationStates.Success),
            (TimeSpan.FromMinutes(6), "sync", OperationStates.Failed),
            (TimeSpan.FromHours(3), "action", OperationStates.Success),
            (TimeSpan.FromDays(3), "proxy", OperationStates.Success));

        var cut = RenderPage<HomePage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=home-chart-types] svg")));
        var types = cut.Find("[data-testid=home-chart-types]").TextContent;
        Assert.Contains("sync", types, StringComparison.Ordinal);
        Assert.Contains("action", types, StringComparison.Ordinal);
        Assert.DoesNotContain("proxy", types, StringComparison.Ordinal);
        var states = cut.Find("[data-testid=home-chart-states]").TextContent;
        Assert.Contains("Success", states, StringComparison.Ordinal);
        Assert.Contains("Failure", states, StringComparison.Ordinal);
        var totals = cut.Find("[data-testid=home-totals]").TextContent;
        Assert.Contains("3 operations", totals, StringComparison.Ordinal);
        Assert.Contains("2 succeeded", totals, StringComparison.Ordinal);
        Assert.Contains("1 failed", totals, StringComparison.Ordinal);
        // The cards stay.
        Assert.Contains("Environment settings", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_seven_day_period_from_the_url_counts_older_days()
    {
        var env = await SignInNewAccountAsync();
        await WriteAsync(env, (TimeSpan.FromMinutes(5), "sync", OperationStates.Success), (TimeSpan.FromDays(3), "proxy", OperationStates.Success));
        Navigation.NavigateTo("/dashboard/dev?period=7d");

        var cut = RenderPage<HomePage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("proxy", cut.Find("[data-testid=home-chart-types]").TextContent, StringComparison.Ordinal));
        Assert.Contains("2 operations", cut.Find("[data-testid=home-totals]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_operations_the_charts_give_way_to_an_empty_state()
    {
        await SignInNewAccountAsync();

        var cut = RenderPage<HomePage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("No operations in the last 24 hours", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        Assert.EndsWith("/dashboard/dev/logs", cut.Find("[data-testid=home-open-logs]").GetAttribute("href"), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=home-chart-types]"));
    }
}
