using Nango.Web.Api.Actions;
using Nango.Web.Api.Connections;
using Nango.Web.Api.ConnectSessions;
using Nango.Web.Api.Environments;
using Nango.Web.Api.Functions;
using Nango.Web.Api.Integrations;
using Nango.Web.Api.Providers;
using Nango.Web.Api.Proxy;
using Nango.Web.Api.Records;
using Nango.Web.Api.Syncs;
using Nango.Web.Api.Webhooks;

namespace Nango.Web.Api;

public static class ApiEndpoints
{
    public const string SecretKeyPolicy = "NangoSecretKey";
    public const string ConnectSessionPolicy = "NangoConnectSession";
    public const string CorsPolicy = "NangoPublicApi";

    /// <summary>
    /// The public REST API at Nango's paths (no prefix), every route behind the secret key except the ones providers
    /// and browsers call (logos, incoming webhooks).
    /// </summary>
    public static IEndpointRouteBuilder MapNangoApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("")
            .RequireAuthorization(SecretKeyPolicy)
            .RequireCors(CorsPolicy)
            .WithGroupName("public");
        api.MapProviderEndpoints();
        api.MapIntegrationEndpoints();
        api.MapConnectionEndpoints();
        api.MapEnvironmentEndpoints();
        api.MapProxyEndpoints();
        api.MapActionEndpoints();
        api.MapRecordEndpoints();
        api.MapSyncEndpoints();
        api.MapFunctionEndpoints();
        api.MapDeployEndpoints();
        api.MapScriptsConfigEndpoints();
        app.MapCliTelemetryEndpoints();
        app.MapConnectSessionEndpoints();
        app.MapProviderLogos();
        app.MapIncomingWebhookEndpoints();
        return app;
    }
}
