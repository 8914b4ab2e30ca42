using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Secrets;
using Nango.Web.Components.Pages.Logs;

namespace Nango.Tests.Components.Logs;

/// <summary>
/// The Logs page on the real query service over Postgres. Rows go straight into the store (the write path's
/// flusher is a hosted service, which these tests do not start), so they are readable as soon as written.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LogsPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private ILogStore Store => Services.GetRequiredService<ILogStore>();

    private static LogOperationRow Operation(
        EnvironmentContext env, DateTimeOffset at, string type, string action, string state = OperationStates.Success,
        string? integration = null, string? connection = null, LogError? error = null) => new()
        {
            Id = Guid.CreateVersion7(at),
            CreatedAt = at,
            UpdatedAt = at,
            Type = type,
            Action = action,
            State = state,
            AccountId = env.AccountId,
            EnvironmentId = env.EnvironmentId,
            EnvironmentName = env.EnvironmentName,
            IntegrationKey = integration,
            Provider = integration is null ? null : "github",
            ConnectionName = connection,
            Error = error,
            StartedAt = at,
            EndedAt = OperationStates.IsOpen(state) ? null : at.AddMilliseconds(120),
            DurationMs = OperationStates.IsOpen(state) ? null : 120,
        };

    private static LogMessageRow Message(LogOperationRow operation, int second, string level, string text, LogHttpRequest? request = null, LogHttpResponse? response = null) => new()
    {
        Id = Guid.CreateVersion7(operation.CreatedAt.AddMilliseconds(second)),
        CreatedAt = operation.CreatedAt.AddMilliseconds(second),
        OperationId = operation.Id,
        AccountId = operation.AccountId,
        EnvironmentId = operation.EnvironmentId,
        Level = level,
        Type = request is null ? MessageTypes.Log : MessageTypes.Http,
        Source = MessageSources.Internal,
        Message = text,
        Request = request,
        Response = response,
    };

    private async Task WriteAsync(IEnumerable<LogOperationRow> operations, IEnumerable<LogMessageRow>? messages = null)
    {
        var batch = new LogBatch();
        batch.Operations.AddRange(operations);
        batch.Messages.AddRange(messages ?? []);
        await Store.WriteAsync(batch, Ct);
    }

    /// <summary>Three operations a minute apart: a github proxy call that failed, a slack auth, a github integration change.</summary>
    private async Task<(EnvironmentContext Env, LogOperationRow Proxy, LogOperationRow Auth, LogOperationRow Create)> ThreeOperationsAsync()
    {
        var env = await SignInNewAccountAsync();
        var now = DateTimeOffset.UtcNow;
        var create = Operation(env, now.AddMinutes(-3), "integration", "create", integration: "gh");
        var auth = Operation(env, now.AddMinutes(-2), "auth", "create_connection", integration: "sl", connection: "conn-carol");
        var proxy = Operation(env, now.AddMinutes(-1), "proxy", "call", OperationStates.Failed, "gh", "conn-alice", new LogError("upstream_error", "GitHub answered 429"));
        await WriteAsync(
            [create, auth, proxy],
            [
                Message(proxy, 10, MessageLevels.Info, "Calling GitHub",
                    new LogHttpRequest("GET", "https://api.github.com/user/repos", new Dictionary<string, string> { ["Accept"] = "application/json" }),
                    new LogHttpResponse(429, Body: "{\"message\":\"API rate limit exceeded\"}")),
                Message(proxy, 20, MessageLevels.Error, "Rate limit exceeded, giving up"),
                Message(auth, 10, MessageLevels.Info, "Token exchanged"),
            ]);
        return (env, proxy, auth, create);
    }

    private static List<string> Kinds(IRenderedComponent<LogsPage> cut) =>
        cut.FindAll("[data-testid=logs-row]").Select(r => r.Children[2].TextContent.Trim()).ToList();

    [Fact]
    public async Task Lists_operations_newest_first_with_status_type_integration_and_connection()
    {
        var (_, proxy, _, _) = await ThreeOperationsAsync();

        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Equal(["proxy:call", "auth:create_connection", "integration:create"], Kinds(cut)));
        var first = cut.FindAll("[data-testid=logs-row]")[0];
        Assert.Equal(proxy.Id.ToString(), first.GetAttribute("data-operation"));
        Assert.Equal("failed", first.QuerySelector("[data-testid=logs-state]")!.TextContent.Trim());
        Assert.Contains("gh", first.TextContent, StringComparison.Ordinal);
        Assert.Contains("conn-alice", first.TextContent, StringComparison.Ordinal);
        Assert.Contains("120 ms", first.TextContent, StringComparison.Ordinal);
        Assert.Contains("Showing 3 of 3 operations", cut.Find("[data-testid=logs-count]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filters_given_in_the_url_apply_on_arrival()
    {
        await ThreeOperationsAsync();
        Navigation.NavigateTo("/dashboard/dev/logs?integration=gh&state=failed&live=false");

        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Equal(["proxy:call"], Kinds(cut)));
    }

    [Fact]
    public async Task Type_and_connection_filters_in_the_url_apply_on_arrival()
    {
        await ThreeOperationsAsync();
        Navigation.NavigateTo("/dashboard/dev/logs?type=auth&connection=conn-carol");

        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Equal(["auth:create_connection"], Kinds(cut)));
    }

    [Fact]
    public async Task A_period_excludes_older_operations()
    {
        var env = await SignInNewAccountAsync();
        var now = DateTimeOffset.UtcNow;
        await WriteAsync([Operation(env, now.AddHours(-3), "sync", "run"), Operation(env, now.AddMinutes(-5), "action", "run")]);
        Navigation.NavigateTo("/dashboard/dev/logs?period=1h");

        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Equal(["action:run"], Kinds(cut)));
    }

    [Fact]
    public async Task Typing_a_search_narrows_the_list_and_records_it_in_the_url()
    {
        await ThreeOperationsAsync();
        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(3, Kinds(cut).Count));

        await cut.Find("[data-testid=logs-search] input").TypeAsync("exceeded");

        cut.WaitForAssertion(() => Assert.Equal(["proxy:call"], Kinds(cut)));
        Assert.Contains("search=exceeded", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clicking_a_row_opens_the_drawer_with_its_messages_and_keeps_it_in_the_url()
    {
        var (_, proxy, _, _) = await ThreeOperationsAsync();
        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(3, Kinds(cut).Count));

        await cut.PressAsync("[data-testid=logs-row]");

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=logs-message]").Count));
        Assert.Contains("operation=" + proxy.Id, Navigation.Uri, StringComparison.Ordinal);
        var drawer = cut.Find("[data-testid=logs-drawer]");
        Assert.Contains("proxy:call", drawer.TextContent, StringComparison.Ordinal);
        Assert.Contains("GitHub answered 429", cut.Find("[data-testid=logs-drawer-error]").TextContent, StringComparison.Ordinal);
        var messages = cut.FindAll("[data-testid=logs-message]");
        Assert.Equal(["error", "info"], messages.Select(m => m.QuerySelector("[data-testid=logs-level]")!.TextContent.Trim()));
        Assert.Contains("Rate limit exceeded, giving up", messages[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("GET https://api.github.com/user/repos", messages[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_http_message_expands_to_headers_and_a_pretty_printed_json_body()
    {
        var (_, proxy, _, _) = await ThreeOperationsAsync();
        Navigation.NavigateTo($"/dashboard/dev/logs?operation={proxy.Id}");
        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=logs-message]").Count));

        await cut.PressAsync("[data-testid=logs-message] .logs-message-line", index: 1);

        var details = cut.WaitForElement("[data-testid=logs-message-details]");
        Assert.Contains("Accept", details.TextContent, StringComparison.Ordinal);
        Assert.Contains("{\n  \"message\": \"API rate limit exceeded\"\n}", details.QuerySelector("[data-testid=logs-http-body]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Searching_messages_in_the_drawer_narrows_them()
    {
        var (_, proxy, _, _) = await ThreeOperationsAsync();
        Navigation.NavigateTo($"/dashboard/dev/logs?operation={proxy.Id}&live=false");
        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=logs-message]").Count));

        await cut.Find("[data-testid=logs-message-search] input").TypeAsync("giving");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=logs-message]")));
        Assert.Contains("giving up", cut.Find("[data-testid=logs-message]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_tail_shows_a_new_operation_without_reload()
    {
        var (env, _, _, _) = await ThreeOperationsAsync();
        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(3, Kinds(cut).Count));

        await WriteAsync([Operation(env, DateTimeOffset.UtcNow, "sync", "run", integration: "gh")]);

        cut.WaitForAssertion(() => Assert.Equal("sync:run", Kinds(cut)[0]), TimeSpan.FromSeconds(5));
        Assert.Contains("Showing 4 of 4 operations", cut.Find("[data-testid=logs-count]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_more_pages_with_the_cursor()
    {
        var env = await SignInNewAccountAsync();
        var now = DateTimeOffset.UtcNow;
        await WriteAsync(Enumerable.Range(0, 60).Select(i => Operation(env, now.AddSeconds(-i - 1), "action", "run")));
        Navigation.NavigateTo("/dashboard/dev/logs?live=false");
        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(50, Kinds(cut).Count));
        Assert.Contains("Showing 50 of 60", cut.Find("[data-testid=logs-count]").TextContent, StringComparison.Ordinal);

        await cut.PressAsync("[data-testid=logs-load-more]");

        cut.WaitForAssertion(() => Assert.Equal(60, Kinds(cut).Count));
        Assert.Empty(cut.FindAll("[data-testid=logs-load-more]"));
    }

    [Fact]
    public async Task Without_operations_the_empty_state_shows()
    {
        await SignInNewAccountAsync();

        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("No operations in this period", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_nothing_matches_the_empty_state_offers_to_clear_the_filters()
    {
        await ThreeOperationsAsync();
        Navigation.NavigateTo("/dashboard/dev/logs?search=nothingmatchesthis");

        var cut = RenderPage<LogsPage>(p => p.Add(x => x.Env, "dev"));

        cut.WaitForAssertion(() => Assert.Contains("No operation matches", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        Assert.EndsWith("/dashboard/dev/logs", cut.Find("[data-testid=logs-clear-filters]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_environment_of_another_account_is_not_found_and_its_operations_stay_hidden()
    {
        var other = await CreateAccountAsync();
        await AddEnvironmentAsync(other.Id, "staging");
        var otherDev = (await Environments.FindByNameAsync(other.Id, "dev", Ct))!;
        await WriteAsync([Operation(otherDev, DateTimeOffset.UtcNow.AddMinutes(-1), "proxy", "call", integration: "secret-integration")]);
        await SignInNewAccountAsync();

        var staging = RenderPage<LogsPage>(p => p.Add(x => x.Env, "staging"));
        var dev = Render<LogsPage>(p => p.Add(x => x.Env, "dev"));

        staging.WaitForAssertion(() => Assert.Contains("Environment not found", staging.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        dev.WaitForAssertion(() => Assert.Contains("No operations in this period", dev.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        Assert.DoesNotContain("secret-integration", dev.Markup, StringComparison.Ordinal);
    }

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
}
