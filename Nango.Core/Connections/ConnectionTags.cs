using System.Text.RegularExpressions;
using Nango.Core.Common;

namespace Nango.Core.Connections;

/// <summary>
/// Nango's rules for connection tags: a small flat labelling map (at most 10 keys), keys compared and stored
/// lower-case, values plain strings, and <c>end_user_email</c> holding an e-mail address.
/// </summary>
public static partial class ConnectionTags
{
    public const int MaxCount = 10;
    public const int MaxKeyLength = 64;
    public const int MaxValueLength = 255;

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9_\-./]*$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^[^\s@]+@[^\s@]+\.[^\s@]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    /// <summary>The same loose check Nango's schema makes (zod's <c>email()</c>, at least 5 characters).</summary>
    public static bool IsEmail(string? value) => value is { Length: >= 5 } && EmailPattern().IsMatch(value);

    public static List<ValidationError> Validate(IReadOnlyDictionary<string, string> tags, params object[] path)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var errors = new List<ValidationError>();
        if (tags.Count > MaxCount)
        {
            errors.Add(new ValidationError("custom", $"Tags cannot contain more than {MaxCount} keys", path));
            return errors;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            object[] at = [.. path, key];
            if (!KeyPattern().IsMatch(key))
            {
                errors.Add(new ValidationError("invalid_format", "Tag keys must start with a letter and contain only alphanumerics, underscores, hyphens, periods, or slashes", at));
            }
            else if (key.Length > MaxKeyLength)
            {
                errors.Add(new ValidationError("too_big", $"Tag keys must be at most {MaxKeyLength} characters", at));
            }
            if (value.Length == 0)
            {
                errors.Add(new ValidationError("too_small", "Too small: expected string to have >=1 characters", at));
            }
            else if (value.Length > MaxValueLength)
            {
                errors.Add(new ValidationError("too_big", $"Tag values must be at most {MaxValueLength} characters", at));
            }
            var normalized = key.ToLowerInvariant();
            if (!seen.Add(normalized))
            {
                errors.Add(new ValidationError("custom", $"Duplicate tag key after case normalization: \"{normalized}\"", path));
            }
            if (normalized == "end_user_email" && !IsEmail(value))
            {
                errors.Add(new ValidationError("custom", "Tag \"end_user_email\" must be a valid email", at));
            }
        }
        return errors;
    }

    /// <summary>Keys lower-cased so filters match however the caller spelled them; values kept as given.</summary>
    public static Dictionary<string, string> Normalize(IReadOnlyDictionary<string, string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var normalized = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            normalized[key.ToLowerInvariant()] = value;
        }
        return normalized;
    }
}
