using Microsoft.AspNetCore.Components;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Components.Pages.Logs;

/// <summary>
/// Operations of one environment, newest first, with filters kept in the URL, keyset "load more", a live tail
/// and a drawer with the messages of one operation (<c>operation=</c> in the URL).
/// </summary>
public partial class LogsPage : EnvironmentPage
{
    /// <summary>How often the live tail asks the store for newer rows.</summary>
    public static readonly TimeSpan LiveInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The tail re-reads this much before the newest row it shows: rows are flushed in batches (≤ ~200 ms) and
    /// other instances flush on their own clocks, so a row may land after a newer one was already read.
    /// Rows already shown are merged by id, so the overlap costs nothing but a few bytes.
    /// </summary>
    private static readonly TimeSpan _liveOverlap = TimeSpan.FromSeconds(10);

    private const int PageSize = 50;
    private const int LiveLimit = 100;
    private const int MessagePageSize = 50;

    private LogsView _view = new();
    private string? _viewKey;
    private string _searchText = "";
    private readonly List<LogOperationRow> _rows = [];
    private long _total;
    private string? _nextCursor;
    private bool _loadingMore;
    private string? _moreError;
    private IReadOnlyList<LogFilterValue> _integrationValues = [];
    private IReadOnlyList<LogFilterValue> _connectionValues = [];
    private IReadOnlyList<LogFilterValue> _functionValues = [];
    private string _customFromText = "";
    private string _customToText = "";

    private CancellationToken? _liveToken;
    private bool _polling;
    private string? _liveError;

    private Guid? _openId;
    private LogOperationRow? _selected;
    private bool _drawerLoading;
    private string? _drawerError;
    private readonly List<LogMessageRow> _messages = [];
    private long _messagesTotal;
    private string? _messagesOlderCursor;
    private string? _messagesNewerCursor;
    private string _messageSearchText = "";
    private string _messageSearch = "";
    private bool _loadingOlderMessages;
    private readonly HashSet<Guid> _expanded = [];

    [SupplyParameterFromQuery(Name = "state")]
    public string[]? StateFilter { get; set; }

    [SupplyParameterFromQuery(Name = "type")]
    public string[]? TypeFilter { get; set; }

    [SupplyParameterFromQuery(Name = "integration")]
    public string[]? IntegrationFilter { get; set; }

    [SupplyParameterFromQuery(Name = "connection")]
    public string[]? ConnectionFilter { get; set; }

    [SupplyParameterFromQuery(Name = "function")]
    public string[]? FunctionFilter { get; set; }

