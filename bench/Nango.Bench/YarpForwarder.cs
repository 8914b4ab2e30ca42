using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Nango.Bench;

/// <summary>
/// The proxy scenario's .NET baseline, run as its own process (<c>Nango.Bench yarp-forwarder</c>): Kestrel and YARP's
/// direct forwarder (<c>MapForwarder</c>, Microsoft's reverse-proxy toolkit with its pooled HTTP client), which strips
/// <c>/proxy</c> and adds the API key header like the provider template would, and does nothing else. What one
/// forwarding hop costs on this machine with the stack Nango.Web runs on; Nango.Web's proxy does the same hop plus
/// its own work (secret key, connection, credentials, log operation, retries and redirects under the SSRF guard).
///
/// <c>UPSTREAM=http://127.0.0.1:5000 API_KEY=... dotnet Nango.Bench.dll yarp-forwarder</c>; prints
/// "listening &lt;port&gt; &lt;YARP version&gt;" once it accepts requests.
/// </summary>
internal static class YarpForwarder
{
    public const string Command = "yarp-forwarder";

    public static async Task<int> RunAsync()
    {
        var upstream = System.Environment.GetEnvironmentVariable("UPSTREAM");
        if (string.IsNullOrEmpty(upstream))
        {
            await Console.Error.WriteLineAsync("UPSTREAM is required");
            return 2;
        }
        var apiKey = System.Environment.GetEnvironmentVariable("API_KEY") ?? "";

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapForwarder("/proxy/{**rest}", upstream, transforms =>
        {
            transforms.AddPathRemovePrefix("/proxy");
            transforms.AddRequestHeader("x-api-key", apiKey, append: false);
        });
        await app.StartAsync();

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var version = typeof(IHttpForwarder).Assembly.GetName().Version;
        Console.WriteLine($"listening {address.Port} {version}");
        await app.WaitForShutdownAsync();
        return 0;
    }
}
