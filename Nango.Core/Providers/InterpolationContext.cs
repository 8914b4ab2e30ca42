using System.Text.Json.Nodes;

namespace Nango.Core.Providers;

/// <summary>
/// The values a catalog template may refer to. <c>${connectionConfig.x}</c>, <c>${credentials.x}</c> and
/// <c>${metadata.x}</c> read the matching object; <c>${apiKey}</c>, <c>${accessToken}</c>, <c>${clientId}</c> and
/// <c>${clientSecret}</c> read the named property; anything else (<c>${now}</c>, <c>${random}</c>,
/// <c>${assertionOption.x}</c>, a TWO_STEP step's output…) is looked up in <see cref="Values"/> and then
/// <see cref="Objects"/>.
/// </summary>
public sealed class InterpolationContext
{
    public static InterpolationContext Empty { get; } = new();

    public JsonObject? ConnectionConfig { get; init; }

    /// <summary>The connection's credentials JSON (<c>{type, apiKey}</c>, <c>{type, access_token, …}</c>, …).</summary>
    public JsonObject? Credentials { get; init; }

    public JsonObject? Metadata { get; init; }

    /// <summary>Falls back to <c>credentials.apiKey</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Falls back to <c>credentials.access_token</c>, then <c>credentials.token</c> (OAUTH2_CC, JWT, TWO_STEP).</summary>
    public string? AccessToken { get; init; }

    public string? ClientId { get; init; }

    public string? ClientSecret { get; init; }

    /// <summary>Other placeholders by their full name, dots included (<c>now</c>, <c>random</c>, <c>step1.token</c>).</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>Other roots by their first segment (<c>assertionOption</c> → object), for <c>${root.path}</c>.</summary>
    public IReadOnlyDictionary<string, JsonObject> Objects { get; init; } = new Dictionary<string, JsonObject>();
}
