using System.Text;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Unit.Webhooks;

/// <summary>The Standard Webhooks check the integration tests rely on, and Nango's signer against it.</summary>
public sealed class WebhookSignerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void The_verifier_accepts_the_published_Standard_Webhooks_test_vector_and_nothing_else()
    {
        // The specification's own example; a second, bogus signature in the list must not matter.
        var headers = new Dictionary<string, string>
        {
            ["webhook-id"] = "msg_p5jXN8AQM9LWM0D4loKWxJek",
            ["webhook-timestamp"] = "1614265330",
            ["webhook-signature"] = "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        };
        var body = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
        var at = DateTimeOffset.FromUnixTimeSeconds(1614265330);

        Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, body, at));
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature,
            StandardWebhooksVerifier.Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", headers, Encoding.UTF8.GetBytes("{\"test\": 2432232315}"), at));
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature,
            StandardWebhooksVerifier.Verify("whsec_" + Convert.ToBase64String(new byte[24]), headers, body, at));
    }

    [Fact]
    public void A_signed_delivery_verifies_with_the_whsec_secret_and_refuses_tampering()
    {
        const string key = "0b3c8d5e-signing-key";
        var eventId = Guid.CreateVersion7();
        const string body = "{\"from\":\"nango\",\"type\":\"auth\",\"success\":true}";
        var headers = Headers(WebhookSigner.Sign(body, eventId, Now, key));
        var secret = WebhookSigner.StandardWebhooksSecret(key);

        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        Assert.Equal(eventId.ToString(), headers["webhook-id"]);
        Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify(secret, headers, Encoding.UTF8.GetBytes(body), Now));
        Assert.Single(StandardWebhooksVerifier.Signatures(headers["webhook-signature"]));

        var tamperedBody = Encoding.UTF8.GetBytes(body.Replace("true", "false", StringComparison.Ordinal));
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature, StandardWebhooksVerifier.Verify(secret, headers, tamperedBody, Now));
        var otherId = new Dictionary<string, string>(headers) { ["webhook-id"] = Guid.CreateVersion7().ToString() };
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature, StandardWebhooksVerifier.Verify(secret, otherId, Encoding.UTF8.GetBytes(body), Now));
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature,
            StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(key + "x"), headers, Encoding.UTF8.GetBytes(body), Now));
        Assert.Equal(WebhookSigner.NangoHmac(key, Encoding.UTF8.GetBytes(body)), headers["x-nango-hmac-sha256"]);
    }

    [Theory]
    [InlineData(-299, StandardWebhooksResult.Valid)]
    [InlineData(-301, StandardWebhooksResult.TimestampOutOfTolerance)]
    [InlineData(-3600, StandardWebhooksResult.TimestampOutOfTolerance)]
    [InlineData(301, StandardWebhooksResult.TimestampOutOfTolerance)]
    public void A_receiver_refuses_timestamps_more_than_five_minutes_away(int ageSeconds, StandardWebhooksResult expected)
    {
        const string key = "replay-key";
        const string body = "{}";
        var headers = Headers(WebhookSigner.Sign(body, Guid.CreateVersion7(), Now.AddSeconds(ageSeconds), key));

        Assert.Equal(expected, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret(key), headers, Encoding.UTF8.GetBytes(body), Now));
    }

    [Fact]
    public void During_a_rotation_both_keys_sign_and_either_secret_verifies()
    {
        const string body = "{\"type\":\"sync\"}";
        var headers = Headers(WebhookSigner.Sign(body, Guid.CreateVersion7(), Now, "new-key", previousSigningKey: "old-key"));

        Assert.Equal(2, StandardWebhooksVerifier.Signatures(headers["webhook-signature"]).Count);
        Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret("new-key"), headers, Encoding.UTF8.GetBytes(body), Now));
        Assert.Equal(StandardWebhooksResult.Valid, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret("old-key"), headers, Encoding.UTF8.GetBytes(body), Now));
        Assert.Equal(StandardWebhooksResult.NoMatchingSignature, StandardWebhooksVerifier.Verify(WebhookSigner.StandardWebhooksSecret("third-key"), headers, Encoding.UTF8.GetBytes(body), Now));
        Assert.Equal(WebhookSigner.NangoHmac("new-key", Encoding.UTF8.GetBytes(body)), headers["x-nango-hmac-sha256"]);
        Assert.Equal(WebhookSigner.NangoHmac("old-key", Encoding.UTF8.GetBytes(body)), headers["x-nango-hmac-sha256-previous"]);
    }

    private static Dictionary<string, string> Headers(IEnumerable<KeyValuePair<string, string>> signed) =>
        signed.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value);
}
