using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Functions.Actions;
using Nango.Core.Logs;

namespace Nango.Web.Components.Pages.Functions;

/// <summary>
/// Runs an action from its function page: a connection of the integration, a JSON input checked before sending, then
/// the output or the error and the run's own log lines. It goes through <see cref="ActionService"/> in the page's
/// environment (the same path as <c>POST /action/trigger</c>, synchronously), not through the HTTP API.
/// </summary>
public partial class ActionRunPanel : ComponentBase, IDisposable
{
    /// <summary>Log writes are buffered (flushed about every 200 ms), so the run's lines are polled for a little while.</summary>
    private static readonly TimeSpan LogPollInterval = TimeSpan.FromMilliseconds(250);
    private const int LogPolls = 20;

    private readonly CancellationTokenSource _cts = new();
    private IReadOnlyList<ConnectionSummary>? _connections;
    private string? _loadError;
    private string? _connectionId;
    private string _inputText = "{}";
    private string? _inputError;
    private bool _running;
    private string? _runError;
    private ActionOutcome? _outcome;
    private long _elapsedMs;
    private bool _logsLoading;
    private IReadOnlyList<LogMessageRow> _logLines = [];
    private Guid? _expanded;

    [Parameter, EditorRequired]
    public EnvironmentContext Environment { get; set; } = null!;

    [Parameter, EditorRequired]
    public string Env { get; set; } = "";

    [Parameter, EditorRequired]
    public string IntegrationKey { get; set; } = "";

    [Parameter, EditorRequired]
    public string ActionName { get; set; } = "";

    /// <summary>The action's input model name, shown as a hint.</summary>
    [Parameter]
    public string? InputModel { get; set; }

    [Inject]
    public required ConnectionService Connections { get; init; }

    [Inject]
    public required ActionService Actions { get; init; }

    [Inject]
    public required LogQueryService Logs { get; init; }

    protected override Task OnParametersSetAsync() => _connections is null ? LoadConnectionsAsync() : Task.CompletedTask;

    private async Task LoadConnectionsAsync()
    {
        _loadError = null;
        _connections = null;
        try
        {
            _connections = await Connections.ListAsync(Environment, new ConnectionQuery { IntegrationKeys = [IntegrationKey], Limit = 500 }, _cts.Token);
            _connectionId ??= _connections.Count > 0 ? _connections[0].ConnectionId : null;
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Shown with a retry button rather than tearing down the circuit.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _loadError = e is Npgsql.NpgsqlException ? "The database could not be reached." : "The connections could not be loaded.";
        }
    }

    private void ConnectionChanged(string connectionId) => _connectionId = connectionId;

    /// <summary>The input as JSON, or null with <see cref="_inputError"/> set; an empty box sends no input.</summary>
    private bool TryReadInput(out JsonNode? input)
    {
        input = null;
        _inputError = null;
        if (string.IsNullOrWhiteSpace(_inputText))
        {
            return true;
        }
        try
        {
            input = JsonNode.Parse(_inputText);
            return true;
        }
        catch (JsonException e)
        {
            _inputError = "Not valid JSON: " + e.Message;
            return false;
        }
    }

    private async Task RunAsync()
    {
        if (_connectionId is null || _running || !TryReadInput(out var input))
        {
            return;
        }
        _running = true;
        _runError = null;
        _outcome = null;
        _logLines = [];
        _expanded = null;
        var watch = Stopwatch.StartNew();
        try
        {
            _outcome = await Actions.TriggerAsync(new ActionTrigger(Environment, IntegrationKey, _connectionId, ActionName, input, Async: false, MaxRetries: 0), _cts.Token);
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A failed run is shown in the panel; the circuit must survive it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _runError = e is Npgsql.NpgsqlException ? "The database could not be reached." : "The action could not be run.";
        }
        finally
        {
            _elapsedMs = watch.ElapsedMilliseconds;
            _running = false;
        }
        if (_outcome?.LogOperationId is { } operationId)
        {
            StateHasChanged();
            await LoadLogAsync(operationId);
        }
    }

    /// <summary>The run's messages, oldest first, read until its operation has ended and its lines are flushed.</summary>
    private async Task LoadLogAsync(Guid operationId)
    {
        _logsLoading = true;
        try
        {
            for (var poll = 0; poll < LogPolls; poll++)
            {
                var operation = await Logs.GetOperationAsync(Environment, operationId, _cts.Token);
                var page = await Logs.SearchMessagesAsync(Environment, new LogMessageSearch { OperationId = operationId, Limit = 200 }, _cts.Token);
                _logLines = [.. page.Items.Reverse()];
                if (operation is not null && !OperationStates.IsOpen(operation.State))
                {
                    break;
                }
                StateHasChanged();
                await Task.Delay(LogPollInterval, _cts.Token);
            }
        }
        catch (OperationCanceledException) when (_cts.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // The output is already shown; a log read that fails leaves the link to the Logs page.
        catch (Exception)
#pragma warning restore CA1031
        {
            _logLines = [];
        }
        finally
        {
            _logsLoading = false;
        }
    }

    public void Dispose()
    {
        _cts.Cancel();
        _cts.Dispose();
        GC.SuppressFinalize(this);
    }
}
