using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Nango.Tests.Api.Auth.Support;

/// <summary>
/// A provider API on a loopback port that accepts exactly one API key (<c>/api-key/…</c>, as a bearer token) and one
/// username and password (<c>/basic/…</c>, HTTP Basic) and answers 401 to anything else: the target of the catalog's
/// <c>proxy.verification</c> for the API-key and basic test providers.
/// </summary>
public sealed class CredentialCheckApi : IAsyncDisposable
{
    public const string GoodApiKey = "good-api-key";
    public const string GoodUsername = "basic-user";
    public const string GoodPassword = "good-password";

    private readonly WebApplication _app;
    private int _requests;

    private CredentialCheckApi(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Verification requests received, accepted or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<CredentialCheckApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        CredentialCheckApi? api = null;
        var expectedBasic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{GoodUsername}:{GoodPassword}"));
        app.Map("/api-key/{**rest}", (HttpContext http) =>
        {
            Interlocked.Increment(ref api!._requests);
            return http.Request.Headers.Authorization == "Bearer " + GoodApiKey ? Results.Json(new { ok = true }) : Results.StatusCode(StatusCodes.Status401Unauthorized);
        });
        app.Map("/basic/{**rest}", (HttpContext http) =>
        {
            Interlocked.Increment(ref api!._requests);
            return http.Request.Headers.Authorization == expectedBasic ? Results.Json(new { ok = true }) : Results.StatusCode(StatusCodes.Status401Unauthorized);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api = new CredentialCheckApi(app, new Uri(address.TrimEnd('/') + "/"));
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
