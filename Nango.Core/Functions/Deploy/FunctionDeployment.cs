namespace Nango.Core.Functions.Deploy;

/// <summary>
/// One <c>POST /sync/deploy</c>: who deployed what and how it ended. At most one runs per environment at a time
/// (a Postgres advisory lock held for the whole deploy, so it holds across Nango.Web instances and is released
/// if the instance dies); a second one meanwhile is refused with <c>409 concurrent_deployment</c>.
/// </summary>
public sealed class FunctionDeployment
{
    public long Id { get; set; }

    public int EnvironmentId { get; set; }

    /// <summary><see cref="FunctionDeploymentStates"/>.</summary>
    public required string State { get; set; }

    public string? CliVersion { get; set; }

    public string? SdkVersion { get; set; }

    /// <summary><c>all</c>, <c>integration</c> or <c>single</c>.</summary>
    public required string DeployMode { get; set; }

    public int Created { get; set; }

    public int Updated { get; set; }

    public int Unchanged { get; set; }

    public int Deleted { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

public static class FunctionDeploymentStates
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}
