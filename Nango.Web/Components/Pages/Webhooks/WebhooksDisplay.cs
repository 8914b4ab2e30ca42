using System.Globalization;
using MudBlazor;
using Nango.Core.Webhooks;
using Nango.Web.Components.Dashboard;

namespace Nango.Web.Components.Pages.Webhooks;

/// <summary>How the Webhooks page writes statuses, due times and target health.</summary>
public static class WebhooksDisplay
{
    public static Color StatusColor(string status) => status switch
    {
        WebhookDeliveryStatus.Delivered => Color.Success,
        WebhookDeliveryStatus.Dead => Color.Error,
        WebhookDeliveryStatus.Delivering => Color.Info,
        WebhookDeliveryStatus.Pending => Color.Warning,
        _ => Color.Default,
    };

    /// <summary>"in 45 s", "in 3 min", "in 2 h", or "now" once due; the exact time goes in a tooltip.</summary>
    public static string Relative(DateTimeOffset at, DateTimeOffset now) => at - now <= TimeSpan.FromSeconds(1) ? "now" : Display.Relative(at, now);

    /// <summary>The line under the attempts: when a pending row is tried next, or that it is being sent.</summary>
    public static string NextAttempt(WebhookDelivery delivery, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return delivery.Status switch
        {
            WebhookDeliveryStatus.Pending when delivery.NextAttemptAt - now <= TimeSpan.FromSeconds(1) => "due now",
            WebhookDeliveryStatus.Pending => "next " + Relative(delivery.NextAttemptAt, now),
            WebhookDeliveryStatus.Delivering => "sending now",
            _ => "",
        };
    }

    /// <summary>A URL without a health row has never failed.</summary>
    public static TargetHealth Health(WebhookTarget? target, DateTimeOffset now)
    {
        if (target is null)
        {
            return new TargetHealth("Healthy", Color.Success, null);
        }
        if (target.DisabledAt is not null)
        {
            return new TargetHealth("Disabled", Color.Error, target.DisabledReason ?? "The receiver answered 410 Gone.");
        }
        if (target.CircuitOpenUntil is { } until && until > now)
        {
            return new TargetHealth(
                $"Circuit open until {until.ToUniversalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)} UTC",
                Color.Warning,
                "Too many failures in a row: deliveries to this URL wait until then.");
        }
        return target.ConsecutiveFailures > 0
            ? new TargetHealth("Failing", Color.Warning, null)
            : new TargetHealth("Healthy", Color.Success, null);
    }
}

/// <summary>One receiving URL on the page: its shared health (null until a delivery to it fails) and whether the settings name it.</summary>
public sealed record TargetRow(string Url, WebhookTarget? State, bool Configured);

/// <summary>A target's state as a chip: its text, colour and an optional explanation.</summary>
public sealed record TargetHealth(string Label, Color Color, string? Detail);
