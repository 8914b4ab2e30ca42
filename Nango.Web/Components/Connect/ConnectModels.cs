using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Nango.Core.Providers;
using Nango.Web.Api.ConnectSessions;

namespace Nango.Web.Components.Connect;

/// <summary>What the Connect UI shows at a given moment.</summary>
public enum ConnectView
{
    Loading,

    /// <summary>No usable session: opened directly, the token is unknown or expired, or it could not be read.</summary>
    Unavailable,
    List,
    Integration,
    Success,
    Failure,
}

/// <summary>One integration the session allows, with what the UI needs to show and connect it.</summary>
public sealed record ConnectIntegration(
    string UniqueKey,
    string DisplayName,
    string Provider,
    string AuthMode,
    ProviderDefinition? Definition,
    IReadOnlySet<string> IntegrationCredentials)
{
    /// <summary>Drawn by the server (an initials avatar) at Nango's logo path; no provider site is hotlinked.</summary>
    public string LogoUrl => "images/template-logos/" + Uri.EscapeDataString(Provider) + ".svg";
}

/// <summary>Why a connection attempt failed: a frontend SDK <c>AuthErrorType</c> for the parent, and words for the user.</summary>
public sealed record ConnectFailure(string ErrorType, string Message, string? Details = null)
{
    /// <summary>The error types @nangohq/frontend declares; anything else reaches the parent as <c>unknown_error</c>, as Nango's UI does.</summary>
    private static readonly HashSet<string> _knownTypes = new(StringComparer.Ordinal)
    {
        "missing_auth_token", "blocked_by_browser", "invalid_host_url", "missing_credentials", "window_closed",
        "connection_test_failed", "missing_connect_session_token", "connection_validation_failed", "resource_capped", "unknown_error",
    };

    public string ParentErrorType => _knownTypes.Contains(ErrorType) ? ErrorType : "unknown_error";
}

/// <summary>What <c>connect-ui.js</c> learns about the page's surroundings.</summary>
public sealed record ConnectBrowserContext(
    [property: JsonPropertyName("embedded")] bool Embedded,
    [property: JsonPropertyName("parentOrigin")] string? ParentOrigin);

/// <summary>The outcome of a popup flow, as <c>connect-ui.js</c> reports it from the WebSocket.</summary>
public sealed record PopupResult(
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("providerConfigKey")] string? ProviderConfigKey,
    [property: JsonPropertyName("connectionId")] string? ConnectionId,
    [property: JsonPropertyName("isPending")] bool IsPending,
    [property: JsonPropertyName("errorType")] string? ErrorType,
    [property: JsonPropertyName("errorMessage")] string? ErrorMessage);

/// <summary>A credential flow's raw HTTP answer (status 0: the request never reached the server).</summary>
public sealed record FlowResponse(
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("body")] string? Body);

/// <summary>The Connect UI's theme: the session's settings, overridden by <c>?theme=</c> or a parent's <c>settings_changed</c>.</summary>
public static class ConnectTheme
{
    public static bool IsThemeName(string? value) => value is "light" or "dark" or "system";

    public static MudBlazor.MudTheme Build(ConnectUiSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new MudBlazor.MudTheme
        {
            PaletteLight = new MudBlazor.PaletteLight
            {
                Primary = settings.Theme.Light.Primary,
                Background = "#ffffff",
                Surface = "#ffffff",
            },
            PaletteDark = new MudBlazor.PaletteDark
            {
                Primary = settings.Theme.Dark.Primary,
                Background = "#111318",
                Surface = "#171a21",
            },
            LayoutProperties = new MudBlazor.LayoutProperties { DefaultBorderRadius = "8px" },
        };
    }

    /// <summary>A <c>ConnectUISettings</c> object from a parent's <c>settings_changed</c>; fields it leaves out keep their current value.</summary>
    public static ConnectUiSettings Merge(ConnectUiSettings current, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(payload);
        static string? Colour(JsonNode? node) =>
            node is JsonValue value && value.TryGetValue<string>(out var text) && System.Text.RegularExpressions.Regex.IsMatch(text, "^#[0-9a-fA-F]{3,8}$") ? text : null;
        var light = Colour(payload["theme"]?["light"]?["primary"]) ?? current.Theme.Light.Primary;
        var dark = Colour(payload["theme"]?["dark"]?["primary"]) ?? current.Theme.Dark.Primary;
        var defaultTheme = payload["defaultTheme"] is JsonValue t && t.TryGetValue<string>(out var name) && IsThemeName(name) ? name : current.DefaultTheme;
        var watermark = payload["showWatermark"] is JsonValue w && w.TryGetValue<bool>(out var show) ? show : current.ShowWatermark;
        return new ConnectUiSettings(new ConnectUiTheme(new ConnectUiColorPalette(light), new ConnectUiColorPalette(dark)), defaultTheme, watermark);
    }
}
