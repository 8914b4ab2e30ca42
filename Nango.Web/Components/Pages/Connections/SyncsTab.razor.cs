using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Syncs.Runs;
using Nango.Core.Syncs.Schedules;

namespace Nango.Web.Components.Pages.Connections;

/// <summary>
/// A connection's sync schedules: status, last run and its counts, next run, frequency, and the controls of the sync
/// API (run, full resync, pause/resume, frequency override). While a sync runs the tab polls every two seconds and shows
/// what the running run has written so far.
/// </summary>
public sealed partial class SyncsTab : ComponentBase, IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    /// <summary>A run due this soon is watched for: without it, a resumed or due sync would start unseen.</summary>
    private static readonly TimeSpan DueSoon = TimeSpan.FromMinutes(1);

    private readonly CancellationTokenSource _cts = new();
    private IReadOnlyList<SyncStatusReport> _syncs = [];
    private Dictionary<Guid, SyncRunProgress> _running = [];
    private bool _loading = true;
    private string? _error;
    private string? _pollError;
    private Guid? _busy;
    private PeriodicTimer? _poll;

    [Parameter, EditorRequired]
    public required EnvironmentContext Environment { get; set; }

    [Parameter, EditorRequired]
    public required string Env { get; set; }

    [Parameter, EditorRequired]
    public required string Integration { get; set; }

    [Parameter, EditorRequired]
    public required string ConnectionId { get; set; }

    /// <summary>Internal id of the connection (sync runs are keyed by it).</summary>
    [Parameter, EditorRequired]
    public required int ConnectionKey { get; set; }

    [Inject]
    public required SyncControlService Control { get; init; }

    [Inject]
    public required SyncRunService Runs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required TimeProvider Clock { get; init; }

    private DateTimeOffset Now => Clock.GetUtcNow();

    private (int, string, string)? _loadedFor;

    protected override async Task OnParametersSetAsync()
    {
        var target = (Environment.EnvironmentId, Integration, ConnectionId);
        if (_loadedFor == target)
        {
            return;
        }
        _loadedFor = target;
        _loading = true;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        try
        {
            var status = await Control.StatusAsync(new SyncSelection(Environment, Integration, ConnectionId, []), _cts.Token);
            _syncs = status.Syncs;
            var running = await Runs.GetRunningProgressAsync(ConnectionKey, _cts.Token);
            _running = running.Where(r => r.ScheduleId is not null).GroupBy(r => r.ScheduleId!.Value).ToDictionary(g => g.Key, g => g.Last());
            _error = null;
            _pollError = null;
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A failed load shows the error with a retry instead of ending the circuit.
        catch (Exception e)
#pragma warning restore CA1031
        {
            var message = e is Npgsql.NpgsqlException ? "The database could not be reached." : "The syncs could not be loaded.";
            // A failed poll keeps the rows already shown and says so; a failed first load has nothing to keep.
            if (_loading)
            {
                _error = message;
            }
            else
            {
                _pollError = message;
            }
        }
        finally
        {
            _loading = false;
        }
        UpdatePolling();
    }

    private async Task RetryAsync()
    {
        _loading = true;
        await LoadAsync();
    }

    /// <summary>
    /// Polls only while something runs or is about to (its next run due within <see cref="DueSoon"/>): an idle tab
    /// does not query the database every two seconds.
    /// </summary>
    private void UpdatePolling()
    {
        var anyRunning = _syncs.Any(s => s.Status == SyncJobStatuses.Running || s.NextScheduledSyncAt <= Now + DueSoon);
        if (anyRunning && _poll is null && !_cts.IsCancellationRequested)
        {
            _poll = new PeriodicTimer(PollInterval);
            _ = PollAsync(_poll);
        }
        else if (!anyRunning && _poll is not null)
        {
            _poll.Dispose();
            _poll = null;
        }
    }

    private async Task PollAsync(PeriodicTimer timer)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(_cts.Token))
            {
                await InvokeAsync(async () =>
                {
                    await LoadAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The tab went away.
        }
    }

    private SyncRunProgress? RunningOf(SyncStatusReport sync) => _running.GetValueOrDefault(sync.Id);

    private static SyncRef RefOf(SyncStatusReport sync) => new(sync.Name, sync.Variant);

    private static string Label(SyncStatusReport sync) => sync.Variant == SyncVariants.Base ? sync.Name : $"{sync.Name}::{sync.Variant}";

    /// <summary>A started schedule that has never run is <c>SUCCESS</c> to the API; the tab says it has not run yet.</summary>
    private static bool NeverRan(SyncStatusReport sync) => sync.Status == SyncJobStatuses.Success && sync.LatestExecutionStatus is null;

    private static string StatusLabel(SyncStatusReport sync) => NeverRan(sync) ? "NOT RUN YET" : sync.Status;

    private static Color StatusColor(SyncStatusReport sync) => NeverRan(sync) ? Color.Default : sync.Status switch
    {
        SyncJobStatuses.Running => Color.Info,
        SyncJobStatuses.Success => Color.Success,
        SyncJobStatuses.Error => Color.Error,
        SyncJobStatuses.Paused => Color.Warning,
        _ => Color.Default,
    };

    /// <summary>Per model: added, updated, deleted, from <c>{"Model": {"added": n, …}}</c>.</summary>
    internal static IEnumerable<(string Model, long Added, long Updated, long Deleted)> Counts(JsonObject? models)
    {
        foreach (var (model, counts) in models ?? [])
        {
            yield return (model, Count(counts, "added"), Count(counts, "updated"), Count(counts, "deleted"));
        }
    }

    /// <summary>A run's counts for one model in words, zeros left out: <c>2 added</c>, <c>5 updated</c>, <c>3 deleted</c>; none is <c>no changes</c>.</summary>
    internal static IReadOnlyList<string> Describe(long added, long updated, long deleted)
    {
        var parts = new List<string>(3);
        foreach (var (count, what) in new[] { (added, "added"), (updated, "updated"), (deleted, "deleted") })
        {
            if (count > 0)
            {
                parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{count:N0} {what}"));
            }
        }
        return parts.Count == 0 ? ["no changes"] : parts;
    }

    private static long Count(JsonNode? counts, string name) =>
        counts?[name] is JsonValue value && value.TryGetValue<long>(out var n) ? n : 0;

    private async Task RunAsync(SyncStatusReport sync) =>
        await ActAsync(sync, $"Run of {Label(sync)} queued", ct => Control.TriggerAsync(Selection(sync), full: false, emptyCache: false, ct));

    private async Task FullResyncAsync(SyncStatusReport sync)
    {
        var parameters = new DialogParameters<FullResyncDialog> { { d => d.SyncName, Label(sync) } };
        var reference = await Dialogs.ShowAsync<FullResyncDialog>("Full resync", parameters,
            new DialogOptions { MaxWidth = MaxWidth.ExtraSmall, FullWidth = true, CloseOnEscapeKey = true });
        if (await reference.Result is not { Canceled: false, Data: bool emptyCache })
        {
            return;
        }
        await ActAsync(sync, $"Full resync of {Label(sync)} queued", ct => Control.TriggerAsync(Selection(sync), full: true, emptyCache, ct));
    }

    private async Task PauseOrResumeAsync(SyncStatusReport sync)
    {
        if (sync.Status == SyncJobStatuses.Paused)
        {
            await ActAsync(sync, $"{Label(sync)} resumed", ct => Control.StartAsync(Selection(sync), ct));
        }
        else
        {
            await ActAsync(sync, $"{Label(sync)} paused", ct => Control.PauseAsync(Selection(sync), ct));
        }
    }

    private async Task ChangeFrequencyAsync(SyncStatusReport sync)
    {
        var parameters = new DialogParameters<SyncFrequencyDialog> { { d => d.SyncName, Label(sync) }, { d => d.Current, sync.Frequency } };
        var reference = await Dialogs.ShowAsync<SyncFrequencyDialog>("Frequency", parameters,
            new DialogOptions { MaxWidth = MaxWidth.ExtraSmall, FullWidth = true, CloseOnEscapeKey = true });
        if (await reference.Result is not { Canceled: false } result)
        {
            return;
        }
        var frequency = result.Data as string;
        FrequencyUpdateResult? update = null;
        await ActAsync(sync, null, async ct =>
        {
            update = await Control.UpdateFrequencyAsync(Environment, Integration, ConnectionId, RefOf(sync), string.IsNullOrWhiteSpace(frequency) ? null : frequency.Trim(), ct);
            return new SyncControlResult(update.Outcome, update.Message);
        });
        if (update is { Outcome: SyncControlOutcome.Ok })
        {
            Snackbar.Add(string.IsNullOrWhiteSpace(frequency) ? $"{Label(sync)} runs {update.Frequency} again" : $"Frequency of {Label(sync)} set to {frequency.Trim()}", Severity.Success);
        }
    }

    private SyncSelection Selection(SyncStatusReport sync) => new(Environment, Integration, ConnectionId, [RefOf(sync)]);

    /// <summary>One control call: the row's buttons are disabled meanwhile, a failure is a snackbar, then the rows reload.</summary>
    private async Task ActAsync(SyncStatusReport sync, string? success, Func<CancellationToken, Task<SyncControlResult>> action)
    {
        _busy = sync.Id;
        try
        {
            var result = await action(_cts.Token);
            if (result.Outcome == SyncControlOutcome.Ok)
            {
                if (success is not null)
                {
                    Snackbar.Add(success, Severity.Success);
                }
            }
            else
            {
                Snackbar.Add(result.Message ?? $"The sync could not be changed ({SyncControlCodes.For(result.Outcome)}).", Severity.Warning);
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // The circuit must survive a failed click.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Snackbar.Add(e is Npgsql.NpgsqlException ? "The database could not be reached." : "The sync could not be changed.", Severity.Error);
        }
        finally
        {
            _busy = null;
        }
        await LoadAsync();
    }

    public void Dispose()
    {
        _cts.Cancel();
        _poll?.Dispose();
        _poll = null;
        _cts.Dispose();
    }
}
