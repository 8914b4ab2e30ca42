namespace Nango.Core.Auth;

/// <summary>Why an auth flow stopped: a Nango error code (also the popup's <c>error_type</c>) and a sentence for people.</summary>
public sealed record AuthError(string Code, string Message)
{
    public static AuthError UnknownIntegration(string key) => new("unknown_provider_config", $"No integration '{key}' exists in this environment.");

    public static AuthError NotAllowed(string key) => new("integration_not_allowed", $"The integration '{key}' is not allowed by this connect session.");

    public static AuthError UnknownProvider(string provider) => new("unknown_provider_template", $"The provider '{provider}' is not in the catalog.");

    public static AuthError WrongMode(string key, string mode, string expected) =>
        new("invalid_auth_mode", $"The integration '{key}' uses {mode}, not {expected}.");
}
