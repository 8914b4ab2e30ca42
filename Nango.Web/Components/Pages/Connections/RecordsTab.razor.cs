using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Records;

namespace Nango.Web.Components.Pages.Connections;

/// <summary>
/// A connection's stored records: its models with their counts, then one model's records a page at a time in the
/// order of <c>GET /records</c> (cursor paging: the cursors of the pages already seen make Previous), with their
/// metadata, a filter by last action, and a record's JSON on click.
/// </summary>
public sealed partial class RecordsTab : ComponentBase, IDisposable
{
    public const int PageSize = 50;

    private readonly CancellationTokenSource _cts = new();
    private List<KeyValuePair<string, long>> _models = [];
    private bool _loading = true;
    private string? _error;
    private string? _model;
    private RecordActions _filter;
    /// <summary>The cursor each page shown so far started after (null for the first page); the top is the current page's.</summary>
    private readonly Stack<string?> _cursors = new();
    private RecordPage? _page;
    private bool _pageLoading;
    private string? _pageError;
    private Guid? _expanded;

    [Parameter, EditorRequired]
    public required EnvironmentContext Environment { get; set; }

    /// <summary>Internal id of the connection; records are keyed by it.</summary>
    [Parameter, EditorRequired]
    public required int ConnectionKey { get; set; }

    [Inject]
    public required RecordStore Records { get; init; }

    private int? _loadedFor;

    private int PageNumber => _cursors.Count;

    protected override async Task OnParametersSetAsync()
    {
        if (_loadedFor == ConnectionKey)
        {
            return;
        }
        _loadedFor = ConnectionKey;
        await LoadModelsAsync();
    }

    private async Task LoadModelsAsync()
    {
        _loading = true;
        _error = null;
        try
        {
            var counts = await Records.CountByModelWithDeclaredAsync(ConnectionKey, _cts.Token);
            _models = counts.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A failed load shows the error with a retry instead of ending the circuit.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _error = e is Npgsql.NpgsqlException ? "The database could not be reached." : "The records could not be loaded.";
            return;
        }
        finally
        {
            _loading = false;
        }
        var model = _model is not null && _models.Any(m => m.Key == _model) ? _model : (_models.Count > 0 ? _models[0].Key : null);
        if (model is not null)
        {
            await SelectModelAsync(model);
        }
    }

    private async Task SelectModelAsync(string model)
    {
        _model = model;
        await FirstPageAsync();
    }

    private async Task SetFilterAsync(RecordActions filter)
    {
        _filter = filter;
        await FirstPageAsync();
    }

    private async Task FirstPageAsync()
    {
        _cursors.Clear();
        _cursors.Push(null);
        await LoadPageAsync();
    }

    private async Task NextAsync()
    {
        if (_page?.NextCursor is { } next)
        {
            _cursors.Push(next);
            await LoadPageAsync();
        }
    }

    private async Task PreviousAsync()
    {
        if (_cursors.Count > 1)
        {
            _cursors.Pop();
            await LoadPageAsync();
        }
    }

    private async Task LoadPageAsync()
    {
        if (_model is null)
        {
            return;
        }
        _pageLoading = true;
        _pageError = null;
        _expanded = null;
        try
        {
            _page = await Records.ListAsync(new RecordQuery
            {
                ConnectionId = ConnectionKey,
                Model = _model,
                Limit = PageSize,
                Filter = _filter,
                Cursor = _cursors.Peek(),
            }, _cts.Token);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // Same reason as above.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _page = null;
            _pageError = e is Npgsql.NpgsqlException ? "The database could not be reached." : "This page of records could not be loaded.";
        }
        finally
        {
            _pageLoading = false;
        }
    }

    private void Toggle(TableRowClickEventArgs<RecordRow> click)
    {
        if (click.Item is { } row)
        {
            _expanded = _expanded == row.Id ? null : row.Id;
        }
    }

    /// <summary>The record's own fields on one line, cut by CSS to the column: enough to tell rows apart.</summary>
    private static string Preview(RecordRow row) => row.PrunedAt is not null ? "(pruned)" : System.Text.Encoding.UTF8.GetString(row.PayloadWithoutId.Span);

    private static JsonNode? Payload(RecordRow row) => JsonNode.Parse(row.ToJson().GetRawText());

    private static string FilterLabel(RecordActions filter) => filter == RecordActions.None ? "All" : filter.ToString();

    private static Color ActionColor(string action) => action switch
    {
        "ADDED" => Color.Success,
        "UPDATED" => Color.Info,
        "DELETED" => Color.Error,
        _ => Color.Default,
    };

    public void Dispose()
    {
        _cts.Cancel();
        _cts.Dispose();
    }
}
