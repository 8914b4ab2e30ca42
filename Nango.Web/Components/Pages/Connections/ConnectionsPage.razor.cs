using Microsoft.AspNetCore.Components;
using MudBlazor;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Providers;
using Nango.Web.Components.Dashboard;
using Nango.Web.Components.Dialogs;

namespace Nango.Web.Components.Pages.Connections;

public partial class ConnectionsPage : EnvironmentPage
{
    private const string AllIntegrations = "";

    private MudTable<ConnectionSummary>? _table;
    private IReadOnlyList<IntegrationSummary> _integrations = [];
    private int? _integrationsFor;
    private string _searchText = "";
    private string _search = "";
    private string _integration = AllIntegrations;
    private string? _gridError;

    /// <summary>Kept in the URL so a filtered list can be reloaded, bookmarked and shared.</summary>
    [SupplyParameterFromQuery(Name = "search")]
    public string? Search { get; set; }

    [SupplyParameterFromQuery(Name = "integration")]
    public string? Integration { get; set; }

    [Inject]
    public required ConnectionService Connections { get; init; }

    [Inject]
    public required IntegrationService Integrations { get; init; }

    [Inject]
    public required IProviderCatalog Catalog { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    private bool Filtered => _search.Length > 0 || _integration != AllIntegrations;

    protected override async Task OnParametersSetAsync()
    {
        var search = Search?.Trim() ?? "";
        var integration = Integration ?? AllIntegrations;
        var filtersChanged = search != _search || integration != _integration;
        _search = search;
        _integration = integration;
        if (filtersChanged)
        {
            _searchText = search;
        }
        await base.OnParametersSetAsync();
        // On first render the table asks for its data itself; afterwards a new URL (back button, a link
        // with other filters) has to ask again.
        if (filtersChanged && _table is not null)
        {
            await ReloadGridAsync();
        }
    }

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct)
    {
        // The filter's options; loaded once per environment, not on every change of the query string.
        if (_integrationsFor != environment.EnvironmentId)
        {
            _integrations = await Integrations.ListAsync(environment, ct);
            _integrationsFor = environment.EnvironmentId;
        }
    }

    private async Task<TableData<ConnectionSummary>> LoadPageAsync(TableState state, CancellationToken gridToken)
    {
        if (Environment is null)
        {
            return new TableData<ConnectionSummary> { Items = [], TotalItems = 0 };
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(gridToken, PageToken);
        var query = new ConnectionQuery
        {
            Search = _search.Length == 0 ? null : _search,
            IntegrationKeys = _integration == AllIntegrations ? [] : [_integration],
            Limit = state.PageSize,
            Page = state.Page,
        };
        try
        {
            var (items, total) = await Connections.PageAsync(Environment, query, linked.Token);
            _gridError = null;
            return new TableData<ConnectionSummary> { Items = items, TotalItems = total };
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // A newer request replaced this one, or the page went away.
            return new TableData<ConnectionSummary> { Items = [], TotalItems = 0 };
        }
#pragma warning disable CA1031 // The grid shows the failure with a retry; an exception here would end the circuit.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _gridError = Describe(e, "The connections could not be loaded.");
            return new TableData<ConnectionSummary> { Items = [], TotalItems = 0 };
        }
    }

    private async Task ReloadGridAsync()
    {
        if (_table is not null)
        {
            await _table.ReloadServerData();
        }
        StateHasChanged();
    }

    private Task SearchChangedAsync(string? value)
    {
        _searchText = value ?? "";
        return ApplyFiltersAsync(_searchText.Trim(), _integration);
    }

    private Task IntegrationChangedAsync(string? value) => ApplyFiltersAsync(_search, value ?? AllIntegrations);

    /// <summary>
    /// Applies the filters at once and records them in the URL. When the router then supplies the same
    /// values as parameters, <see cref="OnParametersSetAsync"/> sees nothing new and does not query twice.
    /// </summary>
    private async Task ApplyFiltersAsync(string search, string integration)
    {
        if (search == _search && integration == _integration)
        {
            return;
        }
        _search = search;
        _integration = integration;
        Navigation.NavigateTo(
            Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
            {
                ["search"] = search.Length == 0 ? null : search,
                ["integration"] = integration == AllIntegrations ? null : integration,
            }),
            replace: true);
        await ReloadGridAsync();
    }

    private void Open(TableRowClickEventArgs<ConnectionSummary> args)
    {
        if (args.Item is { } connection)
        {
            Navigation.NavigateTo(DashboardUrls.Connection(Env, connection.ProviderConfigKey, connection.ConnectionId));
        }
    }

    /// <summary>Runs the Connect UI in a dialog for an end user named there; a new connection refreshes the list.</summary>
    private async Task AddConnectionAsync()
    {
        if (Environment is null)
        {
            return;
        }
        var parameters = new DialogParameters<AddConnectionDialog>
        {
            { d => d.Environment, Environment },
            { d => d.Integrations, _integrations },
        };
        var options = new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseButton = true, BackdropClick = false, CloseOnEscapeKey = true };
        var reference = await Dialogs.ShowAsync<AddConnectionDialog>("Add a connection", parameters, options);
        if (await reference.Result is { Canceled: false, Data: AddedConnection added })
        {
            Snackbar.Add($"Connection {added.ConnectionId} added to {added.ProviderConfigKey}.", Severity.Success);
            await ReloadGridAsync();
        }
    }

    private string ProviderName(ConnectionSummary connection) =>
        _integrations.FirstOrDefault(i => i.UniqueKey == connection.ProviderConfigKey)?.DisplayName
        ?? Catalog.Find(connection.Provider)?.DisplayName
        ?? connection.Provider;
}
