using System.Security.Cryptography;
using Nango.Core.Secrets;

namespace Nango.Tests.Unit.Secrets;

public sealed class SecretProtectorTests
{
    private static readonly byte[] _keyA = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] _keyB = RandomNumberGenerator.GetBytes(32);

    [Theory]
    [InlineData("")]
    [InlineData("client-secret")]
    [InlineData("""{"type":"OAUTH2","access_token":"t","raw":{"nested":[1,2,3]}}""")]
    [InlineData("non-ascii ✓ é 日本")]
    public void Protected_text_unprotects_to_the_same_text(string plaintext)
    {
        var protector = new SecretProtector(new KeyRing(_keyA));

        var ciphertext = protector.Protect(plaintext);

        Assert.Equal(plaintext, protector.Unprotect(ciphertext));
    }

    [Fact]
    public void Each_protection_of_the_same_text_differs()
    {
        var protector = new SecretProtector(new KeyRing(_keyA));

        var first = protector.Protect("same secret");
        var second = protector.Protect("same secret");

        Assert.NotEqual(first, second);
        Assert.DoesNotContain("same secret", first, StringComparison.Ordinal);
    }

    [Fact]
    public void Ciphertext_names_the_key_id_derived_from_the_primary_key()
    {
        var ring = new KeyRing(_keyA);
        var protector = new SecretProtector(ring);

        var ciphertext = protector.Protect("secret");

        var parts = ciphertext.Split(':');
        Assert.Equal(3, parts.Length);
        Assert.Equal("v1", parts[0]);
        Assert.Equal(KeyRing.IdOf(_keyA), parts[1]);
        Assert.Equal(ring.PrimaryKeyId, SecretProtector.KeyIdOf(ciphertext));
        Assert.Matches("^[0-9a-f]{12}$", parts[1]);
        Assert.True(protector.IsUnderPrimaryKey(ciphertext));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(28)]
    [InlineData(-1)]
    public void Changing_any_byte_of_nonce_tag_or_ciphertext_is_detected(int index)
    {
        var protector = new SecretProtector(new KeyRing(_keyA));
        var parts = protector.Protect("tamper with me").Split(':');
        var payload = Convert.FromBase64String(parts[2]);
        payload[index < 0 ? payload.Length - 1 : index] ^= 0x01;
        var tampered = $"{parts[0]}:{parts[1]}:{Convert.ToBase64String(payload)}";

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(tampered));
    }

    [Fact]
    public void Unknown_key_id_fails_with_a_message_naming_the_key_and_the_settings()
    {
        var ciphertext = new SecretProtector(new KeyRing(_keyA)).Protect("secret");
        var other = new SecretProtector(new KeyRing(_keyB));

        var error = Assert.Throws<CryptographicException>(() => other.Unprotect(ciphertext));

        Assert.Contains($"'{KeyRing.IdOf(_keyA)}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not in the key ring", error.Message, StringComparison.Ordinal);
        Assert.Contains("Nango__EncryptionKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ciphertext_relabelled_with_another_keys_id_fails_even_when_both_keys_are_known()
    {
        var ring = new KeyRing(_keyB, [KeyValuePair.Create("old", _keyA)]);
        var protector = new SecretProtector(ring);
        var underA = new SecretProtector(new KeyRing(_keyA)).Protect("secret");
        var relabelled = underA.Replace(KeyRing.IdOf(_keyA), KeyRing.IdOf(_keyB), StringComparison.Ordinal);

        Assert.Equal("secret", protector.Unprotect(underA));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(relabelled));
    }

    [Fact]
    public void Older_key_listed_under_any_id_still_decrypts_and_new_secrets_use_the_primary()
    {
        var underA = new SecretProtector(new KeyRing(_keyA)).Protect("from before the rotation");
        var protector = new SecretProtector(new KeyRing(_keyB, [KeyValuePair.Create("retired-2026", _keyA)]));

        var read = protector.Unprotect(underA);
        var rewritten = protector.Protect(read);

        Assert.Equal("from before the rotation", read);
        Assert.False(protector.IsUnderPrimaryKey(underA));
        Assert.True(protector.IsUnderPrimaryKey(rewritten));
        Assert.Equal(KeyRing.IdOf(_keyB), SecretProtector.KeyIdOf(rewritten));
    }

    [Theory]
    [InlineData("plain text")]
    [InlineData("v2:abcdef123456:AAAA")]
    [InlineData("v1:abcdef123456")]
    [InlineData("v1:abcdef123456:AAAA")]
    public void Text_that_is_not_a_protected_secret_is_rejected(string value)
    {
        var protector = new SecretProtector(new KeyRing(_keyA));

        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(value));
    }

    [Fact]
    public void Primary_key_must_be_32_bytes()
    {
        Assert.Throws<ArgumentException>(() => new KeyRing(RandomNumberGenerator.GetBytes(16)));
    }
}
