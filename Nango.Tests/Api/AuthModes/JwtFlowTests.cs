using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.AuthModes;

/// <summary><c>POST /auth/jwt/:key</c>: a token signed per the catalog, checked by the provider's verification call.</summary>
[Trait("Category", "Integration")]
public sealed class JwtFlowTests(AuthModesWorld world) : IClassFixture<AuthModesWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_rsa_signed_token_is_made_from_the_catalog_template_verified_and_saved()
    {
        using var rsa = RSA.Create(2048);
        var keyId = "kid-" + Guid.NewGuid().ToString("N")[..8];
        world.Provider.TrustRsaKey(keyId, rsa);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.JwtRsa);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/jwt/{integration}", "jwt-rsa", "&params[scope]=GET%20/v1/apps"),
            new { type = "JWT", issuer = "issuer-1", keyId, privateKey = rsa.ExportPkcs8PrivateKeyPem() }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var (header, payload) = world.Provider.LastJwt!.Value;
        Assert.Equal("RS256", (string?)header["alg"]);
        Assert.Equal(keyId, (string?)header["kid"]);
        Assert.Equal("issuer-1", (string?)payload["iss"]);
        Assert.Equal("test-audience", (string?)payload["aud"]);
        Assert.Equal("GET /v1/apps", (string?)payload["scope"]![0]);
        Assert.Equal(3600, (long)payload["exp"]! - (long)payload["iat"]!);
        var credentials = await CredentialsAsync(integration, "jwt-rsa");
        Assert.Equal("JWT", (string?)credentials["type"]);
        Assert.Equal("issuer-1", (string?)credentials["issuer"]);
        Assert.Equal(3, ((string)credentials["token"]!).Split('.').Length);
        var expiresAt = DateTimeOffset.Parse((string)credentials["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        await world.AssertRecordedAsync(integration, "jwt-rsa", "JWT");
    }

    [Fact]
    public async Task An_optional_payload_value_left_out_drops_the_claim()
    {
        using var rsa = RSA.Create(2048);
        var keyId = "kid-" + Guid.NewGuid().ToString("N")[..8];
        world.Provider.TrustRsaKey(keyId, rsa);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.JwtRsa);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/jwt/{integration}", "jwt-no-scope"),
            new { issuer = "issuer-2", keyId, privateKey = rsa.ExportPkcs8PrivateKeyPem() }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        Assert.Null(world.Provider.LastJwt!.Value.Payload["scope"]);
    }

    [Fact]
    public async Task An_id_colon_secret_key_signs_with_hmac_and_keeps_both_parts()
    {
        var id = Guid.NewGuid().ToString("N")[..24];
        var secret = RandomNumberGenerator.GetBytes(32);
        world.Provider.TrustHmacKey(id, secret);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.JwtHmac);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/jwt/{integration}", "jwt-hmac"),
            new { privateKey = id + ":" + Convert.ToHexStringLower(secret) }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(id, (string?)world.Provider.LastJwt!.Value.Header["kid"]);
        Assert.Equal("/admin/", (string?)world.Provider.LastJwt!.Value.Payload["aud"]);
        var credentials = await CredentialsAsync(integration, "jwt-hmac");
        Assert.Equal(id, (string?)credentials["privateKey"]!["id"]);
    }

    [Fact]
    public async Task A_key_the_provider_does_not_trust_fails_the_check()
    {
        using var rsa = RSA.Create(2048);
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.JwtRsa);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/jwt/{integration}", "jwt-untrusted"),
            new { issuer = "issuer-3", keyId = "unknown-kid", privateKey = rsa.ExportPkcs8PrivateKeyPem() }, Ct);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "connection_test_failed");
    }

    [Fact]
    public async Task Missing_fields_and_unusable_keys_are_invalid_credentials()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.JwtRsa);
        using var client = new HttpClient();

        var missing = await client.PostAsJsonAsync(world.AuthUrl($"/auth/jwt/{integration}", "jwt-missing"), new { issuer = "i" }, Ct);
        var garbage = await client.PostAsJsonAsync(world.AuthUrl($"/auth/jwt/{integration}", "jwt-garbage"), new { issuer = "i", keyId = "k", privateKey = "not a key" }, Ct);

        var error = await missing.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_credentials");
        Assert.Contains("keyId", (string?)error["message"], StringComparison.Ordinal);
        await garbage.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_credentials");
    }

    private async Task<System.Text.Json.Nodes.JsonNode> CredentialsAsync(string integration, string connectionId)
    {
        using var api = world.Web.CreateApiClient();
        var response = await api.GetAsync($"/connection/{connectionId}?provider_config_key={integration}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync())["credentials"]!;
    }
}
