using Nango.Web.Api.Providers;

namespace Nango.Tests.Unit.Providers;

public sealed class ProviderLogosTests
{
    [Theory]
    [InlineData("Google Calendar", "GC")]
    [InlineData("GitHub (User OAuth)", "GH")]
    [InlineData("HubSpot", "HS")]
    [InlineData("Stripe", "ST")]
    [InlineData("x", "X")]
    [InlineData("", "?")]
    public void Initials_read_like_the_provider_name(string displayName, string expected) =>
        Assert.Equal(expected, ProviderLogos.Initials(displayName));

    [Fact]
    public void The_same_provider_always_gets_the_same_colour() =>
        Assert.Equal(ProviderLogos.Colour("github"), ProviderLogos.Colour("github"));
}
