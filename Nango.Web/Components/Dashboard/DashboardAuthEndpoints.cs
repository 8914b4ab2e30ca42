using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Nango.Core.Accounts;

namespace Nango.Web.Components.Dashboard;

/// <summary>
/// Sign-in, sign-up and sign-out are plain form posts: the cookie must be written on an HTTP response,
/// which an interactive (SignalR) page cannot do.
/// </summary>
public static class DashboardAuthEndpoints
{
    public static IEndpointRouteBuilder MapDashboardAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/dashboard/auth").WithTags("Dashboard").ExcludeFromDescription();
        group.MapPost("/signin", SignInAsync);
        group.MapPost("/signup", SignUpAsync);
        group.MapPost("/signout", SignOutAsync);
        app.MapGet("/", () => TypedResults.Redirect(DashboardUrls.Home(DashboardUrls.DefaultEnvironment))).ExcludeFromDescription();
        app.MapGet(DashboardUrls.Root, () => TypedResults.Redirect(DashboardUrls.Home(DashboardUrls.DefaultEnvironment))).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> SignInAsync([FromForm] string email, [FromForm] string password, [FromForm] string? returnUrl, SignInManager<NangoUser> signIn)
    {
        var result = await signIn.PasswordSignInAsync(email, password, isPersistent: true, lockoutOnFailure: false);
        return result.Succeeded
            ? TypedResults.LocalRedirect(SafeReturnUrl(returnUrl))
            : TypedResults.LocalRedirect($"{DashboardUrls.SignIn}?error=invalid&email={Uri.EscapeDataString(email)}");
    }

    private static async Task<IResult> SignUpAsync([FromForm] string email, [FromForm] string password, [FromForm] string? accountName, AccountService accounts, SignInManager<NangoUser> signIn)
    {
        var result = await accounts.SignUpAsync(email, password, string.IsNullOrWhiteSpace(accountName) ? null : accountName);
        if (!result.Succeeded)
        {
            return TypedResults.LocalRedirect($"{DashboardUrls.SignUp}?error={Uri.EscapeDataString(string.Join(" ", result.Errors))}&email={Uri.EscapeDataString(email)}");
        }
        await signIn.SignInAsync(result.User!, isPersistent: true);
        return TypedResults.LocalRedirect(DashboardUrls.Home(DashboardUrls.DefaultEnvironment));
    }

    private static async Task<IResult> SignOutAsync(SignInManager<NangoUser> signIn)
    {
        await signIn.SignOutAsync();
        return TypedResults.LocalRedirect(DashboardUrls.SignIn);
    }

    /// <summary>Only local paths, so a crafted link cannot bounce a user to another site after sign-in.</summary>
    private static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : DashboardUrls.Home(DashboardUrls.DefaultEnvironment);
}
