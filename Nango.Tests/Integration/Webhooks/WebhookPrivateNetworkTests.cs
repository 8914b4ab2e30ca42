using Nango.Core.Webhooks;
using Nango.Tests.Infrastructure;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>With private networks refused, a webhook URL on this machine is never called and the operator is told why.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookPrivateNetworkTests : IAsyncLifetime
{
    private readonly WebhookFactory _web = new(
        ("Nango:Proxy:AllowPrivateNetworks", "false"),
        ("Nango:Webhooks:MaxAttempts", "1"));

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
    public async Task A_loopback_URL_is_refused_with_an_error_naming_the_setting()
    {
        // The literal address and a name that resolves to it: the check is on the address connected to.
        var byName = new UriBuilder(_receiver.Url) { Host = "localhost" }.Uri.ToString();
        var env = await PointAtAsync(_web, _receiver.Url.ToString(), byName);

        var deliveries = await PublishAsync(_web, Unordered(env, "ssrf"));
        Assert.Equal(2, deliveries.Count);
        var dead = await WaitForStatusAsync(_web, WebhookDeliveryStatus.Dead, deliveries.Select(d => d.Id));

        Assert.All(dead, d => Assert.Contains("Nango__Proxy__AllowPrivateNetworks", d.LastError, StringComparison.Ordinal));
        Assert.All(dead, d => Assert.Null(d.LastStatusCode));
        Assert.Empty(_receiver.All);
    }
}
