using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>One provider of the catalog (Nango's providers.yaml entry), after alias resolution.</summary>
public sealed class ProviderDefinition
{
    public required string Name { get; init; }

    public required string DisplayName { get; init; }

    public required string AuthMode { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public string? Docs { get; init; }

    /// <summary>The full entry as JSON, exactly as the catalog states it (aliases merged).</summary>
    public required JsonObject Raw { get; init; }
}
