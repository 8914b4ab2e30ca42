using System.Text.Json.Nodes;
using Nango.Core.Environments;

namespace Nango.Core.Logs;

/// <summary>What is known when an operation starts; ids and names are denormalised so logs outlive what they describe.</summary>
public sealed record OperationStart
{
    public required LogOperationKind Kind { get; init; }
    public required int AccountId { get; init; }
    public string? AccountName { get; init; }
    public required int EnvironmentId { get; init; }
    public string? EnvironmentName { get; init; }
    public int? IntegrationId { get; init; }
    public string? IntegrationKey { get; init; }
    public string? Provider { get; init; }
    public int? ConnectionId { get; init; }
    public string? ConnectionName { get; init; }
    public string? FunctionName { get; init; }
    public string? JobId { get; init; }
    public LogActor? Actor { get; init; }
    public LogHttpRequest? Request { get; init; }
    public JsonObject? Meta { get; init; }

    /// <summary><c>waiting</c> for queued work, <c>running</c> (default) for work that starts now.</summary>
    public string State { get; init; } = OperationStates.Running;

    /// <summary>Overrides the per-type default expiry (<see cref="LogOperationKinds.DefaultExpiry"/>).</summary>
    public TimeSpan? ExpiresIn { get; init; }

    public static OperationStart For(LogOperationKind kind, EnvironmentContext environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new OperationStart
        {
            Kind = kind,
            AccountId = environment.AccountId,
            EnvironmentId = environment.EnvironmentId,
            EnvironmentName = environment.EnvironmentName,
        };
    }
}

/// <summary>A message with every optional part; the level shortcuts on <see cref="IOperationLog"/> cover the usual cases.</summary>
public sealed record LogEntry
{
    public required string Level { get; init; }
    public required string Message { get; init; }
    public string Source { get; init; } = MessageSources.Internal;
    public string? Context { get; init; }
    public LogError? Error { get; init; }
    public JsonObject? Meta { get; init; }
    public LogPersistResults? PersistResults { get; init; }
    public LogRetry? Retry { get; init; }
}
