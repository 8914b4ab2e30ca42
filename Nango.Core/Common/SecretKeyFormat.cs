using System.Text.RegularExpressions;

namespace Nango.Core.Common;

/// <summary>Nango's secret keys are UUID v4; anything else is rejected before a database lookup.</summary>
public static partial class SecretKeyFormat
{
    [GeneratedRegex("^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UuidV4();

    public static bool IsValid(string value) => UuidV4().IsMatch(value);

    public static string NewKey() => Guid.NewGuid().ToString();
}
