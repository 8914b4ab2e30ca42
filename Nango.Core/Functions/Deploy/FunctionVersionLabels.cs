using System.Globalization;
using System.Text.RegularExpressions;

namespace Nango.Core.Functions.Deploy;

/// <summary>Nango's version bump for a deploy that names no version: a semver's patch, or an integer plus one.</summary>
public static partial class FunctionVersionLabels
{
    [GeneratedRegex(@"^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$")]
    private static partial Regex SemverPattern();

    public static string Increment(string? previous)
    {
        if (string.IsNullOrEmpty(previous))
        {
            return "1";
        }
        var semver = SemverPattern().Match(previous);
        if (semver.Success)
        {
            var patch = long.Parse(semver.Groups[3].Value, CultureInfo.InvariantCulture) + 1;
            return $"{semver.Groups[1].Value}.{semver.Groups[2].Value}.{patch.ToString(CultureInfo.InvariantCulture)}";
        }
        return long.TryParse(previous, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? (number + 1).ToString(CultureInfo.InvariantCulture)
            // A label neither form reads (only an old deploy could have left one): start a fresh sequence after it.
            : previous + ".1";
    }
}
