using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Api.SyncRuns;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser;

/// <summary>
/// A connection's Syncs and Records tabs in a real browser, against a real runner process and a loopback GitHub: a
/// paging sync deployed paused, resumed from the tab (its progress shown live while the upstream holds a page), run
/// again after upstream edits, paused, given another frequency, and failed; then its records paged, opened as JSON and
/// filtered by last action, and a declared model without records.
/// </summary>
[Trait("Category", "Browser")]
public sealed class ConnectionSyncsPageTests(Infrastructure.Browser browser) : IClassFixture<Infrastructure.Browser>, IAsyncLifetime
{
    private const string Sync = "fetchIssues";
    private const string Model = "GithubIssue";
    private const string EmptyModel = "GithubLabel";

    /// <summary>Pages of 50 issues; the run reads them with GitHub's link pagination.</summary>
    private const string Script = """
        module.exports = { default: { type: 'sync', exec: async (nango) => {
            await nango.trackDeletesStart('GithubIssue');
            for await (const issues of nango.paginate({ endpoint: '/repos/acme/widgets/issues', paginate: { limit: 50 } })) {
                await nango.batchSave(issues.map((issue) => ({
                    id: String(issue.id), number: issue.number, title: issue.title, state: issue.state,
                    author: issue.user.login, date_last_modified: issue.updated_at,
                })), 'GithubIssue');
            }
            await nango.trackDeletesEnd('GithubIssue');
        } } };
        """;

    /// <summary>A run's whole course (a runner may have to start first) on a loaded machine.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions RunTimeout = new() { Timeout = 90_000 };

    private GithubStandIn _github = null!;
    private SyncFactory _web = null!;
    private string _catalog = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        // Every step waits on a circuit round trip and a database query; 5 s (Playwright's default) is short on a loaded 2-core machine.
        Assertions.SetDefaultExpectTimeout(20_000);
        _github = await GithubStandIn.StartAsync(Ct);
        _catalog = Path.Combine(Path.GetTempPath(), $"nango-syncs-page-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_catalog, _github.CatalogYaml(), Ct);
        _web = new SyncFactory(_catalog);
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _github.DisposeAsync();
        File.Delete(_catalog);
    }

    [Fact]
    public async Task A_sync_is_run_paused_rescheduled_and_failed_from_its_tab_and_its_records_are_browsable()
    {
        for (var id = 1; id <= 120; id++)
        {
            _github.Put(id, $"Issue {id}");
        }
        using var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        var page = await browser.NewPageAsync(_web.ServerUrl);
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);

        // Nothing deployed yet: the tab says so and points at the integration's functions.
        await page.GotoAsync("/dashboard/dev/connections/github/conn-1?tab=syncs");
        var syncsTab = page.GetByTestId("syncs-tab");
        await Assertions.Expect(syncsTab.GetByTestId("empty")).ToContainTextAsync("No syncs");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-none");

