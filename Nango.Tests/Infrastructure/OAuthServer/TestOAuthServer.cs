using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Nango.Tests.Infrastructure.OAuthServer;

/// <summary>
/// A real OAuth 2 authorization server (OpenIddict) on its own loopback port, standing in for a provider:
/// authorization code with PKCE (S256) behind an HTML sign-in and consent form, rotating refresh tokens
/// that are good for one use each, client credentials, and a protected API under <c>/api</c>. Clients are
/// added at run time; <see cref="Counters"/> records the traffic. Use it as a class fixture.
/// </summary>
public sealed class TestOAuthServer : IAsyncLifetime
{
    public const string Username = "test-user";
    public const string Password = "test-password";
    public const string AuthorizationPath = "/oauth/authorize";
    public const string TokenPath = "/oauth/token";
    public const string ApiPath = "/api";

    public static readonly IReadOnlyList<string> SupportedScopes = ["read", "write", "profile", "email", Scopes.OfflineAccess];

    private WebApplication? _app;
    private string _databaseName = "";

    public Uri BaseUrl { get; private set; } = null!;

    public Uri AuthorizationUrl => new(BaseUrl, AuthorizationPath);

    public Uri TokenUrl => new(BaseUrl, TokenPath);

    /// <summary>The protected API's base (a provider's <c>proxy.base_url</c>); any path below it answers who the token belongs to.</summary>
    public Uri ApiBaseUrl => new(BaseUrl, ApiPath);

    public OAuthServerCounters Counters { get; } = new();

    /// <summary>Lifetime of the access tokens issued from now on (the token response's <c>expires_in</c>).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>False makes the code flow issue no refresh token, like providers whose tokens cannot be refreshed.</summary>
    public bool IssueRefreshTokens { get; set; } = true;

    public async ValueTask InitializeAsync()
    {
        _databaseName = await TestPostgres.CreateEmptyDatabaseAsync("nango_oauth");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Development",
            ApplicationName = typeof(TestOAuthServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(this);
        builder.Services.AddDbContext<OAuthServerDbContext>(o => o
            .UseNpgsql(TestPostgres.ConnectionStringFor(_databaseName))
            .UseOpenIddict());
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<OAuthServerDbContext>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris(AuthorizationPath.TrimStart('/'))
                    .SetTokenEndpointUris(TokenPath.TrimStart('/'));
                server.AllowAuthorizationCodeFlow().AllowRefreshTokenFlow().AllowClientCredentialsFlow();
                // Only S256 (OpenIddict's default, stated here because the tests rely on it).
                server.Configure(o => o.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));
                server.RegisterScopes([.. SupportedScopes]);
                // Rotation with no grace period: a redeemed refresh token is refused at once, so a test can
                // tell one refresh from two racing ones.
                server.SetRefreshTokenReuseLeeway(TimeSpan.Zero);
                // Throw-away keys and readable JWT access tokens: nothing here outlives the test run.
                server.AddEphemeralEncryptionKey().AddEphemeralSigningKey().DisableAccessTokenEncryption();
                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .DisableTransportSecurityRequirement();
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseAspNetCore();
            });

        _app = builder.Build();
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<OAuthServerDbContext>().Database.EnsureCreatedAsync();
        }
        _app.UseTokenRequestCounting(Counters);
        _app.UseAuthentication();
        _app.MapOAuthServerEndpoints();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.TrimEnd('/') + "/");
    }

    /// <summary>A confidential client with a generated id and secret, allowed every grant, redirecting to <paramref name="redirectUri"/>.</summary>
    public async Task<TestOAuthClient> AddClientAsync(Uri redirectUri, bool requirePkce = true)
    {
        var client = new TestOAuthClient("client-" + Guid.NewGuid().ToString("N")[..12], "secret-" + Guid.NewGuid().ToString("N"), [redirectUri], requirePkce);
        await AddClientAsync(client);
        return client;
    }

    public async Task AddClientAsync(TestOAuthClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = client.ClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = client.DisplayName,
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.GrantTypes.ClientCredentials,
                Permissions.ResponseTypes.Code,
            },
        };
        foreach (var name in SupportedScopes)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + name);
        }
        foreach (var uri in client.RedirectUris)
        {
            descriptor.RedirectUris.Add(uri);
        }
        if (client.RequirePkce)
        {
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        }
        await using var scope = _app!.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_databaseName.Length > 0)
        {
            await TestPostgres.DropDatabaseAsync(_databaseName);
        }
    }
}

/// <summary>A confidential client of <see cref="TestOAuthServer"/>.</summary>
public sealed record TestOAuthClient(string ClientId, string ClientSecret, IReadOnlyList<Uri> RedirectUris, bool RequirePkce = true, string DisplayName = "Nango tests");

internal static class TokenRequestCounting
{
    /// <summary>
    /// Counts token requests by grant type before OpenIddict sees them (it answers refused ones itself, so
    /// the endpoint handler never runs for those). The form is buffered by ASP.NET, so OpenIddict reads it again.
    /// </summary>
    public static IApplicationBuilder UseTokenRequestCounting(this IApplicationBuilder app, OAuthServerCounters counters) =>
        app.Use(async (context, next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path == TestOAuthServer.TokenPath && context.Request.HasFormContentType)
            {
                var form = await context.Request.ReadFormAsync(context.RequestAborted);
                counters.TokenRequested(form[Parameters.GrantType].ToString());
            }
            await next(context);
        });
}
