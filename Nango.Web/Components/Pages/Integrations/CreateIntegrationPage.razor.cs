using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Providers;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Components.Pages.Integrations;

public partial class CreateIntegrationPage : EnvironmentPage
{
    /// <summary>Rendering the whole catalog (900+ cards) over the circuit is slow; the search narrows it.</summary>
    private const int MaxShown = 48;
    private const string AllCategories = "";

    private IReadOnlyList<string> _categories = [];
    private string _search = "";
    private string _category = AllCategories;
    private ProviderDefinition? _selected;
    private string? _appliedProvider;
    private EnvironmentSettings? _settings;
    private CredentialsForm _credentials = new();
    private string _uniqueKey = "";
    private string _displayName = "";
    private string? _uniqueKeyError;
    private IReadOnlyList<string> _errors = [];
    private bool _saving;

    /// <summary>The chosen provider, from <c>…/create/{provider}</c>.</summary>
    [Parameter]
    public string? Provider { get; set; }

    /// <summary>Initial search text, so a link can open the catalog pre-filtered.</summary>
    [SupplyParameterFromQuery(Name = "search")]
    public string? Search { get; set; }

    [Inject]
    public required IntegrationService Integrations { get; init; }

    [Inject]
    public required EnvironmentService Environments { get; init; }

    [Inject]
    public required IProviderCatalog Catalog { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    protected override void OnInitialized()
    {
        _categories = Catalog.All.SelectMany(p => p.Categories).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        _search = Search ?? "";
    }

    protected override async Task OnParametersSetAsync()
    {
        if (Provider != _appliedProvider)
        {
            _appliedProvider = Provider;
            Select(Provider is null ? null : Catalog.Find(Provider));
        }
        await base.OnParametersSetAsync();
    }

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        if (_settings is null || _settings.Id != environment.EnvironmentId)
        {
            _settings = await Environments.GetSettingsAsync(environment, ct);
        }
    }

    private List<ProviderDefinition> Matches()
    {
        var term = _search.Trim();
        var providers = Catalog.All.AsEnumerable();
        if (_category != AllCategories)
        {
            providers = providers.Where(p => p.Categories.Contains(_category, StringComparer.Ordinal));
        }
        if (term.Length == 0)
        {
            return providers.OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
        }
        return providers
            .Where(p => p.Name.Contains(term, StringComparison.OrdinalIgnoreCase) || p.DisplayName.Contains(term, StringComparison.OrdinalIgnoreCase))
            .OrderBy(p => Rank(p, term))
            .ThenBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>Exact names first, then prefixes: "github" lists GitHub before GitHub App.</summary>
    private static int Rank(ProviderDefinition provider, string term)
    {
        if (provider.Name.Equals(term, StringComparison.OrdinalIgnoreCase) || provider.DisplayName.Equals(term, StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }
        return provider.Name.StartsWith(term, StringComparison.OrdinalIgnoreCase) || provider.DisplayName.StartsWith(term, StringComparison.OrdinalIgnoreCase) ? 1 : 2;
    }

    private void SearchChanged(string? value) => _search = value ?? "";

    private void CategoryChanged(string? value) => _category = value ?? AllCategories;

    private void Choose(ProviderDefinition provider)
    {
        Select(provider);
        _appliedProvider = provider.Name;
        // The choice goes into the URL so a reload or a shared link lands on the same form.
        Navigation.NavigateTo(DashboardUrls.CreateIntegration(Env, provider.Name));
    }

    private void ChooseOnEnter(KeyboardEventArgs e, ProviderDefinition provider)
    {
        if (e.Key is "Enter" or " ")
        {
            Choose(provider);
        }
    }

    private void ChangeProvider()
    {
        Select(null);
        _appliedProvider = null;
        Navigation.NavigateTo(DashboardUrls.CreateIntegration(Env));
    }

    private void Select(ProviderDefinition? provider)
    {
        _selected = provider;
        _errors = [];
        _uniqueKeyError = null;
        _displayName = "";
        _uniqueKey = provider?.Name ?? "";
        _credentials = provider is null ? new CredentialsForm() : CredentialsForm.ForAuthMode(provider.AuthMode);
    }

    private void ValidateUniqueKey() =>
        _uniqueKeyError = Identifiers.IsProviderConfigKey(_uniqueKey.Trim())
            ? null
            : "Use 1 to 255 letters, digits or ~:.@ _- characters.";

    private async Task CreateAsync()
    {
        if (_selected is null || Environment is null)
        {
            return;
        }
        _errors = [];
        ValidateUniqueKey();
        if (_uniqueKeyError is not null)
        {
            return;
        }
        _saving = true;
        var provider = _selected;
        var key = _uniqueKey.Trim();
        var request = new CreateIntegration(provider.Name, key, string.IsNullOrWhiteSpace(_displayName) ? null : _displayName.Trim(), _credentials.ToCredentials());
        IntegrationResult? result = null;
        await TryRunAsync("The integration could not be created.", async ct => result = await Integrations.CreateAsync(Environment, request, ct));
        _saving = false;
        switch (result?.Outcome)
        {
            case IntegrationOutcome.Ok:
                Snackbar.Add($"Integration {key} created", Severity.Success);
                Navigation.NavigateTo(DashboardUrls.Integrations(Env));
                break;
            case IntegrationOutcome.Duplicate:
                _uniqueKeyError = "Unique key already used in this environment.";
                break;
            case IntegrationOutcome.Invalid:
                var errors = result.Errors ?? [];
                _uniqueKeyError = errors.FirstOrDefault(e => e.Path is ["unique_key", ..])?.Message;
                _errors = errors.Where(e => e.Path is not ["unique_key", ..]).Select(e => e.Message).ToList();
                break;
            default:
                break;
        }
    }
}
