using System.Text.RegularExpressions;

namespace Nango.Core.Common;

/// <summary>Nango's identifier rules (reference §0.4), checked at every entry point.</summary>
public static partial class Identifiers
{
    public const int MaxLength = 255;

    [GeneratedRegex(@"^[a-zA-Z0-9~:.@ _-]+$")]
    private static partial Regex ProviderConfigKeyPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9_-]+$")]
    private static partial Regex ProviderPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9,.;:=+~\[\]|@${}""'\\/_ -]+$")]
    private static partial Regex ConnectionIdPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentVariableNamePattern();

    public static bool IsProviderConfigKey(string? value) => IsValid(value, ProviderConfigKeyPattern());

    public static bool IsProvider(string? value) => IsValid(value, ProviderPattern());

    /// <summary>Sync and action names and sync variants share the provider-name rule.</summary>
    public static bool IsFunctionName(string? value) => IsValid(value, ProviderPattern());

    public static bool IsConnectionId(string? value) => IsValid(value, ConnectionIdPattern());

    public static bool IsEnvironmentVariableName(string? value) => IsValid(value, EnvironmentVariableNamePattern());

    private static bool IsValid(string? value, Regex pattern) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && pattern.IsMatch(value);
}
