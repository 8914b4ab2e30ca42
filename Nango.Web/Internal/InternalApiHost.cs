using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Functions;

namespace Nango.Web.Internal;

/// <summary>
/// The runners' callback API (DESIGN.md: "a listener that is not the public one"): a second, minimal Kestrel server
/// on <c>Nango__InternalUrl</c> that serves only <c>/internal/runner/…</c>, whatever the public server listens on.
/// Its handlers use the application's own services.
/// </summary>
public sealed class InternalApiHost(IServiceProvider services, IOptions<NangoOptions> options, InternalApiAddress address, ILogger<InternalApiHost> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Value.InternalUrl);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapRunnerCallbacks(services);
        await _app.StartAsync(cancellationToken);
        address.Url = _app.Urls.First();
        logger.LogInformation("Internal runner API listening on {Url}", address.Url);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
