namespace Nango.Core.Functions.Deploy;

/// <summary>What a deploy would do, as <c>POST /sync/deploy/confirmation</c> reports it for the CLI to show.</summary>
public sealed record DeployPlan(
    IReadOnlyList<PlannedSync> NewSyncs,
    IReadOnlyList<PlannedSync> UpdatedSyncs,
    IReadOnlyList<PlannedSync> DeletedSyncs,
    IReadOnlyList<PlannedAction> NewActions,
    IReadOnlyList<PlannedAction> UpdatedActions,
    IReadOnlyList<PlannedAction> DeletedActions,
    IReadOnlyList<string> DeletedModels,
    IReadOnlyList<PlannedOnEvent> NewOnEventScripts,
    IReadOnlyList<PlannedOnEvent> UpdatedOnEventScripts,
    IReadOnlyList<PlannedOnEvent> DeletedOnEventScripts);

public sealed record PlannedSync(string Name, string ProviderConfigKey, int Connections, bool AutoStart);

public sealed record PlannedAction(string Name, string ProviderConfigKey);

public sealed record PlannedOnEvent(string ProviderConfigKey, string Name, string Event);

/// <summary>One function in the answer to <c>POST /sync/deploy</c>.</summary>
public sealed record DeployedItem(string Name, IReadOnlyList<string> Models, string Version, string ProviderConfigKey, string Type);

public enum DeployOutcome
{
    Ok,
    UnknownIntegration,
    ConcurrentDeployment,
}

public sealed record DeployResult(DeployOutcome Outcome, IReadOnlyList<DeployedItem> Deployed, string? UnknownIntegrationKey = null)
{
    public int Created { get; init; }

    public int Updated { get; init; }

    public int Unchanged { get; init; }

    public int Deleted { get; init; }
}
