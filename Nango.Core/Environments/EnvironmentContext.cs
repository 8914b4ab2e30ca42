namespace Nango.Core.Environments;

/// <summary>The tenant scope every service call runs in: which account and which of its environments.</summary>
public sealed record EnvironmentContext(int AccountId, int EnvironmentId, string EnvironmentName, Guid EnvironmentUuid)
{
    public static EnvironmentContext From(NangoEnvironment environment) =>
        new(environment.AccountId, environment.Id, environment.Name, environment.Uuid);
}
