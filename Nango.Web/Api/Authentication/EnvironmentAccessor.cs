using Nango.Core.Environments;

namespace Nango.Web.Api.Authentication;

/// <summary>The environment the current API request is scoped to, set by secret-key authentication.</summary>
public static class EnvironmentAccessor
{
    private const string ItemKey = "nango.environment";

    public static void Set(HttpContext context, EnvironmentContext environment) => context.Items[ItemKey] = environment;

    public static EnvironmentContext GetNangoEnvironment(this HttpContext context) =>
        context.Items[ItemKey] as EnvironmentContext
        ?? throw new InvalidOperationException("No environment on this request: the endpoint must require secret-key authentication.");
}
