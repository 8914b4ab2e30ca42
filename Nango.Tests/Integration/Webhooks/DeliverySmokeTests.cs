using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Webhooks;

[Trait("Category", "Integration")]
public sealed class DeliverySmokeTests : IAsyncLifetime
{
    private readonly NangoWebFactory _web = new();
    private WebhookReceiver _receiver = null!;

    public async ValueTask InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await _web.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task A_test_event_arrives_signed_with_the_environment_key()
    {
        var ct = TestContext.Current.CancellationToken;
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        var environments = _web.Services.GetRequiredService<EnvironmentService>();
        await environments.UpdateWebhookSettingsAsync(env, new WebhookSettingsUpdate(_receiver.Url.ToString(), null, true, true, true, false, true), ct);
        var signingKey = await environments.RevealWebhookSigningKeyAsync(env, ct);

        var queued = await _web.Services.GetRequiredService<WebhookDeliveryService>().SendTestAsync(env, ct);
        var received = await _receiver.NextAsync();

        Assert.Equal(1, queued);
        Assert.Equal(WebhookSigner.NangoHmac(signingKey, received.Body), received.Header("x-nango-hmac-sha256"));
        Assert.Contains("\"type\":\"test\"", received.BodyText, StringComparison.Ordinal);
        Assert.NotNull(received.Header("webhook-id"));
    }
}
