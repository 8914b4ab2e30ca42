using System.Net;
using Nango.Core.Http;

namespace Nango.Tests.Unit.Webhooks;

/// <summary>Which addresses a webhook (or proxy) request made on a user's behalf may connect to.</summary>
public sealed class OutboundAddressGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.42.0.9")]
    [InlineData("0.0.0.0")]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.254")]
    [InlineData("192.168.0.1")]
    [InlineData("192.168.255.255")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.254")]
    [InlineData("169.254.169.254")]
    [InlineData("169.254.0.1")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fe80::a9fe:a9fe")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456:789a::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("64:ff9b::10.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2002:a00:1::")]
    [InlineData("2002:c0a8:101::1")]
    public void Private_loopback_link_local_and_their_IPv6_forms_are_refused(string address)
    {
        var ip = IPAddress.Parse(address);

        Assert.False(OutboundAddressGuard.IsPublic(ip), $"{address} must not count as public");
        Assert.False(new OutboundAddressGuard(allowPrivateNetworks: false).IsAllowed(ip));
        Assert.True(new OutboundAddressGuard(allowPrivateNetworks: true).IsAllowed(ip));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("93.184.216.34")]
    [InlineData("11.0.0.1")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("192.169.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.255.255")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("2002:808:808::1")]
    public void Public_IPv4_and_IPv6_addresses_are_allowed(string address)
    {
        var ip = IPAddress.Parse(address);

        Assert.True(OutboundAddressGuard.IsPublic(ip), $"{address} is public");
        Assert.True(new OutboundAddressGuard(allowPrivateNetworks: false).IsAllowed(ip));
    }

    [Theory]
    [InlineData("10.20.3.4", true)]
    [InlineData("::ffff:10.20.3.4", true)]
    [InlineData("10.21.0.1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("169.254.169.254", false)]
    public void Only_the_allowed_networks_open_up_when_private_networks_are_refused(string address, bool allowed)
    {
        var guard = OutboundAddressGuard.FromOptions(new Nango.Core.ProxyOptions { AllowPrivateNetworks = false, AllowedNetworks = ["10.20.0.0/16"] }, isDevelopment: true);

        Assert.Equal(allowed, guard.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void Without_a_setting_private_networks_are_open_in_development_only()
    {
        Assert.True(OutboundAddressGuard.FromOptions(new Nango.Core.ProxyOptions(), isDevelopment: true).IsAllowed(IPAddress.Loopback));
        Assert.False(OutboundAddressGuard.FromOptions(new Nango.Core.ProxyOptions(), isDevelopment: false).IsAllowed(IPAddress.Loopback));
    }
}
