using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Nango.Tests.Infrastructure.AuthModes;

/// <summary>
/// The token modes' side of the fake provider: an API under <c>/jwt/api</c> that accepts JWTs signed with a
/// registered RSA public key or HMAC secret (checked by hand: split, decode, verify, expiry), TWO_STEP token and
/// refresh endpoints, and a GitHub-App-style installation token endpoint that checks the app JWT.
/// </summary>
public sealed partial class FakeProviderServer
{
    public const string TwoStepUser = "alice";
    public const string TwoStepPassword = "pa:ss word";
    public const string TwoStepApiKey = "two-step-key";

    private readonly ConcurrentDictionary<string, RSA> _rsaKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte[]> _hmacKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);
    private int _twoStepTokens;
    private int _installationTokens;

    public Uri JwtApiUrl => new(BaseUrl, "jwt/api");

    public Uri TwoStepTokenUrl => new(BaseUrl, "two-step/token");

    public Uri TwoStepFormTokenUrl => new(BaseUrl, "two-step/token-form");

    public Uri TwoStepRefreshUrl => new(BaseUrl, "two-step/refresh");

    /// <summary>A discovery document naming the token endpoint, for entries with <c>additional_steps</c>.</summary>
    public Uri TwoStepDiscoveryUrl => new(BaseUrl, "two-step/discovery");

    /// <summary>The token URL template of the app mode, with the installation id left to Nango.</summary>
    public string InstallationTokenUrlTemplate => new Uri(BaseUrl, "app/installations/").ToString() + "${connectionConfig.installation_id}/access_tokens";

    /// <summary>The header and payload of the last JWT the API accepted.</summary>
    public (JsonObject Header, JsonObject Payload)? LastJwt { get; private set; }

    public int TwoStepTokenRequests => _twoStepTokens;

    public int TwoStepRefreshRequests { get; private set; }

    public int InstallationTokenRequests => _installationTokens;

    /// <summary>The last installation token issued, and the app JWT that asked for it.</summary>
    public (string Installation, string Token, JsonObject JwtPayload)? LastInstallationToken { get; private set; }

    /// <summary>Lifetime of the TWO_STEP tokens issued from now on.</summary>
    public int TwoStepExpiresInSeconds { get; set; } = 3600;

    /// <summary>Accepts JWTs whose <c>iss</c> (or <c>kid</c>) is <paramref name="issuerOrKeyId"/> signed by this RSA key.</summary>
    public void TrustRsaKey(string issuerOrKeyId, RSA publicKey) => _rsaKeys[issuerOrKeyId] = publicKey;

    public void TrustHmacKey(string keyId, byte[] secret) => _hmacKeys[keyId] = secret;

    private void MapOtherModes(WebApplication app)
    {
        app.MapGet("/jwt/api/{**path}", (HttpRequest request) =>
        {
            var authorization = request.Headers.Authorization.ToString();
            var space = authorization.IndexOf(' ', StringComparison.Ordinal);
            var verified = space > 0 ? Verify(authorization[(space + 1)..]) : null;
            if (verified is null)
            {
                return Results.Json(new { error = "invalid_token" }, statusCode: StatusCodes.Status401Unauthorized);
            }
            LastJwt = verified;
            return Results.Json(new { scheme = authorization[..space], iss = verified.Value.Payload["iss"]?.ToString() });
        });

        app.MapGet("/two-step/discovery", () => Results.Json(new { endpoints = new { token = TwoStepTokenUrl.ToString() } }));

        app.MapPost("/two-step/token", async (HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
            if (request.Headers["x-api-key"].ToString() != TwoStepApiKey || body?["username"]?.ToString() != TwoStepUser || body["password"]?.ToString() != TwoStepPassword)
            {
                return Results.Json(new { message = "bad credentials" }, statusCode: StatusCodes.Status401Unauthorized);
            }
            return Results.Json(IssueTwoStep());
        });

        app.MapPost("/two-step/token-form", async (HttpRequest request) =>
        {
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TwoStepUser}:{TwoStepPassword}"));
            var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
            if (request.Headers.Authorization.ToString() != expected || form?["grant_type"].ToString() != "client_credentials")
            {
                return Results.Json(new { message = "bad credentials" }, statusCode: StatusCodes.Status401Unauthorized);
            }
            var n = Interlocked.Increment(ref _twoStepTokens);
            return Results.Json(new { access_token = $"form-token-{n}", expires = DateTimeOffset.UtcNow.AddSeconds(TwoStepExpiresInSeconds).ToString("O") });
        });

        app.MapPost("/two-step/refresh", async (HttpRequest request) =>
        {
            var body = await JsonNode.ParseAsync(request.Body) as JsonObject;
            if (body?["refresh_token"]?.ToString() is not { } refresh || !_refreshTokens.TryRemove(refresh, out _))
            {
                return Results.Json(new { message = "invalid refresh token" }, statusCode: StatusCodes.Status401Unauthorized);
            }
            TwoStepRefreshRequests++;
            return Results.Json(IssueTwoStep());
        });

        app.MapPost("/app/installations/{installation}/access_tokens", (string installation, HttpRequest request) =>
        {
            var authorization = request.Headers.Authorization.ToString();
            var verified = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? Verify(authorization[7..]) : null;
            if (verified is null)
            {
                return Results.Json(new { message = "A JSON web token could not be decoded" }, statusCode: StatusCodes.Status401Unauthorized);
            }
            var n = Interlocked.Increment(ref _installationTokens);
            var token = $"ghs_installation_{installation}_{n}";
            LastInstallationToken = (installation, token, verified.Value.Payload);
            return Results.Json(new
            {
                token,
                expires_at = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                permissions = new { contents = "read" },
                repository_selection = "all",
            }, statusCode: StatusCodes.Status201Created);
        });
    }

    private JsonObject IssueTwoStep()
    {
        var n = Interlocked.Increment(ref _twoStepTokens);
        var refresh = $"refresh-{n}-{Guid.NewGuid():N}";
        _refreshTokens[refresh] = "";
        return new JsonObject { ["data"] = new JsonObject { ["access"] = $"two-step-token-{n}", ["expires_in"] = TwoStepExpiresInSeconds, ["refresh"] = refresh } };
    }

    /// <summary>A compact JWS checked by hand against the trusted keys: signature, then expiry.</summary>
    private (JsonObject Header, JsonObject Payload)? Verify(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        var header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject;
        var payload = JsonNode.Parse(FromBase64Url(parts[1])) as JsonObject;
        if (header is null || payload is null)
        {
            return null;
        }
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        var signature = FromBase64Url(parts[2]);
        var keyId = header["kid"]?.ToString() ?? payload["iss"]?.ToString() ?? "";
        var valid = header["alg"]?.ToString() switch
        {
            "RS256" => _rsaKeys.TryGetValue(keyId, out var rsa) && rsa.VerifyData(signed, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            "HS256" => _hmacKeys.TryGetValue(keyId, out var secret) && CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(secret, signed), signature),
            _ => false,
        };
        var exp = payload["exp"]?.GetValue<long>() ?? 0;
        return valid && exp > DateTimeOffset.UtcNow.ToUnixTimeSeconds() ? (header, payload) : null;
    }

    private static byte[] FromBase64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
