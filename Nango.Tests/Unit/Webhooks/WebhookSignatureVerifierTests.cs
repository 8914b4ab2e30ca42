using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Providers;
using Nango.Core.Webhooks.Incoming;

namespace Nango.Tests.Unit.Webhooks;

public sealed class WebhookSignatureVerifierTests
{
    private const string Secret = "It's a Secret to Everybody";
    private static readonly DateTimeOffset _now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly ProviderCatalog _catalog = new(Options.Create(new NangoOptions()));

    private static ProviderWebhookSignature Scheme(string provider) => _catalog.Find(provider)!.WebhookSignature!;

    private static WebhookSignatureCheck Verify(ProviderWebhookSignature scheme, string body, Dictionary<string, string> headers) =>
        WebhookSignatureVerifier.Verify(scheme, Secret, name => headers.GetValueOrDefault(name), Encoding.UTF8.GetBytes(body), _now);

    private static Dictionary<string, string> Headers(params (string Name, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Name, p => p.Value, StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void GitHub_signature_is_the_documented_example()
    {
        // GitHub's own example: secret "It's a Secret to Everybody", payload "Hello, World!".
        const string expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

        var check = Verify(Scheme("github"), "Hello, World!", Headers(("X-Hub-Signature-256", expected)));
        var upperHex = Verify(Scheme("github"), "Hello, World!", Headers(("X-Hub-Signature-256", "sha256=" + expected[7..].ToUpperInvariant())));

        Assert.Equal(WebhookSignatureStatus.Verified, check.Status);
        Assert.Equal(WebhookSignatureStatus.Verified, upperHex.Status);
        Assert.Equal(Scheme("github"), Scheme("github-app"));
    }

    [Fact]
    public void GitHub_signature_missing_wrong_or_malformed_is_refused()
    {
        var scheme = Scheme("github-app");

        Assert.Equal(WebhookSignatureStatus.Missing, Verify(scheme, "{}", Headers()).Status);
        Assert.Equal(WebhookSignatureStatus.Invalid, Verify(scheme, "{}", Headers(("X-Hub-Signature-256", "sha256=" + new string('0', 64)))).Status);
        Assert.Equal(WebhookSignatureStatus.Invalid, Verify(scheme, "{}", Headers(("X-Hub-Signature-256", "sha1=abcd"))).Status);
        Assert.Equal(WebhookSignatureStatus.Invalid, Verify(scheme, "{}", Headers(("X-Hub-Signature-256", "sha256=abc"))).Status);
    }

    [Fact]
    public void Slack_signature_covers_the_timestamp_and_refuses_one_outside_five_minutes()
    {
        var scheme = Scheme("slack");
        const string body = "token=x&team_id=T1&command=%2Fweather";

        Dictionary<string, string> Signed(DateTimeOffset at)
        {
            var ts = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var digest = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"v0:{ts}:{body}"));
            return Headers(("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", "v0=" + Convert.ToHexStringLower(digest)));
        }

        Assert.Equal(WebhookSignatureStatus.Verified, Verify(scheme, body, Signed(_now.AddMinutes(-4))).Status);
        var stale = Verify(scheme, body, Signed(_now.AddMinutes(-6)));
        Assert.Equal(WebhookSignatureStatus.Invalid, stale.Status);
        Assert.Contains("outside the 300 s allowed", stale.Reason, StringComparison.Ordinal);
        Assert.Equal(WebhookSignatureStatus.Invalid, Verify(scheme, body, Signed(_now.AddMinutes(6))).Status);

        var moved = Signed(_now);
        moved["X-Slack-Request-Timestamp"] = (_now.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture);
        Assert.Equal(WebhookSignatureStatus.Invalid, Verify(scheme, body, moved).Status);

        var noTimestamp = Signed(_now);
        noTimestamp.Remove("X-Slack-Request-Timestamp");
        Assert.Equal(WebhookSignatureStatus.Missing, Verify(scheme, body, noTimestamp).Status);
        Assert.Equal(WebhookSignatureStatus.Invalid, Verify(scheme, body, Headers(("X-Slack-Request-Timestamp", "soon"), ("X-Slack-Signature", "v0=00"))).Status);
    }

    [Fact]
    public void A_generic_scheme_signs_timestamp_dot_body_in_base64()
    {
        var scheme = Parse("""
            x:
              display_name: X
              auth_mode: NONE
              webhook_signature:
                header: Webhook-Signature
                algorithm: sha512
                encoding: base64
                prefix: 'v1,'
                signed_payload: timestamp_dot_body
                timestamp_header: Webhook-Timestamp
                timestamp_tolerance: 60
            """);
        var ts = _now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var digest = HMACSHA512.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(ts + ".{\"a\":1}"));

        var check = Verify(scheme, "{\"a\":1}", Headers(("Webhook-Timestamp", ts), ("Webhook-Signature", "v1," + Convert.ToBase64String(digest))));

        Assert.Null(scheme.Problem);
        Assert.Equal(TimeSpan.FromSeconds(60), scheme.TimestampTolerance);
        Assert.Equal(WebhookSignatureStatus.Verified, check.Status);
    }

    [Fact]
    public void A_scheme_the_catalog_misdeclares_refuses_every_request_instead_of_skipping_the_check()
    {
        var scheme = Parse("""
            x:
              display_name: X
              auth_mode: NONE
              webhook_signature:
                header: X-Sig
                algorithm: md5
                signed_payload: '{timestamp}{body}'
            """);
        var check = Verify(scheme, "{}", Headers(("X-Sig", "9b2f3c0e")));

        Assert.Equal(WebhookSignatureStatus.Invalid, check.Status);
        Assert.Contains("algorithm 'md5'", scheme.Problem, StringComparison.Ordinal);
        Assert.Contains("timestamp_header is missing", scheme.Problem, StringComparison.Ordinal);
    }

    private static ProviderWebhookSignature Parse(string yaml)
    {
        using var reader = new StringReader(yaml);
        return ProviderCatalog.FromYaml(reader).Find("x")!.WebhookSignature!;
    }
}