        // Deployed paused (autoStart: false): a schedule that has never run.
        var flow = DeployBodies.Sync(Sync, model: Model, js: Script);
        flow["auto_start"] = false;
        flow["models"] = new JsonArray(Model, EmptyModel);
        flow["models_json_schema"] = new JsonObject
        {
            ["definitions"] = new JsonObject { [Model] = new JsonObject { ["type"] = "object" }, [EmptyModel] = new JsonObject { ["type"] = "object" } },
        };
        var deploy = await client.DeployAsync(DeployBodies.Body([flow]));
        Assert.Equal(HttpStatusCode.OK, deploy.StatusCode);
        await page.ReloadAsync();
        var row = page.Locator("tr").Filter(new() { Has = page.GetByTestId("sync-row") });
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.GetByTestId("sync-row")).ToContainTextAsync(Sync);
        await Assertions.Expect(row.GetByTestId("sync-status")).ToHaveTextAsync("PAUSED");
        await Assertions.Expect(row.GetByTestId("sync-last-run")).ToHaveTextAsync("never");
        await Assertions.Expect(row.GetByTestId("sync-frequency")).ToHaveTextAsync("every hour");
        await Assertions.Expect(row.GetByTestId("sync-resume")).ToBeVisibleAsync();
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-never-run");

        // Resume: the first run starts at the next tick; the upstream holds page 2, so the run is caught midway with
        // page 1 saved, and the tab shows that while it polls.
        _github.HoldFromPage = 2;
        await row.GetByTestId("sync-resume").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = $"{Sync} resumed" })).ToBeVisibleAsync();
        await Assertions.Expect(row.GetByTestId("sync-status")).ToHaveTextAsync("RUNNING", RunTimeout);
        await Assertions.Expect(row.GetByTestId("progress-model").Filter(new() { HasText = Model + ":" })).ToHaveTextAsync($"{Model}: 50 added", RunTimeout);
        await Assertions.Expect(row.GetByTestId("sync-last-run")).ToHaveTextAsync("never");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-running");

        _github.Release();
        await Assertions.Expect(row.GetByTestId("sync-status")).ToHaveTextAsync("SUCCESS", RunTimeout);
        await Assertions.Expect(row.GetByTestId("last-run-model").Filter(new() { HasText = Model + ":" })).ToHaveTextAsync($"{Model}: 120 added");
        await Assertions.Expect(row.GetByTestId("sync-progress")).ToHaveCountAsync(0);
        await Assertions.Expect(row.GetByTestId("sync-next-run")).ToContainTextAsync("in ");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-first-run");

        // Upstream: 5 issues edited, 3 closed for good, 2 new; "Run now" from the tab picks them up.
        foreach (var id in new[] { 10, 20, 30, 40, 50 })
        {
            _github.Put(id, $"Issue {id} (edited)");
        }
        foreach (var id in new[] { 7, 77, 107 })
        {
            _github.Remove(id);
        }
        _github.Put(121, "Issue 121");
        _github.Put(122, "Issue 122");
        await row.GetByTestId("sync-run").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = $"Run of {Sync} queued" })).ToBeVisibleAsync();
        await Assertions.Expect(row.GetByTestId("last-run-model").Filter(new() { HasText = Model + ":" })).ToHaveTextAsync($"{Model}: 2 added · 5 updated · 3 deleted", RunTimeout);
        await Assertions.Expect(row.GetByTestId("sync-status")).ToHaveTextAsync("SUCCESS");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-second-run");

        // Pause: no next run while paused.
        await row.GetByTestId("sync-pause").ClickAsync();
        await Assertions.Expect(row.GetByTestId("sync-status")).ToHaveTextAsync("PAUSED");
        await Assertions.Expect(row.GetByTestId("sync-next-run")).ToHaveTextAsync("—");
        await Assertions.Expect(row.GetByTestId("sync-resume")).ToBeVisibleAsync();
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-paused");

        // A frequency for this connection, through the dialog: a typo is explained, then a valid one is saved.
        await row.GetByTestId("sync-frequency-edit").ClickAsync();
        var dialog = page.Locator(".mud-dialog").Filter(new() { Has = page.GetByTestId("frequency-input") });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        var frequency = dialog.GetByTestId("frequency-input").Locator("input");
        await Assertions.Expect(frequency).ToHaveValueAsync("every hour");
        await frequency.FillAsync("every fortnight-ish");
        await dialog.GetByTestId("confirm-ok").ClickAsync();
        await Assertions.Expect(dialog.Locator(".mud-input-helper-text.mud-input-error")).ToContainTextAsync("Invalid frequency");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-frequency-invalid");
        await frequency.FillAsync("every 2 hours");
        await dialog.GetByTestId("confirm-ok").ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator(".mud-snackbar").Filter(new() { HasText = $"Frequency of {Sync} set to every 2 hours" })).ToBeVisibleAsync();
        await Assertions.Expect(row.GetByTestId("sync-frequency")).ToHaveTextAsync("every 2 hours");

        // Resume runs it at once; with the upstream broken from page 2 on, that run fails and the row says so.
        _github.FailFromPage = 2;
        await row.GetByTestId("sync-resume").ClickAsync();
        await Assertions.Expect(row.GetByTestId("sync-status")).ToHaveTextAsync("ERROR", RunTimeout);
        await Assertions.Expect(row.GetByTestId("last-run-error")).ToBeVisibleAsync();
        await Assertions.Expect(row.GetByTestId("last-run-log")).ToHaveAttributeAsync("href", new Regex("/dashboard/dev/logs\\?operation="));
        await Assertions.Expect(row.GetByTestId("sync-next-run")).ToContainTextAsync("in ");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-syncs-failed");
        _github.FailFromPage = null;

        // Records: the models the sync declares, with how many live records each holds.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Records" }).ClickAsync();
        var recordsTab = page.GetByTestId("records-tab");
        var models = recordsTab.GetByTestId("record-model");
        await Assertions.Expect(models).ToHaveTextAsync([new Regex($@"^{Model}\s+119$"), new Regex($@"^{EmptyModel}\s+0$")]);
        var issues = models.Filter(new() { HasText = Model });
        await issues.ClickAsync();

        // 122 records (3 of them deleted) in pages of 50, cursor-paged.
        var ids = recordsTab.GetByTestId("record-id");
        await Assertions.Expect(ids).ToHaveCountAsync(50);
        await Assertions.Expect(recordsTab.GetByTestId("records-page")).ToContainTextAsync("Page 1");
        await Assertions.Expect(recordsTab.GetByTestId("records-previous")).ToBeDisabledAsync();
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-records-page-1");
        var firstPage = await ids.AllInnerTextsAsync();
        await recordsTab.GetByTestId("records-next").ClickAsync();
        await Assertions.Expect(recordsTab.GetByTestId("records-page")).ToContainTextAsync("Page 2");
        // The label moves at the click; the rows once the page is read (pages share no record).
        await Assertions.Expect(ids.First).Not.ToHaveTextAsync(firstPage[0]);
        await Assertions.Expect(ids).ToHaveCountAsync(50);
        var secondPage = await ids.AllInnerTextsAsync();
        await recordsTab.GetByTestId("records-next").ClickAsync();
        await Assertions.Expect(recordsTab.GetByTestId("records-page")).ToContainTextAsync("Page 3");
        await Assertions.Expect(ids).ToHaveCountAsync(22);
        await Assertions.Expect(ids.First).Not.ToHaveTextAsync(secondPage[0]);
        await Assertions.Expect(recordsTab.GetByTestId("records-next")).ToBeDisabledAsync();
        var thirdPage = await ids.AllInnerTextsAsync();
        Assert.Equal(122, firstPage.Concat(secondPage).Concat(thirdPage).Distinct().Count());
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-records-page-3");
        await recordsTab.GetByTestId("records-previous").ClickAsync();
        await Assertions.Expect(recordsTab.GetByTestId("records-page")).ToContainTextAsync("Page 2");
        await Assertions.Expect(ids).ToHaveTextAsync(secondPage.ToArray());

        // Filter by last action: the three closed issues, then the five edited ones.
        await SelectFilterAsync(page, "Deleted");
        await Assertions.Expect(ids).ToHaveCountAsync(3);
        await Assertions.Expect(recordsTab.GetByTestId("records-pager")).ToHaveCountAsync(0);
        Assert.Equal(["107", "7", "77"], (await ids.AllInnerTextsAsync()).Order(StringComparer.Ordinal));
        await Assertions.Expect(recordsTab.GetByTestId("record-action")).ToHaveTextAsync(["DELETED", "DELETED", "DELETED"]);
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-records-deleted");
        await SelectFilterAsync(page, "Updated");
        await Assertions.Expect(ids).ToHaveCountAsync(5);
        Assert.Equal(["10", "20", "30", "40", "50"], (await ids.AllInnerTextsAsync()).Order(StringComparer.Ordinal));

        // One record's JSON: its data and its metadata.
        await ids.Filter(new() { HasTextRegex = new Regex("^10$") }).ClickAsync();
        var json = recordsTab.GetByTestId("record-json");
        await Assertions.Expect(json).ToContainTextAsync("\"title\": \"Issue 10 (edited)\"");
        await Assertions.Expect(json).ToContainTextAsync("\"last_action\": \"UPDATED\"");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-records-json");

        // A model the sync declares but never saved to.
        await SelectFilterAsync(page, "All");
        await models.Filter(new() { HasText = EmptyModel }).ClickAsync();
        await Assertions.Expect(ids).ToHaveCountAsync(0);
        await Assertions.Expect(recordsTab.GetByTestId("empty")).ToContainTextAsync($"No {EmptyModel} records yet");
        await Infrastructure.Browser.ScreenshotPageAsync(page, "connection-records-empty-model");
    }

    private static async Task SelectFilterAsync(IPage page, string action)
    {
        await page.GetByTestId("record-filter").Locator(".mud-input-control").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex($"^{action}$") }).ClickAsync();
        await Assertions.Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("record-filter").Locator("input")).ToHaveValueAsync(action);
    }

    private sealed class SyncFactory(string catalog) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [KeyValuePair.Create("Nango:Catalog:ExtraFiles:0", (string?)catalog)];
    }
}
