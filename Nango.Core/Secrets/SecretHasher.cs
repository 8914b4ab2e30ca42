using System.Security.Cryptography;
using System.Text;

namespace Nango.Core.Secrets;

/// <summary>
/// Secret keys are looked up by hash so the lookup never needs decryption. Keys are random UUIDs
/// (122 bits of entropy), so a fast unsalted hash is enough; it is keyed with a fixed label only to keep
/// these hashes distinct from any other SHA-256 of the same string.
/// </summary>
public static class SecretHasher
{
    private static readonly byte[] _label = Encoding.ASCII.GetBytes("nango-secret-key-v1");

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_label, Encoding.UTF8.GetBytes(secret.Trim().ToLowerInvariant())));
}
