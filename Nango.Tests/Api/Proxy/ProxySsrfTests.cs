using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Tests.Api.Proxy.Support;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// With private networks refused, the proxy is no way into the machine's own networks: loopback, link-local (cloud
/// metadata), private and CGNAT ranges, their IPv6 forms, names that resolve to them and redirects that lead to them
/// all answer 403 <c>destination_not_allowed</c>, and the listener behind them receives nothing. The allow-list opens
/// exactly the networks it names.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProxySsrfTests(ProxySsrfWorld world) : IClassFixture<ProxySsrfWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A client that gives up after 20 s, so a destination that is wrongly tried (and black-holes) fails the test quickly.</summary>
    private static HttpClient ClientFor(Infrastructure.NangoWebFactory web)
    {
        var client = web.CreateApiClient();
        client.Timeout = TimeSpan.FromSeconds(20);
        return client;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var error = await response.AssertErrorAsync(HttpStatusCode.Forbidden, "destination_not_allowed");
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
    }

    public static TheoryData<string> PrivateDestinations => new()
    {
        "http://127.0.0.1:{port}",
        "http://127.0.0.2:{private}",
        "http://localhost:{port}",
        "http://[::1]:{port}",
        "http://[::ffff:127.0.0.1]:{port}",
        "http://0.0.0.0:{port}",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1",
        "http://172.16.0.1",
        "http://192.168.1.1",
        "http://100.64.0.1",
        "http://[fd00::1]",
        "http://[fe80::1]",
    };

    private string Fill(string template) => template
        .Replace("{port}", world.Upstream.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{private}", world.Private.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(PrivateDestinations))]
    public async Task A_private_destination_is_403_destination_not_allowed_and_receives_nothing(string destination)
    {
        using var api = ClientFor(world.Strict);
        var path = ProxyCalls.UniquePath("ssrf");

        var response = await api.ProxyGetAsync(path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, ("Base-Url-Override", Fill(destination)), ("Retries", "2"));

        await AssertRefusedAsync(response);
        Assert.DoesNotContain(world.Upstream.All, r => r.Path.Contains(path, StringComparison.Ordinal));
        Assert.DoesNotContain(world.Private.All, r => r.Path.Contains(path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_providers_own_base_url_on_loopback_is_refused_too()
    {
        using var api = ClientFor(world.Strict);
        var path = ProxyCalls.UniquePath("provider-loopback");

        var response = await api.ProxyGetAsync(path, ProxyCatalog.ApiKey);

        await AssertRefusedAsync(response);
        Assert.Empty(world.Upstream.ReceivedUnder("/api-key" + path));
    }

    [Fact]
    public async Task The_allow_list_opens_the_networks_it_names_and_no_others()
    {
        using var api = ClientFor(world.AllowListed);
        var path = ProxyCalls.UniquePath("allow-listed");

        var allowed = await api.ProxyGetAsync(path, ProxyCatalog.ApiKey);
        var other = await api.ProxyGetAsync(path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, ("Base-Url-Override", $"http://127.0.0.2:{world.Private.Port.ToString(CultureInfo.InvariantCulture)}"));

        await allowed.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Single(world.Upstream.Received("/api-key" + path));
        await AssertRefusedAsync(other);
        Assert.Empty(world.Private.ReceivedUnder(path));
    }

    [Theory]
    [InlineData("http://127.0.0.2:{private}/internal/admin")]
    [InlineData("http://10.0.0.1/internal/admin")]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    public async Task A_redirect_to_a_private_address_is_refused_at_that_hop(string location)
    {
        using var api = ClientFor(world.AllowListed);
        var path = ProxyCalls.UniquePath("redirect-private");
        var target = Fill(location);
        world.Upstream.On("/api-key" + path, (context, _, _) =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = target;
            return Task.CompletedTask;
        });

        var response = await api.ProxyGetAsync(path, ProxyCatalog.ApiKey);

        await AssertRefusedAsync(response);
        Assert.Single(world.Upstream.Received("/api-key" + path));
        Assert.Empty(world.Private.ReceivedUnder("/internal/admin"));
    }

    [Fact]
    public async Task Base_url_override_can_be_disabled_per_environment()
    {
        var environments = world.AllowListed.Services.GetRequiredService<EnvironmentService>();
        using var api = ClientFor(world.AllowListed);
        var path = ProxyCalls.UniquePath("override-disabled");
        await environments.SetBaseUrlOverrideAllowedAsync(world.AllowListedEnvironment, allowed: false, Ct);
        try
        {
            // An allowed destination, even the provider's own: the override itself is what is refused.
            var overridden = await api.ProxyGetAsync(path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, ("Base-Url-Override", world.Upstream.Base + "/api-key"));
            var plain = await api.ProxyGetAsync(path, ProxyCatalog.ApiKey);

            await overridden.AssertErrorAsync(HttpStatusCode.BadRequest, "base_url_override_disabled");
            await plain.AssertStatusAsync(HttpStatusCode.OK);
            Assert.Single(world.Upstream.Received("/api-key" + path));
        }
        finally
        {
            await environments.SetBaseUrlOverrideAllowedAsync(world.AllowListedEnvironment, allowed: true, Ct);
        }
    }
}
