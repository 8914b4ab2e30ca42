using Bunit;
using MudBlazor;
using MudBlazor.Services;

namespace Nango.Tests.Infrastructure;

/// <summary>
/// bUnit with MudBlazor's services, loose JS interop (MudBlazor calls JS for popovers, focus and scroll;
/// none of it has an effect under bUnit) and no transitions, plus a wait timeout that a busy two-core
/// CI machine running Postgres-backed pages can meet.
/// </summary>
public class MudTestContext : BunitContext
{
    public MudTestContext()
    {
        DefaultWaitTimeout = TimeSpan.FromSeconds(15);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
        });
    }

    /// <summary>
    /// Renders the hosts a layout provides. Popover content (select items) and dialogs render inside these,
    /// not inside the component under test, so assertions about them go to the returned components.
    /// </summary>
    public (IRenderedComponent<MudPopoverProvider> Popovers, IRenderedComponent<MudDialogProvider> Dialogs) RenderProviders() =>
        (Render<MudPopoverProvider>(), Render<MudDialogProvider>());
}
