using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Nango.Tests.Components;

/// <summary>
/// Awaited user actions. bUnit's <c>Click()</c> and <c>Input()</c> return before the renderer has run the
/// handler, so a <c>Find</c> right after them races the render; these wait for the handler to finish.
/// Clicks that open a dialog must not be awaited (the handler waits for the dialog): use <c>ClickWithoutWaitingAsync</c>.
/// </summary>
internal static class ElementActions
{
    public static Task TypeAsync(this IElement element, string value) => element.InputAsync(new ChangeEventArgs { Value = value });

    public static Task PressAsync(this IElement element) => element.ClickAsync(new MouseEventArgs { Detail = 1 });

    /// <summary>
    /// Finds the <paramref name="index"/>th element matching <paramref name="selector"/> and presses it in one turn of the
    /// renderer, waiting for the handler: a render between finding and pressing (a list refreshing itself) would
    /// otherwise replace the element and fail the press with "no event handler with ID".
    /// </summary>
    public static Task PressAsync<TComponent>(this IRenderedComponent<TComponent> cut, string selector, int index = 0)
        where TComponent : IComponent =>
        cut.InvokeAsync(() => cut.FindAll(selector)[index].PressAsync());

    public static Task ToggleAsync(this IElement element, bool value) => element.ChangeAsync(new ChangeEventArgs { Value = value });

    /// <summary>
    /// Finds and clicks in one turn of the renderer, without waiting for the handler (a click that opens a dialog).
    /// A plain <c>cut.Find(selector).Click()</c> fails now and then with "no event handler with ID" when a render
    /// (a page still loading something) replaces the button between the two calls.
    /// </summary>
    public static Task ClickWithoutWaitingAsync<TComponent>(this IRenderedComponent<TComponent> cut, string selector)
        where TComponent : IComponent =>
        cut.InvokeAsync(() => cut.Find(selector).Click());
}
