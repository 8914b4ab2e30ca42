using System.Text.Json.Nodes;

namespace Nango.Core.Functions.Deploy;

/// <summary>A deploy as the CLI describes it (<c>POST /sync/deploy</c> and its confirmation), already checked for shape.</summary>
public sealed record DeployRequest(
    IReadOnlyList<FlowDefinition> Flows,
    IReadOnlyList<OnEventScriptDefinition>? OnEventScripts,
    string DeployMode,
    bool Reconcile,
    bool Debug = false,
    string? SdkVersion = null,
    string? CliVersion = null);

/// <summary>One sync or action (Nango's <c>flowConfig</c>).</summary>
public sealed record FlowDefinition(
    string Name,
    string IntegrationKey,
    string Type,
    IReadOnlyList<string> Models,
    string? Version,
    string? Runs,
    bool AutoStart,
    bool TrackDeletes,
    JsonObject Attributes,
    string? Description,
    IReadOnlyList<string> Scopes,
    string? Input,
    string? SyncType,
    IReadOnlyList<FunctionEndpoint> Endpoints,
    IReadOnlyList<string> WebhookSubscriptions,
    JsonObject? JsonSchema,
    IReadOnlyList<string> Features,
    FunctionFiles Files);

public sealed record OnEventScriptDefinition(string IntegrationKey, string Name, string Event, FunctionFiles Files);

/// <summary>The compiled CommonJS bundle and the TypeScript source it came from.</summary>
public sealed record FunctionFiles(string Js, string Ts);

public sealed record FunctionEndpoint(string Method, string Path, string? Group);

[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "Nango's wire value 'single'.")]
public static class DeployModes
{
    public const string All = "all";
    public const string Integration = "integration";
    public const string Single = "single";
}