    [SupplyParameterFromQuery(Name = "period")]
    public string? Period { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? From { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? To { get; set; }

    [SupplyParameterFromQuery(Name = "search")]
    public string? Search { get; set; }

    /// <summary>Live tail is on unless the URL says <c>live=false</c>.</summary>
    [SupplyParameterFromQuery(Name = "live")]
    public bool? Live { get; set; }

    [SupplyParameterFromQuery(Name = "operation")]
    public Guid? Operation { get; set; }

    [Inject]
    public required LogQueryService LogQueries { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required TimeProvider Clock { get; init; }

    private bool LiveOn => Live ?? true;

    /// <summary>A custom period with an end cannot grow, so there is nothing to tail.</summary>
    private bool LiveAvailable => _view.Range(Clock.GetUtcNow()).To is null;

    protected override async Task OnParametersSetAsync()
    {
        var view = LogsView.FromQuery(StateFilter, TypeFilter, IntegrationFilter, ConnectionFilter, FunctionFilter, Period, From, To, Search);
        if (Environment is not null && Environment.EnvironmentName == Env && view.Key == _viewKey)
        {
            // Only the drawer or the live toggle changed: keep the list as it is.
            await ShowOperationAsync(Operation);
            return;
        }
        SetView(view);
        await base.OnParametersSetAsync();
    }

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        var page = await LogQueries.SearchOperationsAsync(environment, _view.ToSearch(now, PageSize), ct);
        _rows.Clear();
        _rows.AddRange(page.Items);
        _total = page.Total;
        _nextCursor = page.NextCursor;
        _moreError = null;
        await LoadFilterValuesAsync(environment, now, ct);
        StartLiveTail(ct);
        _openId = null;
        await ShowOperationAsync(Operation);
    }

    private void SetView(LogsView view)
    {
        _view = view;
        _viewKey = view.Key;
        _searchText = view.Search;
        _customFromText = LocalInput(view.CustomFrom);
        _customToText = LocalInput(view.CustomTo);
    }

    private async Task LoadFilterValuesAsync(EnvironmentContext environment, DateTimeOffset now, CancellationToken ct)
    {
        var (from, to) = _view.Range(now);
        Task<IReadOnlyList<LogFilterValue>> Values(LogFilterCategory category) =>
            LogQueries.ListFilterValuesAsync(environment, new LogFilterQuery { Category = category, From = from, To = to }, ct);
        _integrationValues = await Values(LogFilterCategory.Integration);
        _connectionValues = await Values(LogFilterCategory.Connection);
        _functionValues = await Values(LogFilterCategory.Function);
    }

    /// <summary>Applies a new view at once and records it in the URL (the router then supplies the same values: no second load).</summary>
    private async Task ApplyAsync(LogsView view)
    {
        if (view.Key == _viewKey)
        {
            return;
        }
        SetView(view);
        var query = view.ToQuery();
        query["operation"] = null;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(query), replace: true);
        // The router supplies the new parameters after this load; the drawer closes now, not after a flicker.
        Operation = null;
        _openId = null;
        _selected = null;
        await ReloadAsync();
    }

    private Task SearchChangedAsync(string? value)
    {
        _searchText = value ?? "";
        return ApplyAsync(_view with { Search = _searchText.Trim() });
    }

    private Task StatesChangedAsync(IEnumerable<string?>? values) => ApplyAsync(_view with { States = Selected(values) });

    private Task TypesChangedAsync(IEnumerable<string?>? values) => ApplyAsync(_view with { Types = Selected(values) });

    private Task IntegrationsChangedAsync(IEnumerable<string?>? values) => ApplyAsync(_view with { Integrations = Selected(values) });

    private Task ConnectionsChangedAsync(IEnumerable<string?>? values) => ApplyAsync(_view with { Connections = Selected(values) });

    private Task FunctionsChangedAsync(IEnumerable<string?>? values) => ApplyAsync(_view with { Functions = Selected(values) });

    private Task PeriodChangedAsync(string? key)
    {
        var period = LogsPeriod.Find(key);
        if (period.Key != LogsPeriod.Custom)
        {
            return ApplyAsync(_view with { Period = period, CustomFrom = null, CustomTo = null });
        }
        // Start a custom range from the window shown so far, so switching to it changes nothing yet.
        var now = Clock.GetUtcNow();
        return ApplyAsync(_view with { Period = period, CustomFrom = _view.Range(now).From ?? now.AddHours(-24), CustomTo = null });
    }

    private Task CustomFromChangedAsync(string? value)
    {
        _customFromText = value ?? "";
        return ApplyAsync(_view with { CustomFrom = LogsView.ParseDate(_customFromText) });
    }

    private Task CustomToChangedAsync(string? value)
    {
        _customToText = value ?? "";
        return ApplyAsync(_view with { CustomTo = LogsView.ParseDate(_customToText) });
    }

    private void LiveChanged(bool on)
    {
        Live = on;
        _liveError = null;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("live", on ? null : "false"), replace: true);
    }

    private string ClearFiltersUrl => DashboardUrls.Logs(Env);

    private async Task LoadMoreAsync()
    {
        if (Environment is null || _nextCursor is null || _loadingMore)
        {
            return;
        }
        _loadingMore = true;
        _moreError = null;
        try
        {
            var page = await LogQueries.SearchOperationsAsync(Environment, _view.ToSearch(Clock.GetUtcNow(), PageSize, _nextCursor), PageToken);
            foreach (var row in page.Items)
            {
                if (!_rows.Exists(r => r.Id == row.Id))
                {
                    _rows.Add(row);
                }
            }
            _nextCursor = page.NextCursor;
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Shown under the list with a retry; the rows already loaded stay.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _moreError = e is ArgumentException ? "This page of results has expired; reload the list." : "More operations could not be loaded.";
        }
        finally
        {
            _loadingMore = false;
        }
    }

    // ---- live tail ----

