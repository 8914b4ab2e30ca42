using System.Net;
using System.Net.Sockets;

namespace Nango.Core.Http;

/// <summary>
/// Keeps outgoing calls made on a user's behalf (webhooks now; the proxy and OAuth token calls use it too) off
/// the machine's own networks. The check runs in <see cref="SocketsHttpHandler.ConnectCallback"/>, on the address
/// actually connected to, so a DNS answer that changes between check and use (rebinding) and every redirect hop
/// are covered. Refused: loopback, link-local (cloud metadata 169.254.169.254 included), private, CGNAT,
/// unspecified, multicast and their IPv6 forms, including IPv4-mapped IPv6, except inside the configured
/// allow-list of networks.
/// </summary>
public sealed class OutboundAddressGuard(bool allowPrivateNetworks, IReadOnlyList<IPNetwork>? allowedNetworks = null)
{
    private readonly IReadOnlyList<IPNetwork> _allowedNetworks = allowedNetworks ?? [];

    public bool AllowPrivateNetworks { get; } = allowPrivateNetworks;

    /// <summary>The guard the configuration describes (<c>Nango:Proxy:AllowPrivateNetworks</c>, <c>…:AllowedNetworks</c>).</summary>
    public static OutboundAddressGuard FromOptions(ProxyOptions options, bool isDevelopment)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new OutboundAddressGuard(options.AllowPrivateNetworks ?? isDevelopment, options.AllowedNetworks.Select(n => IPNetwork.Parse(n)).ToList());
    }

    /// <summary>A handler whose connections pass through this guard.</summary>
    public SocketsHttpHandler CreateHandler(bool allowAutoRedirect = false, int maxRedirects = 5) => new()
    {
        AllowAutoRedirect = allowAutoRedirect,
        MaxAutomaticRedirections = maxRedirects,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectCallback = ConnectAsync,
        // No W3C trace headers to third parties: our trace ids are nobody else's business.
        ActivityHeadersPropagator = null,
    };

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);

        var allowed = addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0)
        {
            throw new DestinationNotAllowedException(
                $"Refused to connect to '{host}': it resolves only to private, loopback or link-local addresses (set Nango__Proxy__AllowPrivateNetworks=true to allow them).");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public bool IsAllowed(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (AllowPrivateNetworks || IsPublic(address))
        {
            return true;
        }
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _allowedNetworks.Any(n => n.Contains(plain));
    }

    /// <summary>True for addresses on the public internet.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return false;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0                                   // this network
                || b[0] == 10                                    // private
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)    // CGNAT 100.64/10
                || b[0] == 127                                   // loopback
                || (b[0] == 169 && b[1] == 254)                  // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)     // private
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)       // IETF protocol assignments
                || (b[0] == 192 && b[1] == 168)                  // private
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))   // benchmarking
                || b[0] >= 224);                                 // multicast, reserved, broadcast
        }
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return false;
        }
        var bytes = address.GetAddressBytes();
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed IPv4 addresses: judge the embedded one.
        if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b)
        {
            return IsPublic(new IPAddress(bytes.AsSpan(12, 4)));
        }
        if (bytes[0] == 0x20 && bytes[1] == 0x02)
        {
            return IsPublic(new IPAddress(bytes.AsSpan(2, 4)));
        }
        return true;
    }
}

/// <summary>
/// A connection refused by <see cref="OutboundAddressGuard"/>. It is an <see cref="HttpRequestException"/> so
/// callers that only know "the request failed" keep working; the proxy tells it apart to answer 403.
/// </summary>
public sealed class DestinationNotAllowedException(string message) : HttpRequestException(HttpRequestError.ConnectionError, message);
