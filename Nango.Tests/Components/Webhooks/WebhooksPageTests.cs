using AngleSharp.Dom;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Persistence;
using Nango.Core.Webhooks;
using Nango.Web.Components.Pages.Webhooks;

namespace Nango.Tests.Components.Webhooks;

/// <summary>
/// The Webhooks page on the real delivery service over Postgres. Deliveries go straight into the outbox table;
/// no delivery worker runs here (hosted services are not started), so rows keep the status a test gives them
/// until the test changes it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WebhooksPageTests(ComponentDatabase database) : DashboardTestContext(database), IClassFixture<ComponentDatabase>
{
    private const string Receiver = "https://hooks.example.com/nango";
    private const string Gone = "https://old.example.com/hooks";

    private IDbContextFactory<NangoDbContext> Db => Services.GetRequiredService<IDbContextFactory<NangoDbContext>>();

    private WebhookDeliveryService Deliveries => Services.GetRequiredService<WebhookDeliveryService>();

    private async Task<List<WebhookDelivery>> InsertAsync(params WebhookDelivery[] deliveries)
    {
        await using var db = await Db.CreateDbContextAsync(Ct);
        db.WebhookDeliveries.AddRange(deliveries);
        await db.SaveChangesAsync(Ct);
        return [.. deliveries];
    }

    private static WebhookDelivery Delivery(EnvironmentContext env, string eventType, string status, DateTimeOffset createdAt, string target = Receiver) => new()
    {
        EventId = Guid.CreateVersion7(createdAt),
        EnvironmentId = env.EnvironmentId,
        EventType = eventType,
        TargetUrl = target,
        Body = $$"""{"type":"{{eventType}}","connectionId":"conn-1","success":true}""",
        Status = status,
        CreatedAt = createdAt,
        NextAttemptAt = createdAt,
    };

    /// <summary>One delivery of each status, oldest first: a dead auth, a delivered sync, a delivering forward, a pending test.</summary>
    private async Task<(EnvironmentContext Env, WebhookDelivery Dead, WebhookDelivery Delivered, WebhookDelivery Delivering, WebhookDelivery Pending)> OneOfEachAsync()
    {
        var env = await SignInNewAccountAsync();
        var now = DateTimeOffset.UtcNow;
        var dead = Delivery(env, "auth", WebhookDeliveryStatus.Dead, now.AddMinutes(-4), Gone);
        dead.ConnectionId = 42;
        dead.Attempts = 7;
        dead.LastAttemptAt = now.AddMinutes(-3);
        dead.LastStatusCode = 410;
        dead.LastDurationMs = 12;
        dead.LastError = "The receiver answered 410 Gone: https://old.example.com/hooks is disabled until it is re-enabled on the Webhooks page.";
        dead.LastResponseExcerpt = """{"error":"gone"}""";
        dead.Headers = """{"X-Provider-Signature":"abc"}""";
        var delivered = Delivery(env, "sync", WebhookDeliveryStatus.Delivered, now.AddMinutes(-3));
        delivered.ConnectionId = 7;
        delivered.Attempts = 1;
        delivered.LastAttemptAt = now.AddMinutes(-3);
        delivered.LastStatusCode = 200;
        delivered.LastDurationMs = 35;
        delivered.DeliveredAt = now.AddMinutes(-3);
        var delivering = Delivery(env, "forward", WebhookDeliveryStatus.Delivering, now.AddMinutes(-2));
        delivering.Attempts = 1;
        var pending = Delivery(env, "test", WebhookDeliveryStatus.Pending, now.AddMinutes(-1));
        pending.Attempts = 2;
        pending.NextAttemptAt = now.AddMinutes(5);
        pending.LastAttemptAt = now.AddMinutes(-1);
        pending.LastStatusCode = 503;
        pending.LastDurationMs = 80;
        pending.LastError = "The receiver answered 503.";
        await InsertAsync(dead, delivered, delivering, pending);
        await using var db = await Db.CreateDbContextAsync(Ct);
        db.WebhookTargets.AddRange(
            new WebhookTarget { EnvironmentId = env.EnvironmentId, Url = Receiver, ConsecutiveFailures = 1, LastSuccessAt = now.AddMinutes(-3) },
            new WebhookTarget
            {
                EnvironmentId = env.EnvironmentId,
                Url = Gone,
                ConsecutiveFailures = 3,
                DisabledAt = now.AddMinutes(-3),
                DisabledReason = "The receiver answered 410 Gone.",
            });
        await db.SaveChangesAsync(Ct);
        return (env, dead, delivered, delivering, pending);
    }

    private IRenderedComponent<WebhooksPage> RenderWebhooks() => RenderPage<WebhooksPage>(p => p.Add(x => x.Env, "dev"));

    private static List<IElement> Rows(IRenderedComponent<WebhooksPage> cut) => [.. cut.FindAll("tr.webhooks-row")];

    private static List<string> Events(IRenderedComponent<WebhooksPage> cut) =>
        Rows(cut).Select(r => r.QuerySelector("[data-testid=webhooks-event]")!.TextContent.Trim()).ToList();

    private static string Cell(IElement row, string testId) => row.QuerySelector($"[data-testid={testId}]")!.TextContent.Trim();

    private async Task<WebhookDelivery> ReadAsync(long id)
    {
        await using var db = await Db.CreateDbContextAsync(Ct);
        return await db.WebhookDeliveries.AsNoTracking().SingleAsync(d => d.Id == id, Ct);
    }

    private IEnumerable<string> Snackbars => Services.GetRequiredService<ISnackbar>().ShownSnackbars.Select(s => s.Message ?? "");

    [Fact]
    public async Task An_environment_without_deliveries_shows_the_empty_state_and_no_test_button_without_a_url()
    {
        await SignInNewAccountAsync();

        var cut = RenderWebhooks();

        cut.WaitForAssertion(() => Assert.Contains("No webhooks sent yet", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal));
        Assert.Contains("Set a URL in Settings and send a test event", cut.Find("[data-testid=empty]").TextContent, StringComparison.Ordinal);
        Assert.Equal("/dashboard/dev/environment-settings", cut.Find("[data-testid=webhooks-open-settings]").GetAttribute("href"));
        Assert.True(cut.Find("[data-testid=webhooks-send-test]").HasAttribute("disabled"));
        Assert.Empty(cut.FindAll("[data-testid=webhooks-replay-all]"));
        Assert.Empty(Rows(cut));
    }

    [Fact]
    public async Task Lists_deliveries_newest_first_with_a_coloured_status_counts_and_target_health()
    {
        var (_, dead, delivered, _, pending) = await OneOfEachAsync();

        var cut = RenderWebhooks();

        cut.WaitForAssertion(() => Assert.Equal(["test", "forward", "sync", "auth"], Events(cut)));
        var rows = Rows(cut);
        Assert.Equal(["pending", "delivering", "delivered", "dead"], rows.Select(r => Cell(r, "webhooks-status")));
        Assert.Contains("mud-chip-color-warning", rows[0].QuerySelector("[data-testid=webhooks-status]")!.ClassName, StringComparison.Ordinal);
        Assert.Contains("mud-chip-color-info", rows[1].QuerySelector("[data-testid=webhooks-status]")!.ClassName, StringComparison.Ordinal);
        Assert.Contains("mud-chip-color-success", rows[2].QuerySelector("[data-testid=webhooks-status]")!.ClassName, StringComparison.Ordinal);
        Assert.Contains("mud-chip-color-error", rows[3].QuerySelector("[data-testid=webhooks-status]")!.ClassName, StringComparison.Ordinal);

        Assert.Equal(pending.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), rows[0].QuerySelector("[data-delivery]")!.GetAttribute("data-delivery"));
        Assert.Matches("^next in [45] min$", Cell(rows[0], "webhooks-next"));
        Assert.Equal("2", Cell(rows[0], "webhooks-attempts"));
        Assert.Contains("503", Cell(rows[0], "webhooks-response"), StringComparison.Ordinal);
        Assert.Contains("The receiver answered 503.", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("sending now", Cell(rows[1], "webhooks-next"));
        Assert.Equal("connection #7", Cell(rows[2], "webhooks-connection"));
        Assert.Equal("200", rows[2].QuerySelector("[data-testid=webhooks-response] .mud-chip")!.TextContent.Trim());
        Assert.EndsWith("35 ms", Cell(rows[2], "webhooks-response"), StringComparison.Ordinal);
        Assert.Null(rows[2].QuerySelector("[data-testid=webhooks-next]"));
        Assert.Equal("connection #42", Cell(rows[3], "webhooks-connection"));
        Assert.Null(rows[0].QuerySelector("[data-testid=webhooks-connection]"));
        Assert.Contains(Gone, rows[3].TextContent, StringComparison.Ordinal);
        Assert.Contains("410", Cell(rows[3], "webhooks-response"), StringComparison.Ordinal);
        // Only dead rows can be ticked and replayed.
        Assert.NotNull(rows[3].QuerySelector("[data-testid=webhooks-select]"));
        Assert.NotNull(rows[3].QuerySelector("[data-testid=webhooks-replay-row]"));
        Assert.All(rows.Take(3), r => Assert.Null(r.QuerySelector("[data-testid=webhooks-select]")));

        foreach (var status in WebhookDeliveryStatus.All)
        {
            Assert.Equal("1", cut.Find($"[data-testid=webhooks-count-{status}] [data-testid=webhooks-count-value]").TextContent.Trim());
        }
        var targets = cut.FindAll("[data-testid=webhooks-target]");
        Assert.Equal(2, targets.Count);
        var gone = targets.Single(t => t.TextContent.Contains(Gone, StringComparison.Ordinal));
        Assert.Equal("Disabled", gone.QuerySelector("[data-testid=webhooks-target-health]")!.TextContent.Trim());
        Assert.Contains("410 Gone", gone.QuerySelector("[data-testid=webhooks-target-detail]")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("3 consecutive failures", gone.TextContent, StringComparison.Ordinal);
        Assert.NotNull(gone.QuerySelector("[data-testid=webhooks-target-enable]"));
        var healthy = targets.Single(t => t.TextContent.Contains(Receiver, StringComparison.Ordinal));
        Assert.Equal("Failing", healthy.QuerySelector("[data-testid=webhooks-target-health]")!.TextContent.Trim());
        Assert.Null(healthy.QuerySelector("[data-testid=webhooks-target-enable]"));
        Assert.NotNull(cut.Find("[data-testid=webhooks-live]"));
        _ = dead;
        _ = delivered;
    }

    [Fact]
    public async Task Filters_given_in_the_url_apply_on_arrival()
    {
        await OneOfEachAsync();
        Navigation.NavigateTo($"/dashboard/dev/webhooks?status=dead&status=delivered&event=sync&target={Uri.EscapeDataString(Receiver)}");

        var cut = RenderWebhooks();

        cut.WaitForAssertion(() => Assert.Equal(["sync"], Events(cut)));
        Assert.Contains("(filtered)", cut.Find("[data-testid=webhooks-range]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Choosing_a_status_narrows_the_list_and_records_it_in_the_url()
    {
        await OneOfEachAsync();
        Navigation.NavigateTo("/dashboard/dev/webhooks");
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Equal(4, Rows(cut).Count));

        await cut.Find("[data-testid=webhooks-count-dead]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(["auth"], Events(cut)));
        Assert.EndsWith("/dashboard/dev/webhooks?status=dead", Navigation.Uri, StringComparison.Ordinal);

        await cut.Find("[data-testid=webhooks-count-dead]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(4, Rows(cut).Count));
        Assert.EndsWith("/dashboard/dev/webhooks", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Picking_event_types_in_the_filter_records_them_in_the_url()
    {
        await OneOfEachAsync();
        var (popovers, _) = RenderProviders();
        var cut = Render<WebhooksPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(4, Rows(cut).Count));

        await cut.Find("[data-testid=webhooks-filter-event] div.mud-input-control").MouseDownAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        popovers.WaitForAssertion(() => Assert.NotEmpty(popovers.FindAll(".mud-list-item")));
        await popovers.FindAll(".mud-list-item").First(i => i.TextContent.Trim() == "sync").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());

        cut.WaitForAssertion(() => Assert.Equal(["sync"], Events(cut)));
        Assert.Contains("event=sync", Navigation.Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replaying_a_dead_row_queues_it_again_and_refreshes_the_list()
    {
        var (_, dead, _, _, _) = await OneOfEachAsync();
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Equal(4, Rows(cut).Count));

        await Rows(cut)[3].QuerySelector("[data-testid=webhooks-replay-row]")!.PressAsync();

        var stored = await ReadAsync(dead.Id);
        Assert.Equal(WebhookDeliveryStatus.Pending, stored.Status);
        Assert.Equal(0, stored.Attempts);
        cut.WaitForAssertion(() => Assert.Equal("pending", Cell(Rows(cut)[3], "webhooks-status")));
        Assert.Equal("0", cut.Find("[data-testid=webhooks-count-dead] [data-testid=webhooks-count-value]").TextContent.Trim());
        Assert.Contains("Queued 1 delivery again", Snackbars);
    }

    [Fact]
    public async Task Replay_selected_queues_only_the_ticked_dead_deliveries()
    {
        var env = await SignInNewAccountAsync();
        var now = DateTimeOffset.UtcNow;
        var deliveries = await InsertAsync(
            Delivery(env, "sync", WebhookDeliveryStatus.Dead, now.AddMinutes(-3)),
            Delivery(env, "sync", WebhookDeliveryStatus.Dead, now.AddMinutes(-2)),
            Delivery(env, "auth", WebhookDeliveryStatus.Dead, now.AddMinutes(-1)));
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Equal(3, Rows(cut).Count));
        Assert.Empty(cut.FindAll("[data-testid=webhooks-replay-selected]"));

        await Rows(cut)[0].QuerySelector("[data-testid=webhooks-select] input")!.ToggleAsync(true);
        await Rows(cut)[2].QuerySelector("[data-testid=webhooks-select] input")!.ToggleAsync(true);
        Assert.Contains("Replay selected (2)", cut.Find("[data-testid=webhooks-replay-selected]").TextContent, StringComparison.Ordinal);
        await cut.Find("[data-testid=webhooks-replay-selected]").PressAsync();

        Assert.Equal(WebhookDeliveryStatus.Pending, (await ReadAsync(deliveries[2].Id)).Status);
        Assert.Equal(WebhookDeliveryStatus.Dead, (await ReadAsync(deliveries[1].Id)).Status);
        Assert.Equal(WebhookDeliveryStatus.Pending, (await ReadAsync(deliveries[0].Id)).Status);
        cut.WaitForAssertion(() => Assert.Equal(["pending", "dead", "pending"], Rows(cut).Select(r => Cell(r, "webhooks-status"))));
        Assert.Empty(cut.FindAll("[data-testid=webhooks-replay-selected]"));
        Assert.Contains("Queued 2 deliveries again", Snackbars);
    }

    [Fact]
    public async Task Replay_all_dead_asks_first_then_queues_every_dead_delivery()
    {
        var env = await SignInNewAccountAsync();
        var now = DateTimeOffset.UtcNow;
        var deliveries = await InsertAsync(
            Delivery(env, "sync", WebhookDeliveryStatus.Dead, now.AddMinutes(-3)),
            Delivery(env, "sync", WebhookDeliveryStatus.Delivered, now.AddMinutes(-2)),
            Delivery(env, "auth", WebhookDeliveryStatus.Dead, now.AddMinutes(-1)));
        var (_, dialogs) = RenderProviders();
        var cut = Render<WebhooksPage>(p => p.Add(x => x.Env, "dev"));
        cut.WaitForAssertion(() => Assert.Equal(3, Rows(cut).Count));

        await cut.ClickWithoutWaitingAsync("[data-testid=webhooks-replay-all]");
        dialogs.WaitForAssertion(() => Assert.Contains("Send all 2 dead deliveries again?", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.Find("[data-testid=confirm-ok]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(["pending", "delivered", "pending"], Rows(cut).Select(r => Cell(r, "webhooks-status"))));
        Assert.Equal(WebhookDeliveryStatus.Pending, (await ReadAsync(deliveries[0].Id)).Status);
        Assert.Equal(WebhookDeliveryStatus.Delivered, (await ReadAsync(deliveries[1].Id)).Status);
        Assert.Contains("Queued 2 deliveries again", Snackbars);
    }

    [Fact]
    public async Task Send_test_is_disabled_without_a_url_and_queues_a_test_event_once_one_is_set()
    {
        var env = await SignInNewAccountAsync();
        await InsertAsync(Delivery(env, "sync", WebhookDeliveryStatus.Delivered, DateTimeOffset.UtcNow.AddMinutes(-1)));
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Single(Rows(cut)));
        Assert.True(cut.Find("[data-testid=webhooks-send-test]").HasAttribute("disabled"));

        await Environments.UpdateWebhookSettingsAsync(env, new WebhookSettingsUpdate(Receiver, null, true, true, true, false, true), Ct);
        await cut.Find("[data-testid=webhooks-refresh]").PressAsync();
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=webhooks-send-test]").HasAttribute("disabled")));
        await cut.Find("[data-testid=webhooks-send-test]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(["test", "sync"], Events(cut)));
        Assert.Equal("pending", Cell(Rows(cut)[0], "webhooks-status"));
        Assert.Contains("Test event queued to 1 URL", Snackbars);
        Assert.NotNull(cut.Find("[data-testid=webhooks-live]"));
    }

    [Fact]
    public async Task A_pending_delivery_turns_delivered_without_a_reload()
    {
        var env = await SignInNewAccountAsync();
        var pending = (await InsertAsync(Delivery(env, "test", WebhookDeliveryStatus.Pending, DateTimeOffset.UtcNow)))[0];
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Equal("pending", Cell(Rows(cut)[0], "webhooks-status")));

        await using (var db = await Db.CreateDbContextAsync(Ct))
        {
            await db.WebhookDeliveries.Where(d => d.Id == pending.Id).ExecuteUpdateAsync(
                u => u.SetProperty(d => d.Status, WebhookDeliveryStatus.Delivered).SetProperty(d => d.LastStatusCode, 200).SetProperty(d => d.Attempts, 1), Ct);
        }

        cut.WaitForAssertion(() => Assert.Equal("delivered", Cell(Rows(cut)[0], "webhooks-status")));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=webhooks-live]")));
    }

    [Fact]
    public async Task Clicking_a_row_opens_the_drawer_with_payload_headers_and_response_and_replays_from_there()
    {
        var (_, dead, _, _, _) = await OneOfEachAsync();
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Equal(4, Rows(cut).Count));

        await Rows(cut)[3].PressAsync();

        var drawer = cut.WaitForElement("[data-testid=webhooks-drawer]");
        Assert.EndsWith("delivery=" + dead.Id, Navigation.Uri, StringComparison.Ordinal);
        Assert.Equal("dead", cut.Find("[data-testid=webhooks-drawer-status]").TextContent.Trim());
        var facts = cut.Find("[data-testid=webhooks-drawer-facts]").TextContent;
        Assert.Contains(dead.EventId.ToString(), facts, StringComparison.Ordinal);
        Assert.Contains("#42", facts, StringComparison.Ordinal);
        Assert.Contains("410", cut.Find("[data-testid=webhooks-drawer-response]").TextContent, StringComparison.Ordinal);
        Assert.Contains("{\n  \"type\": \"auth\",", cut.Find("[data-testid=webhooks-drawer-payload]").TextContent, StringComparison.Ordinal);
        Assert.Contains("\"X-Provider-Signature\": \"abc\"", cut.Find("[data-testid=webhooks-drawer-headers]").TextContent, StringComparison.Ordinal);
        Assert.Contains("\"error\": \"gone\"", cut.Find("[data-testid=webhooks-drawer-response-body]").TextContent, StringComparison.Ordinal);
        Assert.Contains("410 Gone", cut.Find("[data-testid=webhooks-drawer-error]").TextContent, StringComparison.Ordinal);
        Assert.Equal("/dashboard/dev/logs?type=webhook", cut.Find("[data-testid=webhooks-drawer-logs]").GetAttribute("href"));
        Assert.NotNull(drawer);

        await cut.Find("[data-testid=webhooks-drawer-replay]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal("pending", cut.Find("[data-testid=webhooks-drawer-status]").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=webhooks-drawer-replay]"));
        Assert.Equal(WebhookDeliveryStatus.Pending, (await ReadAsync(dead.Id)).Status);
    }

    [Fact]
    public async Task A_delivery_in_the_url_opens_the_drawer_on_arrival_and_another_environments_does_not()
    {
        var (_, _, delivered, _, _) = await OneOfEachAsync();
        var other = await CreateAccountAsync();
        var otherDev = (await Environments.FindByNameAsync(other.Id, "dev", Ct))!;
        var foreign = (await InsertAsync(Delivery(otherDev, "sync", WebhookDeliveryStatus.Dead, DateTimeOffset.UtcNow)))[0];

        Navigation.NavigateTo($"/dashboard/dev/webhooks?delivery={delivered.Id}");
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Equal("delivered", cut.Find("[data-testid=webhooks-drawer-status]").TextContent.Trim()));

        Navigation.NavigateTo($"/dashboard/dev/webhooks?delivery={foreign.Id}");
        cut.WaitForAssertion(() => Assert.Contains("does not exist in this environment", cut.Find("[data-testid=webhooks-drawer]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enabling_a_disabled_target_clears_its_state()
    {
        var (env, _, _, _, _) = await OneOfEachAsync();
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=webhooks-target-enable]")));

        await cut.Find("[data-testid=webhooks-target-enable]").PressAsync();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=webhooks-target-enable]")));
        var target = (await Deliveries.ListTargetsAsync(env, Ct)).Single(t => t.Url == Gone);
        Assert.Null(target.DisabledAt);
        Assert.Equal(0, target.ConsecutiveFailures);
        Assert.Contains(Snackbars, s => s.Contains("is enabled again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Older_and_newer_walk_the_pages_newest_first()
    {
        var env = await SignInNewAccountAsync();
        var now = DateTimeOffset.UtcNow;
        await InsertAsync([.. Enumerable.Range(0, 55).Select(i => Delivery(env, "sync", WebhookDeliveryStatus.Delivered, now.AddSeconds(i - 60)))]);
        var cut = RenderWebhooks();
        cut.WaitForAssertion(() => Assert.Equal(50, Rows(cut).Count));
        Assert.Contains("Showing 1–50 of 55", cut.Find("[data-testid=webhooks-range]").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=webhooks-newer]").HasAttribute("disabled"));

        await cut.Find("[data-testid=webhooks-older]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(5, Rows(cut).Count));
        Assert.Contains("Showing 51–55 of 55", cut.Find("[data-testid=webhooks-range]").TextContent, StringComparison.Ordinal);
        Assert.True(cut.Find("[data-testid=webhooks-older]").HasAttribute("disabled"));

        await cut.Find("[data-testid=webhooks-newer]").PressAsync();

        cut.WaitForAssertion(() => Assert.Equal(50, Rows(cut).Count));
    }
}
