using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Nango.Core.Secrets;

/// <summary>
/// The set of AES-256 keys secrets can be decrypted with, and the one new secrets are encrypted with.
/// Every ciphertext names its key id, so the primary key can change while old rows stay readable until
/// they are re-encrypted (see <see cref="SecretReEncryptionService"/>).
/// </summary>
public sealed partial class KeyRing
{
    private readonly Dictionary<string, byte[]> _keys;

    public KeyRing(byte[] primaryKey, IEnumerable<KeyValuePair<string, byte[]>>? olderKeys = null)
    {
        ArgumentNullException.ThrowIfNull(primaryKey);
        if (primaryKey.Length != 32)
        {
            throw new ArgumentException("The primary key must be 32 bytes.", nameof(primaryKey));
        }
        PrimaryKeyId = IdOf(primaryKey);
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [PrimaryKeyId] = primaryKey };
        foreach (var (id, key) in olderKeys ?? [])
        {
            // An older key may be listed under any id; ciphertexts carry the derived id, so index by that too.
            _keys.TryAdd(IdOf(key), key);
            _keys.TryAdd(id, key);
        }
    }

    public string PrimaryKeyId { get; }

    public byte[] PrimaryKey => _keys[PrimaryKeyId];

    public bool TryGetKey(string keyId, out byte[] key) => _keys.TryGetValue(keyId, out key!);

    /// <summary>A key's id is derived from the key itself, so configuration cannot mislabel it.</summary>
    public static string IdOf(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..12];

    public static bool IsValidKey(string base64)
    {
        var buffer = new byte[48];
        return Convert.TryFromBase64String(base64.Trim(), buffer, out var written) && written == 32;
    }

    public static bool IsValidKeyId(string id) => KeyIdPattern().IsMatch(id);

    public static byte[] GenerateKey() => RandomNumberGenerator.GetBytes(32);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex KeyIdPattern();
}
