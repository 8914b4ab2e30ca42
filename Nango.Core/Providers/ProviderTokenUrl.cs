using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>
/// <c>token_url</c>: one URL, or one per auth mode (GitHub App OAuth states <c>{OAUTH2: …, APP: …}</c> because it runs
/// both flows).
/// </summary>
public sealed class ProviderTokenUrl
{
    /// <summary>The URL when the catalog gives a single string.</summary>
    public string? Url { get; init; }

    /// <summary>URLs keyed by auth mode when the catalog gives an object.</summary>
    public IReadOnlyDictionary<string, string> ByAuthMode { get; init; } = new Dictionary<string, string>();

    /// <summary>The URL to use for a flow of <paramref name="authMode"/>: its own entry, else the single URL.</summary>
    public string? For(string authMode) => ByAuthMode.TryGetValue(authMode, out var url) ? url : Url;

    internal static ProviderTokenUrl? From(JsonNode? node) => node switch
    {
        JsonObject byMode => new ProviderTokenUrl { ByAuthMode = ProviderJson.StringMap(byMode) },
        JsonValue when ProviderJson.String(node) is { } url => new ProviderTokenUrl { Url = url },
        _ => null,
    };
}
