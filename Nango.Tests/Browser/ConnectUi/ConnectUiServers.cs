using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Browser.ConnectUi;

/// <summary>A small Kestrel app on a loopback port, for the stand-ins the Connect UI tests need.</summary>
public abstract class LoopbackApp : IAsyncDisposable
{
    private WebApplication? _app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Starts the app; <paramref name="host"/> is the name the URL uses (the browser's origin), the socket is always 127.0.0.1.</summary>
    protected async Task StartAsync(string host)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        Map(_app);
        await _app.StartAsync();
        var port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        BaseUrl = new Uri($"http://{host}:{port}/");
    }

    protected abstract void Map(WebApplication app);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// An API-key provider: <c>GET /me</c> answers 200 for <see cref="AcceptedKey"/> sent as a bearer token and 401 for
/// anything else, so a catalog entry's <c>proxy.verification</c> can tell a good key from a bad one.
/// </summary>
public sealed class ApiKeyProvider : LoopbackApp
{
    public const string AcceptedKey = "key-accepted42";

    public int Checks { get; private set; }

    public static async Task<ApiKeyProvider> StartAsync()
    {
        var provider = new ApiKeyProvider();
        await provider.StartAsync("127.0.0.1");
        return provider;
    }

    protected override void Map(WebApplication app) => app.MapGet("/me", (HttpContext http) =>
    {
        Checks++;
        return http.Request.Headers.Authorization.ToString() == "Bearer " + AcceptedKey
            ? Results.Json(new { id = "account-1" })
            : Results.Json(new { error = "invalid api key" }, statusCode: StatusCodes.Status401Unauthorized);
    });
}

/// <summary>
/// The customer's web app: a page on its own origin (<c>localhost</c>, while Nango is <c>127.0.0.1</c>, so the
/// two are cross-site) that loads the official <c>@nangohq/frontend</c> 0.71.10 build from the harness's
/// node_modules. The package ships ES modules whose only imports are relative (<c>./authModal.js</c>,
/// <c>./connectUI.js</c>), so the browser loads <c>dist/</c> as is: no bundling, no import map.
/// </summary>
public sealed class FrontendHostPage : LoopbackApp
{
    private static readonly string _distDirectory = Path.Combine(NodeClient.HarnessDirectory, "node_modules", "@nangohq", "frontend", "dist");

    public static async Task<FrontendHostPage> StartAsync()
    {
        await NodeClient.EnsureInstalledAsync();
        var page = new FrontendHostPage();
        await page.StartAsync("localhost");
        return page;
    }

    /// <summary>The page, told where Nango is, which session token to use and what to connect.</summary>
    public Uri PageUrl(Uri nango, string sessionToken, string? integration = null, bool detectClosedAuthWindow = false, string? theme = null)
    {
        ArgumentNullException.ThrowIfNull(nango);
        var query = $"?nango={Uri.EscapeDataString(nango.ToString().TrimEnd('/'))}&token={Uri.EscapeDataString(sessionToken)}"
            + (integration is null ? "" : "&integration=" + Uri.EscapeDataString(integration))
            + (detectClosedAuthWindow ? "&detect=true" : "")
            + (theme is null ? "" : "&theme=" + Uri.EscapeDataString(theme));
        return new Uri(BaseUrl, "/" + query);
    }

    protected override void Map(WebApplication app)
    {
        app.MapGet("/", () => Results.Content(Html, "text/html; charset=utf-8"));
        app.MapGet("/frontend/{file}", (string file) =>
        {
            // Only the package's own files, by name: no paths.
            var path = Path.Combine(_distDirectory, Path.GetFileName(file));
            return file.EndsWith(".js", StringComparison.Ordinal) && File.Exists(path)
                ? Results.File(path, "text/javascript; charset=utf-8")
                : Results.NotFound();
        });
    }

    /// <summary>
    /// Two buttons, as an app would have them: one opens the Connect UI, one calls <c>nango.auth</c> directly.
    /// Every Connect UI event lands in <c>window.__events</c>; the auth promise's outcome in <c>window.__auth</c>.
    /// </summary>
    private const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Acme app</title>
        <style>body{font-family:system-ui,sans-serif;margin:40px;color:#1f2937}button{padding:10px 16px;margin-right:8px;font-size:15px}</style></head>
        <body>
        <h1>Acme</h1>
        <p>Connect your tools to Acme.</p>
        <button id="open-connect-ui" disabled>Connect an account</button>
        <button id="auth-popup" disabled>Authorise directly</button>
        <pre id="log"></pre>
        <script type="module">
        import Nango from '/frontend/index.js';
        const params = new URLSearchParams(location.search);
        const host = params.get('nango');
        const token = params.get('token');
        const detectClosedAuthWindow = params.get('detect') === 'true';
        const log = (line) => { document.getElementById('log').textContent += line + '\n'; };
        window.__events = [];
        window.__auth = null;
        const nango = new Nango({ host, connectSessionToken: token });
        document.getElementById('open-connect-ui').addEventListener('click', () => {
            nango.openConnectUI({
                baseURL: host + '/connect',
                apiURL: host,
                sessionToken: token,
                detectClosedAuthWindow,
                themeOverride: params.get('theme') || undefined,
                onEvent: (event) => { window.__events.push(event); log(JSON.stringify(event)); },
            });
        });
        document.getElementById('auth-popup').addEventListener('click', () => {
            nango.auth(params.get('integration'), { detectClosedAuthWindow })
                .then((result) => { window.__auth = { ok: true, ...result }; log('auth ok ' + JSON.stringify(result)); })
                .catch((error) => { window.__auth = { ok: false, type: error.type, message: error.message }; log('auth failed ' + error.type); });
        });
        for (const button of document.querySelectorAll('button')) { button.disabled = false; }
        </script>
        </body>
        </html>
        """;
}
