using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Nango.Core.Auth.Tokens;
using Nango.Core.Providers;

namespace Nango.Tests.Unit.Auth;

/// <summary>JWT signing per catalog templates, and the template functions of the token modes.</summary>
public sealed class TokenTemplateTests
{
    [Fact]
    public void Es256_tokens_verify_with_the_public_key_in_jws_signature_format()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var jwt = JwtSigner.Sign(
            new JsonObject { ["alg"] = "ES256", ["kid"] = "KEY123", ["typ"] = "JWT" },
            new JsonObject { ["iss"] = "issuer", ["aud"] = "appstoreconnect-v1" },
            ec.ExportPkcs8PrivateKeyPem(), "EC");

        var parts = jwt.Split('.');
        var header = JsonNode.Parse(Base64Url(parts[0]))!;
        Assert.Equal("ES256", (string?)header["alg"]);
        Assert.Equal("KEY123", (string?)header["kid"]);
        Assert.Equal("JWT", (string?)header["typ"]);
        Assert.Equal("appstoreconnect-v1", (string?)JsonNode.Parse(Base64Url(parts[1]))!["aud"]);
        // JWS (RFC 7518 §3.4) wants r||s, 64 bytes for P-256, not DER.
        var signature = Base64Url(parts[2]);
        Assert.Equal(64, signature.Length);
        Assert.True(ec.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("utf8")]
    public void Hmac_secrets_are_hex_unless_the_catalog_says_utf8(string? encoding)
    {
        var secret = encoding is null ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : "a-utf8-secret-that-is-long-enough-for-hs256";
        var key = encoding is null ? Convert.FromHexString(secret) : Encoding.UTF8.GetBytes(secret);

        var jwt = JwtSigner.Sign(new JsonObject { ["alg"] = "HS256" }, new JsonObject { ["aud"] = "/admin/" }, secret, "HMAC", encoding);

        var parts = jwt.Split('.');
        Assert.Equal(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1])), Base64Url(parts[2]));
    }

    [Fact]
    public void A_pem_pasted_with_escaped_newlines_or_as_base64_still_imports()
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportRSAPrivateKeyPem();

        Assert.Equal(pem, JwtSigner.NormalizePem(Convert.ToBase64String(Encoding.UTF8.GetBytes(pem))));
        Assert.Equal(pem, JwtSigner.NormalizePem(pem.Replace("\n", "\\n", StringComparison.Ordinal)));
    }

    [Fact]
    public void Functions_run_after_the_placeholders_inside_them()
    {
        var context = new InterpolationContext { Credentials = new JsonObject { ["username"] = "alice", ["password"] = "p:w" } };

        var header = TemplateFunctions.Fill(JsonValue.Create("Basic ${base64(${credentials.username}:${credentials.password})}"), context);

        Assert.Equal("Basic " + Convert.ToBase64String("alice:p:w"u8), (string?)header);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("abc"u8)), TemplateFunctions.Apply("${sha256Hex(abc)}"));
    }

    [Fact]
    public void Fingerprint_is_the_sha256_of_the_public_key_info()
    {
        using var rsa = RSA.Create(2048);
        var expected = "SHA256:" + Convert.ToBase64String(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()));

        Assert.Equal("acct.user." + expected, TemplateFunctions.Apply("acct.user.${fingerprint(" + rsa.ExportPkcs8PrivateKeyPem() + ")}"));
    }

    [Fact]
    public void Fill_drops_values_whose_placeholders_stay_empty()
    {
        var template = new JsonObject { ["iss"] = "${credentials.issuer}", ["scope"] = new JsonArray("${connectionConfig.scope}"), ["aud"] = "fixed" };

        var filled = (JsonObject)TemplateFunctions.Fill(template, new InterpolationContext { Credentials = new JsonObject { ["issuer"] = "me" } })!;

        Assert.Equal("me", (string?)filled["iss"]);
        Assert.Equal("fixed", (string?)filled["aud"]);
        Assert.False(filled.ContainsKey("scope"));
    }

    private static byte[] Base64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
