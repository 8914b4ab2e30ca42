using Nango.Core;
using Nango.Web;
using Nango.Web.Api;
using Nango.Web.Api.Auth;
using Nango.Web.Components;
using Nango.Web.Components.Connect;
using Nango.Web.Components.Dashboard;
using Nango.Web.Maintenance;

if (MaintenanceCommands.IsCommand(args))
{
    return await MaintenanceCommands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddNangoCore(builder.Configuration);
builder.Services.AddNangoWeb();

var app = builder.Build();

app.UseExceptionHandler();
app.UseAuthSockets();
app.UseCors();
app.UseRateLimiter();
app.UseNangoApiContentType();
app.UseAuthentication();
app.UseAuthorization();
app.UseOutputCache();
app.UseAntiforgery();
app.UseConnectUiFraming();

app.MapStaticAssets();
app.MapNangoApi();
app.MapAuthEndpoints();
app.MapDashboardAuthEndpoints();
app.MapGet("/health", () => TypedResults.Ok(new { result = "ok" })).AllowAnonymous().WithName("Health");
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

await app.RunAsync();
return 0;
