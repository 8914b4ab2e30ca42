using Microsoft.AspNetCore.Components;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Components.Pages.Integrations;

public partial class IntegrationsPage : EnvironmentPage
{
    private IReadOnlyList<IntegrationSummary> _integrations = [];

    [Inject]
    public required IntegrationService Integrations { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    protected override async Task LoadAsync(EnvironmentContext environment, CancellationToken ct) =>
        _integrations = await Integrations.ListAsync(environment, ct);

    private void Open(IntegrationSummary integration) => Navigation.NavigateTo(DashboardUrls.Integration(Env, integration.UniqueKey));
}
