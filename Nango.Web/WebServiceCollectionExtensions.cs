using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.DataProtection;
using MudBlazor.Services;
using Nango.Core.Persistence;
using Nango.Web.Api;
using Nango.Web.Api.Authentication;
using Nango.Web.Api.Webhooks;
using Nango.Web.Components.Dashboard;

namespace Nango.Web;

public static class WebServiceCollectionExtensions
{
    public static IServiceCollection AddNangoWeb(this IServiceCollection services)
    {
        services.AddHostedService<Internal.InternalApiHost>();
        // Nango's wire format is snake_case; dictionary keys (metadata, tags) are left as the caller wrote them.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never;
        });
        // Binding failures (malformed JSON, wrong content type) throw so ApiExceptionHandler can answer
        // them in Nango's envelope instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddSingleton<Api.Auth.AuthSocketHub>();
        services.AddHostedService(sp => sp.GetRequiredService<Api.Auth.AuthSocketHub>());
        services.AddProblemDetails();
        services.AddOutputCache();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy<string, IncomingWebhookRateLimitPolicy>(IncomingWebhookEndpoints.RateLimitPolicy);
        });

        services.AddAuthentication(IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, SecretKeyAuthenticationHandler>(SecretKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, ConnectSessionAuthenticationHandler>(ConnectSessionAuthenticationHandler.SchemeName, null)
            .AddIdentityCookies(cookies => cookies.ApplicationCookie?.Configure(o =>
            {
                o.LoginPath = DashboardUrls.SignIn;
                o.LogoutPath = DashboardUrls.SignOutEndpoint;
                o.AccessDeniedPath = DashboardUrls.SignIn;
                o.Cookie.Name = "nango.session";
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromDays(7);
            }));
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiEndpoints.SecretKeyPolicy, policy => policy
                .AddAuthenticationSchemes(SecretKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser())
            .AddPolicy(ApiEndpoints.ConnectSessionPolicy, policy => policy
                .AddAuthenticationSchemes(ConnectSessionAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        services.AddCascadingAuthenticationState();

        services.AddCors(o => o.AddPolicy(ApiEndpoints.CorsPolicy, policy => policy
            .AllowAnyOrigin()
            .AllowAnyMethod()
            .WithHeaders("Authorization", "Content-Type", "Accept", "Origin", "X-Requested-With", "Nango-Activity-Log-Id",
                "Nango-Is-Dry-Run", "Nango-Is-Sync", "Provider-Config-Key", "Connection-Id", "Sentry-Trace", "Baggage")
            .WithExposedHeaders("Authorization", "Etag", "Content-Type", "Content-Length", "X-Nango-Signature",
                "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
            .SetPreflightMaxAge(TimeSpan.FromSeconds(600))));

        // Every instance must read every other's cookies and antiforgery tokens: keys live in Postgres.
        services.AddDataProtection().SetApplicationName("nango").PersistKeysToDbContext<NangoDbContext>();

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<DashboardSession>();
        return services;
    }
}
