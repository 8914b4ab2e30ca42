using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Auth.Tokens;
using Nango.Core.Providers;

namespace Nango.Tests.Unit.Auth;

/// <summary>JWT credentials made from real catalog entries, each token checked with the matching public key or secret.</summary>
public sealed class CatalogJwtTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly ProviderCatalog Catalog = new(Options.Create(new NangoOptions()));

    [Fact]
    public void Ghost_admin_splits_the_admin_key_and_signs_hs256_with_the_hex_secret()
    {
        var id = "0123456789abcdef01234567";
        var secret = RandomNumberGenerator.GetBytes(32);

        var (credentials, error) = JwtCredentials.Issue(Catalog.Find("ghost-admin")!, new JsonObject { ["privateKey"] = id + ":" + Convert.ToHexStringLower(secret) }, [], Now);

        Assert.Null(error);
        var (header, payload, signed, signature) = Parts((string)credentials!["token"]!);
        Assert.Equal(("HS256", id), ((string?)header["alg"], (string?)header["kid"]));
        Assert.Equal("/admin/", (string?)payload["aud"]);
        Assert.Equal(300, (long)payload["exp"]! - (long)payload["iat"]!);
        Assert.Equal(HMACSHA256.HashData(secret, signed), signature);
        Assert.Equal(id, (string?)credentials["privateKey"]!["id"]);
        Assert.Equal("2026-01-02T03:09:05.000Z", (string?)credentials["expires_at"]);
    }

    [Fact]
    public void Apple_app_store_signs_es256_with_key_id_issuer_and_scope()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var input = new JsonObject { ["issuerId"] = "57246542-96fe", ["privateKeyId"] = "2X9R4HXF34", ["privateKey"] = ec.ExportPkcs8PrivateKeyPem() };

        var (credentials, error) = JwtCredentials.Issue(Catalog.Find("apple-app-store")!, input, new JsonObject { ["scope"] = "GET /v1/apps" }, Now);

        Assert.Null(error);
        var (header, payload, signed, signature) = Parts((string)credentials!["token"]!);
        Assert.Equal(("ES256", "2X9R4HXF34", "JWT"), ((string?)header["alg"], (string?)header["kid"], (string?)header["typ"]));
        Assert.Equal(("appstoreconnect-v1", "57246542-96fe"), ((string?)payload["aud"], (string?)payload["iss"]));
        Assert.True(JsonNode.DeepEquals(new JsonArray("GET /v1/apps"), payload["scope"]));
        Assert.True(ec.VerifyData(signed, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Snowflake_puts_the_public_key_fingerprint_in_the_issuer()
    {
        using var rsa = RSA.Create(2048);
        var input = new JsonObject { ["accountIdentifier"] = "ACCT", ["userName"] = "USER", ["privateKey"] = rsa.ExportPkcs8PrivateKeyPem() };

        var (credentials, error) = JwtCredentials.Issue(Catalog.Find("snowflake-jwt")!, input, new JsonObject { ["subdomain"] = "acct" }, Now);

        Assert.Null(error);
        var (header, payload, signed, signature) = Parts((string)credentials!["token"]!);
        Assert.Equal("RS256", (string?)header["alg"]);
        Assert.Equal("ACCT.USER.SHA256:" + Convert.ToBase64String(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo())), (string?)payload["iss"]);
        Assert.Equal("ACCT.USER", (string?)payload["sub"]);
        Assert.True(rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Missing_required_credentials_are_named()
    {
        var (credentials, error) = JwtCredentials.Issue(Catalog.Find("apple-app-store")!, new JsonObject { ["issuerId"] = "x" }, [], Now);

        Assert.Null(credentials);
        Assert.Equal("invalid_credentials", error!.Code);
        Assert.Contains("privateKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("privateKeyId", error.Message, StringComparison.Ordinal);
    }

    private static (JsonNode Header, JsonNode Payload, byte[] Signed, byte[] Signature) Parts(string jwt)
    {
        var parts = jwt.Split('.');
        return (JsonNode.Parse(Base64Url(parts[0]))!, JsonNode.Parse(Base64Url(parts[1]))!, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]));
    }

    private static byte[] Base64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
