using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Functions.Deploy;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Components.Pages.Functions;

/// <summary>One deployed function: its definition, models, code (TypeScript when the CLI sent it) and version history.</summary>
public partial class FunctionPage : EnvironmentPage
{
    private FunctionSummary? _function;
    private IReadOnlyList<FunctionVersionInfo> _versions = [];
    private string? _code;
    private bool _codeIsSource;
    private bool _saving;

    [Parameter]
    public string Key { get; set; } = "";

    [Parameter]
    public string Type { get; set; } = "";

    [Parameter]
    public string Name { get; set; } = "";

    [Inject]
    public required FunctionService Functions { get; init; }

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        _function = null;
        if (!FunctionTypes.All.Contains(Type))
        {
            return;
        }
        var (_, function) = await Functions.GetAsync(environment, Key, Name, Type, ct);
        _function = function;
        if (function is null)
        {
            return;
        }
        _versions = await Functions.ListVersionsAsync(environment, function.Id, ct);
        _codeIsSource = function.Current.SourceKey is not null;
        _code = await Functions.ReadFileAsync(function.Current.SourceKey ?? function.Current.BundleKey, ct);
    }

    private async Task SetEnabledAsync(bool enabled)
    {
        if (Environment is null || _function is null)
        {
            return;
        }
        _saving = true;
        var outcome = FunctionChangeOutcome.NotFound;
        if (await TryRunAsync($"{Name} could not be {(enabled ? "enabled" : "disabled")}.", async ct => outcome = await Functions.SetEnabledAsync(Environment, _function.Id, enabled, ct)))
        {
            if (outcome == FunctionChangeOutcome.Ok)
            {
                Snackbar.Add($"{Name} {(enabled ? "enabled" : "disabled")}", Severity.Success);
                _function = _function with { Enabled = enabled };
            }
            else
            {
                Snackbar.Add($"{Name} is no longer deployed.", Severity.Warning);
                _function = null;
            }
        }
        _saving = false;
    }
}
