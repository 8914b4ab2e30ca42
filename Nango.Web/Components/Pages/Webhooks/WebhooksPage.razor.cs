using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Webhooks;
using Nango.Web.Components.Dashboard;
using Nango.Web.Components.Dialogs;

namespace Nango.Web.Components.Pages.Webhooks;

/// <summary>
/// The outgoing webhooks of one environment: counts per status, the health of each receiving URL, and the
/// deliveries newest first (filters in the URL, keyset pages, a drawer for one delivery with <c>delivery=</c> in
/// the URL), with replay of dead deliveries and a test event. While anything is pending or being delivered the
/// page polls, so a delivery can be watched until it lands.
/// </summary>
public partial class WebhooksPage : EnvironmentPage
{
    /// <summary>How often the page re-reads the outbox while something is on its way.</summary>
    public static readonly TimeSpan LiveInterval = TimeSpan.FromSeconds(2);

    private const int PageSize = 50;

    private WebhooksView _view = new();
    private string? _viewKey;
    private readonly List<WebhookDelivery> _rows = [];
    private WebhookDeliveryCounts _counts = new(0, 0, 0, 0);
    private List<TargetRow> _targets = [];
    private EnvironmentSettings? _settings;
    private bool _loaded;

    /// <summary>The <c>before</c> cursor of the page shown (null: the newest) and of each newer page, to go back.</summary>
    private long? _before;
    private readonly Stack<long?> _newerPages = new();
    private long? _nextBefore;

    /// <summary>Ids of dead deliveries ticked for "Replay selected"; only dead rows have a checkbox.</summary>
    private readonly HashSet<long> _selected = [];
    private bool _busy;

    private CancellationToken? _liveToken;
    private bool _polling;
    private string? _liveError;

    private long? _openId;
    private WebhookDelivery? _open;
    private bool _drawerLoading;
    private string? _drawerError;

    [SupplyParameterFromQuery(Name = "status")]
    public string[]? StatusFilter { get; set; }

    [SupplyParameterFromQuery(Name = "event")]
    public string[]? EventFilter { get; set; }

    [SupplyParameterFromQuery(Name = "target")]
    public string? TargetFilter { get; set; }

    [SupplyParameterFromQuery(Name = "delivery")]
    public long? Delivery { get; set; }

    [Inject]
    public required WebhookDeliveryService Deliveries { get; init; }

    [Inject]
    public required EnvironmentService Environments { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Clock { get; init; }

    private DateTimeOffset Now => Clock.GetUtcNow();

    private int Total => _counts.Pending + _counts.Delivering + _counts.Delivered + _counts.Dead;

    private bool HasWebhookUrl => !string.IsNullOrEmpty(_settings?.WebhookUrl) || !string.IsNullOrEmpty(_settings?.WebhookUrlSecondary);

    /// <summary>Something may still change by itself: the page keeps polling until it has landed or died.</summary>
    private bool LiveActive =>
        _counts.Pending + _counts.Delivering > 0
        || _rows.Exists(IsInFlight)
        || (_open is not null && IsInFlight(_open));

    private IEnumerable<WebhookDelivery> DeadRows => _rows.Where(r => r.Status == WebhookDeliveryStatus.Dead);

    private bool AllDeadSelected => DeadRows.Any() && DeadRows.All(r => _selected.Contains(r.Id));

    protected override async Task OnParametersSetAsync()
    {
        var view = WebhooksView.FromQuery(StatusFilter, EventFilter, TargetFilter);
        if (Environment is not null && Environment.EnvironmentName == Env && view.Key == _viewKey)
        {
            // Only the drawer changed: keep the list as it is.
            await ShowDeliveryAsync(Delivery);
            return;
        }
        SetView(view);
        await base.OnParametersSetAsync();
    }

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        _settings = await Environments.GetSettingsAsync(environment, ct);
        await LoadListAsync(environment, ct);
        _loaded = true;
        StartLive(ct);
        _openId = null;
        await ShowDeliveryAsync(Delivery);
    }

