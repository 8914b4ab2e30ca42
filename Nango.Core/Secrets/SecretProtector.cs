using System.Security.Cryptography;
using System.Text;

namespace Nango.Core.Secrets;

/// <summary>
/// AES-256-GCM encryption of secrets at rest. Format: <c>v1:&lt;keyId&gt;:&lt;base64(nonce|tag|ciphertext)&gt;</c>.
/// </summary>
public sealed class SecretProtector(KeyRing keyRing)
{
    private const string Version = "v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public KeyRing KeyRing => keyRing;

    public string Protect(string plaintext)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var payload = new byte[NonceSize + TagSize + plain.Length];
        var nonce = payload.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(keyRing.PrimaryKey, TagSize))
        {
            aes.Encrypt(nonce, plain, payload.AsSpan(NonceSize + TagSize), payload.AsSpan(NonceSize, TagSize), AssociatedData(keyRing.PrimaryKeyId));
        }
        return $"{Version}:{keyRing.PrimaryKeyId}:{Convert.ToBase64String(payload)}";
    }

    public string? ProtectOrNull(string? plaintext) => plaintext is null ? null : Protect(plaintext);

    public string Unprotect(string ciphertext)
    {
        var (keyId, payload) = Parse(ciphertext);
        if (!keyRing.TryGetKey(keyId, out var key))
        {
            throw new CryptographicException($"Secret was encrypted with key '{keyId}', which is not in the key ring (Nango__EncryptionKey / Nango__EncryptionKeys__<id>).");
        }
        var plain = new byte[payload.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(payload.AsSpan(0, NonceSize), payload.AsSpan(NonceSize + TagSize), payload.AsSpan(NonceSize, TagSize), plain, AssociatedData(keyId));
        return Encoding.UTF8.GetString(plain);
    }

    public string? UnprotectOrNull(string? ciphertext) => ciphertext is null ? null : Unprotect(ciphertext);

    public static string KeyIdOf(string ciphertext) => Parse(ciphertext).KeyId;

    public bool IsUnderPrimaryKey(string ciphertext) => KeyIdOf(ciphertext) == keyRing.PrimaryKeyId;

    /// <summary>Binding the key id into the tag stops a ciphertext being relabelled with another key's id.</summary>
    private static byte[] AssociatedData(string keyId) => Encoding.ASCII.GetBytes($"{Version}:{keyId}");

    private static (string KeyId, byte[] Payload) Parse(string ciphertext)
    {
        var parts = ciphertext.Split(':', 3);
        if (parts.Length != 3 || parts[0] != Version)
        {
            throw new CryptographicException("Unrecognised secret format.");
        }
        var payload = Convert.FromBase64String(parts[2]);
        if (payload.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Secret payload is truncated.");
        }
        return (parts[1], payload);
    }
}