    /// <summary>
    /// Polls the store, not an in-process feed, so operations written by any Nango.Web instance appear. One loop
    /// per page token: it ends (and disposes its timer) when the page is disposed or its environment changes.
    /// </summary>
    private void StartLiveTail(CancellationToken ct)
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
                if (LiveOn && !_polling && !Loading)
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
        if (Environment is not { } environment || !LiveAvailable || ct.IsCancellationRequested)
        {
            return;
        }
        _polling = true;
        try
        {
            var now = Clock.GetUtcNow();
            var page = await LogQueries.SearchOperationsAsync(environment, _view.ToSearch(now, LiveLimit, since: TailStart(now)), ct);
            var changed = Merge(page.Items);
            if (_selected is not null)
            {
                changed |= await PollMessagesAsync(environment, ct);
            }
            if (changed || _liveError is not null)
            {
                _liveError = null;
                StateHasChanged();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failed poll is shown next to the toggle and retried on the next tick.
        catch (Exception)
#pragma warning restore CA1031
        {
            _liveError = "Live tail paused: the logs could not be read.";
            StateHasChanged();
        }
        finally
        {
            _polling = false;
        }
    }

    /// <summary>From a little before the newest row shown, or before the oldest recent one still open (to see it end).</summary>
    private DateTimeOffset? TailStart(DateTimeOffset now)
    {
        if (_rows.Count == 0)
        {
            return null;
        }
        var start = _rows[0].CreatedAt;
        foreach (var row in _rows.Take(LiveLimit))
        {
            if (OperationStates.IsOpen(row.State) && row.CreatedAt < start && now - row.CreatedAt < TimeSpan.FromMinutes(15))
            {
                start = row.CreatedAt;
            }
        }
        return start - _liveOverlap;
    }

    /// <summary>New rows go in at their place (newest first); rows already shown take their new state.</summary>
    private bool Merge(IReadOnlyList<LogOperationRow> rows)
    {
        var changed = false;
        foreach (var row in rows)
        {
            var index = _rows.FindIndex(r => r.Id == row.Id);
            if (index >= 0)
            {
                if (_rows[index].UpdatedAt != row.UpdatedAt || _rows[index].State != row.State)
                {
                    _rows[index] = row;
                    changed = true;
                }
            }
            else if (_nextCursor is not null && _rows.Count > 0 && row.CreatedAt < _rows[^1].CreatedAt)
            {
                // Older than everything loaded while more pages exist: "load more" brings it, in order.
                continue;
            }
            else
            {
                var at = _rows.FindIndex(r => r.CreatedAt < row.CreatedAt || (r.CreatedAt == row.CreatedAt && r.Id.CompareTo(row.Id) < 0));
                _rows.Insert(at < 0 ? _rows.Count : at, row);
                _total++;
                changed = true;
            }
            if (_selected?.Id == row.Id && !ReferenceEquals(_selected, row))
            {
                _selected = row;
            }
        }
        return changed;
    }

    // ---- drawer ----

    private void OpenOperation(LogOperationRow row) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("operation", row.Id.ToString("D")));