    /// <summary>Counts, targets and the page shown; a page emptied by a replay or filter falls back to the newest.</summary>
    private async Task LoadListAsync(EnvironmentContext environment, CancellationToken ct)
    {
        var counts = await Deliveries.CountAsync(environment, ct);
        var targets = await Deliveries.ListTargetsAsync(environment, ct);
        var page = await Deliveries.ListAsync(environment, _view.ToFilter(_before, PageSize), ct);
        if (page.Items.Count == 0 && _before is not null)
        {
            ResetPaging();
            page = await Deliveries.ListAsync(environment, _view.ToFilter(null, PageSize), ct);
        }
        _counts = counts;
        _targets = TargetRows(targets);
        _rows.Clear();
        _rows.AddRange(page.Items);
        _nextBefore = page.NextBefore;
        _selected.IntersectWith(DeadRows.Select(r => r.Id));
    }

    /// <summary>
    /// The environment's URLs first, then any other URL the outbox has health for (a connection's override, or a
    /// URL removed from the settings). A URL gets a health row only when a delivery to it first fails, so a URL
    /// without one has never failed.
    /// </summary>
    private List<TargetRow> TargetRows(IReadOnlyList<WebhookTarget> known)
    {
        var configured = new[] { _settings?.WebhookUrl, _settings?.WebhookUrlSecondary }
            .Where(u => !string.IsNullOrEmpty(u)).Select(u => u!).Distinct(StringComparer.Ordinal).ToList();
        return configured.Select(u => new TargetRow(u, known.FirstOrDefault(t => t.Url == u), Configured: true))
            .Concat(known.Where(t => !configured.Contains(t.Url)).Select(t => new TargetRow(t.Url, t, Configured: false)))
            .ToList();
    }

    private void SetView(WebhooksView view)
    {
        _view = view;
        _viewKey = view.Key;
        ResetPaging();
        _selected.Clear();
    }

    private void ResetPaging()
    {
        _before = null;
        _newerPages.Clear();
    }

    // ---- filters ----

