using System.Net;
using System.Net.Http.Json;
using Nango.Core.Environments;
using Nango.Tests.Infrastructure;
using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Api.Proxy.Support;

/// <summary>
/// Two Nango.Web instances with private networks refused (<c>Nango:Proxy:AllowPrivateNetworks=false</c>), each with
/// an API-key integration pointing at the loopback <see cref="Upstream"/>: <see cref="Strict"/> allows nothing private,
/// <see cref="AllowListed"/> lets 127.0.0.1/32 through (<c>Nango:Proxy:AllowedNetworks</c>) and nothing else. A
/// second listener on 127.0.0.2 (<see cref="Private"/>) stands for a private service that must never be reached.
/// </summary>
public sealed class ProxySsrfWorld : IAsyncLifetime
{
    public const string AllowedNetwork = "127.0.0.1/32";

    private readonly string _catalogDirectory = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));

    public ProxyUpstream Upstream { get; private set; } = null!;

    /// <summary>On 127.0.0.2, outside the allow-list.</summary>
    public ProxyUpstream Private { get; private set; } = null!;

    public NangoWebFactory Strict { get; private set; } = null!;

    public NangoWebFactory AllowListed { get; private set; } = null!;

    public EnvironmentContext AllowListedEnvironment { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Upstream = await ProxyUpstream.StartAsync(IPAddress.Loopback);
        Private = await ProxyUpstream.StartAsync(IPAddress.Parse("127.0.0.2"));
        var catalog = ProxyCatalog.WriteApiKeyOnly(_catalogDirectory, Upstream);
        Strict = new GuardedFactory(catalog, allowedNetwork: null);
        await Strict.InitializeAsync();
        AllowListed = new GuardedFactory(catalog, AllowedNetwork);
        await AllowListed.InitializeAsync();
        AllowListedEnvironment = await AllowListed.GetEnvironmentAsync(AllowListed.SecretKey);
        foreach (var web in new[] { Strict, AllowListed })
        {
            using var api = web.CreateApiClient();
            await EnsureCreatedAsync(await api.PostAsJsonAsync("/integrations", new { provider = ProxyCatalog.ApiKey, unique_key = ProxyCatalog.ApiKey }));
            await EnsureCreatedAsync(await api.PostAsJsonAsync("/connections", new
            {
                provider_config_key = ProxyCatalog.ApiKey,
                connection_id = ProxyWorld.ConnectionId,
                credentials = new { type = "API_KEY", apiKey = ProxyWorld.ApiKeyValue },
            }));
        }
    }

    private static async Task EnsureCreatedAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await AllowListed.DisposeAsync();
        await Strict.DisposeAsync();
        await Private.DisposeAsync();
        await Upstream.DisposeAsync();
        if (Directory.Exists(_catalogDirectory))
        {
            Directory.Delete(_catalogDirectory, recursive: true);
        }
    }

    private sealed class GuardedFactory(string catalog, string? allowedNetwork) : NangoWebFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [
            TestProviders.Setting(catalog),
            new("Nango:Scheduling:Enabled", "false"),
            new("Nango:Proxy:AllowPrivateNetworks", "false"),
            new("Nango:Proxy:RetryBaseDelay", ProxyCalls.RetryBaseDelaySetting),
            .. allowedNetwork is null ? [] : new KeyValuePair<string, string?>[] { new("Nango:Proxy:AllowedNetworks:0", allowedNetwork) },
        ];
    }
}
