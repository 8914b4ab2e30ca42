using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;

namespace Nango.Web.Components.Pages.Functions;

/// <summary>An integration's deployed functions, by type, with their version, last deploy and an enable switch.</summary>
public partial class FunctionsTab : ComponentBase
{
    private static readonly (string Type, string Title)[] Sections =
    [
        (FunctionTypes.Sync, "Syncs"),
        (FunctionTypes.Action, "Actions"),
        (FunctionTypes.OnEvent, "On-event scripts"),
    ];

    private IReadOnlyList<FunctionSummary> _functions = [];
    private bool _loading = true;
    private bool _saving;
    private string? _error;

    [Parameter, EditorRequired]
    public required EnvironmentContext Environment { get; set; }

    [Parameter, EditorRequired]
    public required string Env { get; set; }

    [Parameter, EditorRequired]
    public required string IntegrationKey { get; set; }

    [Inject]
    public required FunctionService Functions { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    [Inject]
    public required TimeProvider Clock { get; init; }

    private (int EnvironmentId, string IntegrationKey)? _loadedFor;

    /// <summary>The host page re-renders for its own reasons (saving settings, a snackbar); reload only when what is shown changes.</summary>
    protected override async Task OnParametersSetAsync()
    {
        var target = (Environment.EnvironmentId, IntegrationKey);
        if (_loadedFor == target)
        {
            return;
        }
        _loadedFor = target;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _loading = true;
        _error = null;
        try
        {
            _functions = await Functions.ListAllAsync(Environment, IntegrationKey, CancellationToken.None) ?? [];
        }
#pragma warning disable CA1031 // A failed load shows the error with a retry instead of ending the circuit.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _error = e is Npgsql.NpgsqlException ? "The database could not be reached." : "The functions could not be loaded.";
        }
        finally
        {
            _loading = false;
        }
    }

    private async Task SetEnabledAsync(FunctionSummary function, bool enabled)
    {
        _saving = true;
        try
        {
            var outcome = await Functions.SetEnabledAsync(Environment, function.Id, enabled, CancellationToken.None);
            if (outcome == FunctionChangeOutcome.Ok)
            {
                Snackbar.Add($"{function.Name} {(enabled ? "enabled" : "disabled")}", Severity.Success);
            }
            else
            {
                Snackbar.Add($"{function.Name} is no longer deployed.", Severity.Warning);
            }
            await LoadAsync();
        }
#pragma warning disable CA1031 // Same reason: the switch reports the failure and the list stays as it was.
        catch (Exception)
#pragma warning restore CA1031
        {
            Snackbar.Add($"{function.Name} could not be {(enabled ? "enabled" : "disabled")}.", Severity.Error);
        }
        finally
        {
            _saving = false;
        }
    }

    private static string Detail(FunctionSummary f) => f.Type switch
    {
        FunctionTypes.Sync => f.Current.Runs ?? "—",
        FunctionTypes.OnEvent => f.Event ?? "—",
        _ => f.Current.Endpoints.Count > 0 ? $"{f.Current.Endpoints[0].Method} {f.Current.Endpoints[0].Path}" : "—",
    };
}