    /// <summary>Applies a new view at once and records it in the URL (the router then supplies the same values: no second load).</summary>
    private async Task ApplyAsync(WebhooksView view)
    {
        if (view.Key == _viewKey)
        {
            return;
        }
        SetView(view);
        var query = view.ToQuery();
        query["delivery"] = null;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(query), replace: true);
        Delivery = null;
        _openId = null;
        _open = null;
        await ReloadAsync();
    }

    private Task StatusesChangedAsync(IEnumerable<string?>? values) => ApplyAsync(_view with { Statuses = Selected(values) });

    private Task EventsChangedAsync(IEnumerable<string?>? values) => ApplyAsync(_view with { Events = Selected(values) });

    private Task TargetChangedAsync(string? value) => ApplyAsync(_view with { Target = string.IsNullOrEmpty(value) ? null : value });

    /// <summary>A summary card narrows the list to its status; clicking it again shows every status.</summary>
    private Task ShowOnlyAsync(string status) =>
        ApplyAsync(_view with { Statuses = _view.Statuses.Count == 1 && _view.Statuses[0] == status ? [] : [status] });

    private string ClearFiltersUrl => DashboardUrls.Webhooks(Env);

    /// <summary>Targets to pick from: those the outbox knows, plus one the URL asks for even if unknown.</summary>
    private List<string> TargetOptions()
    {
        var urls = _targets.Select(t => t.Url).ToList();
        if (_view.Target is { } target && !urls.Contains(target))
        {
            urls.Add(target);
        }
        return urls;
    }

    // ---- paging ----

    private async Task OlderAsync()
    {
        if (_nextBefore is null)
        {
            return;
        }
        _newerPages.Push(_before);
        _before = _nextBefore;
        _selected.Clear();
        await ReloadAsync();
    }

    private async Task NewerAsync()
    {
        if (_newerPages.Count == 0)
        {
            return;
        }
        _before = _newerPages.Pop();
        _selected.Clear();
        await ReloadAsync();
    }

    private int FirstRowNumber => (_newerPages.Count * PageSize) + 1;

    // ---- selection ----

    private void ToggleSelected(long id, bool on)
    {
        if (on)
        {
            _selected.Add(id);
        }
        else
        {
            _selected.Remove(id);
        }
    }

    private void SelectAllDead(bool on)
    {
        _selected.Clear();
        if (on)
        {
            _selected.UnionWith(DeadRows.Select(r => r.Id));
        }
    }

    // ---- actions ----

    private async Task ReplayAsync(List<long> ids)
    {
        if (Environment is not { } environment || ids.Count == 0 || _busy)
        {
            return;
        }
        _busy = true;
        var queued = 0;
        try
        {
            if (await TryRunAsync("The deliveries could not be replayed.", async ct => queued = await Deliveries.ReplayAsync(environment, ids, ct)))
            {
                _selected.ExceptWith(ids);
                Snackbar.Add(QueuedText(queued), queued > 0 ? Severity.Success : Severity.Info);
                await ReloadAsync();
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private Task ReplayOneAsync(WebhookDelivery delivery) => ReplayAsync([delivery.Id]);

    private Task ReplaySelectedAsync() => ReplayAsync(_selected.ToList());

    private async Task ReplayAllDeadAsync()
    {
        if (Environment is not { } environment || _busy)
        {
            return;
        }
        var target = _view.Target;
        var confirmed = await Dialogs.ConfirmAsync(
            "Replay dead deliveries",
            target is null
                ? $"Send all {_counts.Dead} dead {Plural(_counts.Dead, "delivery", "deliveries")} again?"
                : $"Send every dead delivery to {target} again?",
            "Replay all",
            "Each one gets a fresh set of attempts and keeps its event id, so a receiver that already processed it can recognise it.",
            Color.Primary);
        if (!confirmed)
        {
            return;
        }
        _busy = true;
        var queued = 0;
        try
        {
            if (await TryRunAsync("The dead deliveries could not be replayed.", async ct => queued = await Deliveries.ReplayAllDeadAsync(environment, target, ct)))
            {
                _selected.Clear();
                Snackbar.Add(QueuedText(queued), queued > 0 ? Severity.Success : Severity.Info);
                await ReloadAsync();
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SendTestAsync()
    {
        if (Environment is not { } environment || _busy)
        {
            return;
        }
        _busy = true;
        var queued = 0;
        try
        {
            if (await TryRunAsync("The test event could not be queued.", async ct => queued = await Deliveries.SendTestAsync(environment, ct)))
            {
                if (queued == 0)
                {
                    Snackbar.Add("No webhook URL is set: add one in the environment settings first.", Severity.Warning);
                }
                else
                {
                    Snackbar.Add($"Test event queued to {queued} {Plural(queued, "URL", "URLs")}", Severity.Success);
                }
                await ReloadAsync();
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task EnableTargetAsync(TargetRow target)
    {
        if (Environment is not { } environment || _busy)
        {
            return;
        }
        _busy = true;
        var enabled = false;
        try
        {
            if (await TryRunAsync("The URL could not be enabled.", async ct => enabled = await Deliveries.EnableTargetAsync(environment, target.Url, ct)))
            {
                Snackbar.Add(
                    enabled ? $"{target.Url} is enabled again. Replay its dead deliveries to send them." : "This URL is no longer known.",
                    enabled ? Severity.Success : Severity.Info);
                await ReloadAsync();
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private static string QueuedText(int queued) =>
        queued == 0 ? "Nothing to replay: no dead delivery was left." : $"Queued {queued} {Plural(queued, "delivery", "deliveries")} again";

    private static string Plural(int count, string one, string many) => count == 1 ? one : many;

    // ---- live refresh ----

    /// <summary>
    /// One loop per page token, like the Logs tail: it ends (and disposes its timer) when the page is disposed or
    /// its environment changes. Ticks do nothing while nothing is in flight, so an idle page costs no queries.
    /// </summary>
    private void StartLive(CancellationToken ct)
    {
        if (_liveToken == ct)
        {
            return;
        }
        _liveToken = ct;
        _ = LiveLoopAsync(ct);
    }

    private async Task LiveLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(LiveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (LiveActive && !_polling && !Loading && !_busy)
                {
                    await InvokeAsync(() => PollAsync(ct));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away or moved to another environment.
        }
        catch (ObjectDisposedException)
        {
            // The circuit ended between a tick and the dispatch of its poll.
        }
    }

    private async Task PollAsync(CancellationToken ct)
    {
        if (Environment is not { } environment || ct.IsCancellationRequested)
        {
            return;
        }
        _polling = true;
        try
        {
            await LoadListAsync(environment, ct);
            if (_openId is { } id)
            {
                _open = _rows.Find(r => r.Id == id) ?? await Deliveries.GetAsync(environment, id, ct) ?? _open;
            }
            _liveError = null;
            StateHasChanged();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failed poll is shown above the list and retried on the next tick.
        catch (Exception)
#pragma warning restore CA1031
        {
            _liveError = "Live refresh paused: the deliveries could not be read.";
            StateHasChanged();
        }
        finally
        {
            _polling = false;
        }
    }

    private static bool IsInFlight(WebhookDelivery delivery) =>
        delivery.Status is WebhookDeliveryStatus.Pending or WebhookDeliveryStatus.Delivering;

    // ---- drawer ----

    private void RowClicked(DataGridRowClickEventArgs<WebhookDelivery> args) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("delivery", args.Item.Id));

    private void CloseDrawer() => Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("delivery", (long?)null));

    private void DrawerOpenChanged(bool open)
    {
        if (!open)
        {
            CloseDrawer();
        }
    }

    private async Task ShowDeliveryAsync(long? id)
    {
        if (id == _openId)
        {
            return;
        }
        _openId = id;
        _open = null;
        _drawerError = null;
        if (id is not { } deliveryId || Environment is not { } environment)
        {
            return;
        }
        _drawerLoading = true;
        try
        {
            _open = _rows.Find(r => r.Id == deliveryId) ?? await Deliveries.GetAsync(environment, deliveryId, PageToken);
            if (_open is null)
            {
                _drawerError = "This delivery does not exist in this environment.";
            }
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Shown in the drawer; the list stays usable.
        catch (Exception)
#pragma warning restore CA1031
        {
            _drawerError = "The delivery could not be loaded.";
        }
        finally
        {
            _drawerLoading = false;
        }
    }

    /// <summary>Webhook operations in Logs, over a period long enough to hold this delivery's attempts.</summary>
    private string LogsUrl(WebhookDelivery delivery) =>
        DashboardUrls.Logs(Env, types: ["webhook"], period: Now - delivery.CreatedAt > TimeSpan.FromHours(23) ? "7d" : null);

    // ---- view helpers ----

    private static List<string> Selected(IEnumerable<string?>? values) =>
        (values ?? []).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct(StringComparer.Ordinal).ToList();

    private static string SelectionText(IReadOnlyList<string> selected) =>
        selected.Count switch
        {
            0 => "All",
            1 => selected[0],
            _ => $"{selected[0]} +{selected.Count - 1}",
        };

    private string RowClass(WebhookDelivery delivery) =>
        delivery.Id == _openId ? $"webhooks-row webhooks-row-{delivery.Status} webhooks-row-selected" : $"webhooks-row webhooks-row-{delivery.Status}";

    private static System.Text.Json.Nodes.JsonNode? Json(string? text) => Logs.LogsDisplay.TryParseJson(text);
}
