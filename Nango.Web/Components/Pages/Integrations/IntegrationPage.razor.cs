using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Providers;
using Nango.Web.Components.Dashboard;
using Nango.Web.Components.Dialogs;

namespace Nango.Web.Components.Pages.Integrations;

public partial class IntegrationPage : EnvironmentPage
{
    private IntegrationDetails? _details;
    private ProviderDefinition? _provider;
    private EnvironmentSettings? _settings;
    private CredentialsForm _credentials = new();
    private string _displayName = "";
    private IReadOnlyList<string> _errors = [];
    private bool _saving;

    [Parameter]
    public string Key { get; set; } = "";

    /// <summary><c>functions</c> opens the Functions tab (links from a function page come back to it).</summary>
    [SupplyParameterFromQuery]
    public string? Tab { get; set; }

    [Inject]
    public required IntegrationService Integrations { get; init; }

    [Inject]
    public required EnvironmentService Environments { get; init; }

    [Inject]
    public required IProviderCatalog Catalog { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    /// <summary>Where the provider posts webhooks for this integration: the environment's base plus the unique key.</summary>
    private string? WebhookUrl => _settings is null ? null : $"{_settings.IncomingWebhookBaseUrl}/{Uri.EscapeDataString(Key)}";

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        _settings = await Environments.GetSettingsAsync(environment, ct);
        Show(await Integrations.GetAsync(environment, Key, ct));
    }

    private void Show(IntegrationDetails? details)
    {
        _details = details;
        _errors = [];
        if (details is null)
        {
            return;
        }
        _provider = Catalog.Find(details.Summary.Provider);
        _displayName = details.Summary.DisplayName;
        _credentials = CredentialsForm.From(details.Credentials, details.Summary.AuthMode);
    }

    private async Task SaveAsync()
    {
        if (Environment is null || _details is null)
        {
            return;
        }
        _saving = true;
        _errors = [];
        var request = new UpdateIntegration(DisplayName: _displayName.Trim(), Credentials: _credentials.ToCredentials());
        IntegrationResult? result = null;
        await TryRunAsync("The integration could not be saved.", async ct => result = await Integrations.UpdateAsync(Environment, Key, request, ct));
        _saving = false;
        switch (result?.Outcome)
        {
            case IntegrationOutcome.Ok:
                Show(result.Integration);
                Snackbar.Add("Integration saved", Severity.Success);
                break;
            case IntegrationOutcome.Invalid:
                _errors = (result.Errors ?? []).Select(e => e.Message).ToList();
                break;
            case IntegrationOutcome.NotFound:
                Snackbar.Add("This integration no longer exists.", Severity.Warning);
                _details = null;
                break;
            default:
                break;
        }
    }

    private async Task DeleteAsync()
    {
        if (Environment is null || _details is null)
        {
            return;
        }
        var count = _details.Summary.ConnectionCount;
        var confirmed = await Dialogs.ConfirmAsync(
            "Delete integration",
            $"Delete {_details.Summary.UniqueKey}?",
            "Delete",
            count == 0
                ? "It has no connections. This cannot be undone."
                : $"Its {count} {(count == 1 ? "connection is" : "connections are")} deleted too, and your users will have to connect again. This cannot be undone.");
        if (!confirmed)
        {
            return;
        }
        var deleted = false;
        if (!await TryRunAsync("The integration could not be deleted.", async ct => deleted = await Integrations.DeleteAsync(Environment, Key, ct)))
        {
            return;
        }
        Snackbar.Add(deleted ? $"Integration {Key} deleted" : "This integration was already deleted.", deleted ? Severity.Success : Severity.Info);
        Navigation.NavigateTo(DashboardUrls.Integrations(Env));
    }
}