    private void CloseDrawer() => Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("operation", (string?)null));

    private void DrawerOpenChanged(bool open)
    {
        if (!open)
        {
            CloseDrawer();
        }
    }

    private async Task ShowOperationAsync(Guid? id)
    {
        if (id == _openId)
        {
            return;
        }
        _openId = id;
        _selected = null;
        _drawerError = null;
        _messages.Clear();
        _expanded.Clear();
        _messagesTotal = 0;
        _messagesOlderCursor = null;
        _messagesNewerCursor = null;
        _messageSearch = "";
        _messageSearchText = "";
        if (id is not { } operationId || Environment is not { } environment)
        {
            return;
        }
        _drawerLoading = true;
        try
        {
            _selected = _rows.Find(r => r.Id == operationId) ?? await LogQueries.GetOperationAsync(environment, operationId, PageToken);
            if (_selected is null)
            {
                _drawerError = "This operation does not exist in this environment, or it has expired.";
                return;
            }
            await LoadMessagesAsync(environment, PageToken);
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Shown in the drawer; the list stays usable.
        catch (Exception)
#pragma warning restore CA1031
        {
            _drawerError = "The operation could not be loaded.";
        }
        finally
        {
            _drawerLoading = false;
        }
    }

    private async Task LoadMessagesAsync(EnvironmentContext environment, CancellationToken ct)
    {
        var page = await LogQueries.SearchMessagesAsync(environment, new LogMessageSearch
        {
            OperationId = _selected!.Id,
            Search = _messageSearch.Length == 0 ? null : _messageSearch,
            Limit = MessagePageSize,
        }, ct);
        _messages.Clear();
        _messages.AddRange(page.Items);
        _messagesTotal = page.Total;
        _messagesOlderCursor = page.CursorAfter;
        _messagesNewerCursor = page.CursorBefore;
    }

    private async Task LoadOlderMessagesAsync()
    {
        if (Environment is null || _selected is null || _messagesOlderCursor is null)
        {
            return;
        }
        _loadingOlderMessages = true;
        try
        {
            var page = await LogQueries.SearchMessagesAsync(Environment, new LogMessageSearch
            {
                OperationId = _selected.Id,
                Search = _messageSearch.Length == 0 ? null : _messageSearch,
                CursorAfter = _messagesOlderCursor,
                Limit = MessagePageSize,
            }, PageToken);
            _messages.AddRange(page.Items.Where(m => !_messages.Exists(x => x.Id == m.Id)));
            _messagesOlderCursor = page.CursorAfter;
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Shown in the drawer.
        catch (Exception)
#pragma warning restore CA1031
        {
            _drawerError = "Older messages could not be loaded.";
        }
        finally
        {
            _loadingOlderMessages = false;
        }
    }

    /// <summary>Messages newer than the newest shown, while the drawer is open and the tail is on.</summary>
    private async Task<bool> PollMessagesAsync(EnvironmentContext environment, CancellationToken ct)
    {
        if (_selected is null || _drawerLoading || _messageSearch.Length > 0)
        {
            return false;
        }
        var page = await LogQueries.SearchMessagesAsync(environment, new LogMessageSearch
        {
            OperationId = _selected.Id,
            CursorBefore = _messagesNewerCursor,
            Limit = MessagePageSize,
        }, ct);
        var added = page.Items.Where(m => !_messages.Exists(x => x.Id == m.Id)).ToList();
        if (added.Count == 0)
        {
            return false;
        }
        _messages.AddRange(added);
        _messages.Sort((a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : b.Id.CompareTo(a.Id));
        _messagesTotal += added.Count;
        _messagesNewerCursor = page.CursorBefore ?? _messagesNewerCursor;
        return true;
    }

    private async Task MessageSearchChangedAsync(string? value)
    {
        _messageSearchText = value ?? "";
        var search = _messageSearchText.Trim();
        if (search == _messageSearch || Environment is null || _selected is null)
        {
            return;
        }
        _messageSearch = search;
        _expanded.Clear();
        try
        {
            await LoadMessagesAsync(Environment, PageToken);
            _drawerError = null;
        }
        catch (OperationCanceledException) when (PageToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Shown in the drawer.
        catch (Exception)
#pragma warning restore CA1031
        {
            _drawerError = "The messages could not be searched.";
        }
    }

    private void ToggleMessage(Guid id)
    {
        if (!_expanded.Remove(id))
        {
            _expanded.Add(id);
        }
    }

    // ---- view helpers ----

    private static List<string> Selected(IEnumerable<string?>? values) =>
        (values ?? []).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Options of a picker: what the store has seen in the period, plus what the URL asks for even if absent.</summary>
    private static IEnumerable<(string Key, long? Count)> Options(IReadOnlyList<LogFilterValue> values, IReadOnlyList<string> selected) =>
        values.Select(v => (v.Key, (long?)v.Count))
            .Concat(selected.Where(s => !values.Any(v => v.Key == s)).Select(s => (s, (long?)null)));

    private static IEnumerable<string> TypeOptions() =>
        LogOperationKinds.All.GroupBy(k => k.Type).SelectMany(g => new[] { g.Key }.Concat(g.Select(k => k.ToString())));

    private static string SelectionText(IReadOnlyList<string> selected, string all = "All") =>
        selected.Count switch
        {
            0 => all,
            1 => selected[0],
            _ => $"{selected[0]} +{selected.Count - 1}",
        };

    private static string LocalInput(DateTimeOffset? value) =>
        value?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "";
}
