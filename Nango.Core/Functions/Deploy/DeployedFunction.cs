namespace Nango.Core.Functions.Deploy;

/// <summary>
/// A function (sync, action or on-event script) deployed to one integration of an environment. Its
/// definition and code live in <see cref="FunctionVersion"/> rows, one per deploy that changed something;
/// <see cref="CurrentRevision"/> names the one in force. Removing a function soft-deletes this row and keeps
/// its versions, so a later deploy of the same name starts a new row with its own history.
/// </summary>
public sealed class DeployedFunction
{
    public int Id { get; set; }

    public int EnvironmentId { get; set; }

    public int IntegrationId { get; set; }

    /// <summary><c>sync</c>, <c>action</c> or <c>on-event</c> (<see cref="FunctionTypes"/>).</summary>
    public required string Type { get; set; }

    public required string Name { get; set; }

    /// <summary>For on-event scripts: the event they run on (Nango keys them by integration, name and event). Null otherwise.</summary>
    public string? Event { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary><c>repo</c> for functions deployed by the CLI (Nango's <c>source</c>).</summary>
    public string Source { get; set; } = FunctionSources.Repo;

    public int CurrentRevision { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The last deploy that included this function, whether or not it changed (Nango's <c>last_deployed</c>).</summary>
    public DateTimeOffset LastDeployedAt { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }
}

public static class FunctionTypes
{
    public const string Sync = "sync";
    public const string Action = "action";
    public const string OnEvent = "on-event";

    public static readonly IReadOnlyList<string> All = [Sync, Action, OnEvent];
}

public static class FunctionSources
{
    public const string Repo = "repo";
}

/// <summary>The events an on-event script can run on (Nango's <c>OnEventType</c>).</summary>
public static class FunctionEvents
{
    public const string PostConnectionCreation = "post-connection-creation";
    public const string PreConnectionDeletion = "pre-connection-deletion";
    public const string ValidateConnection = "validate-connection";

    public static readonly IReadOnlyList<string> All = [PostConnectionCreation, PreConnectionDeletion, ValidateConnection];
}
