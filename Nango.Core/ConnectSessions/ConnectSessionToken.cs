using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Nango.Core.ConnectSessions;

/// <summary>
/// Nango's session token: a fixed prefix and 64 lowercase hex digits (256 random bits), so a fast hash is
/// enough to look it up and a malformed token is refused before any database query.
/// </summary>
public static partial class ConnectSessionToken
{
    public const string Prefix = "nango_connect_session_";

    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    [GeneratedRegex("^nango_connect_session_[a-f0-9]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? token) => token is not null && Pattern().IsMatch(token);

    public static string New() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
