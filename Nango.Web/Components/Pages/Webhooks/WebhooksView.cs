using Nango.Core.Webhooks;

namespace Nango.Web.Components.Pages.Webhooks;

/// <summary>
/// The filters of the Webhooks page, read from and written to the query string so a copied link shows the same
/// list. The open delivery is not part of it: opening the drawer must not reload the list.
/// </summary>
public sealed record WebhooksView
{
    /// <summary>Nango's payload <c>type</c> values (see <c>WebhookPayloads</c>), the options of the event filter.</summary>
    public static readonly IReadOnlyList<string> EventTypes = ["auth", "sync", "async_action", "forward", "test"];

    public IReadOnlyList<string> Statuses { get; init; } = [];

    public IReadOnlyList<string> Events { get; init; } = [];

    public string? Target { get; init; }

    public bool Filtered => Statuses.Count + Events.Count > 0 || Target is not null;

    /// <summary>Compares views by value (lists included), to tell a real filter change from a drawer change.</summary>
    public string Key => string.Join('\u001f', string.Join('\u001e', Statuses), string.Join('\u001e', Events), Target ?? "");

    public WebhookDeliveryFilter ToFilter(long? before, int limit) =>
        new(Statuses: Statuses, EventTypes: Events, TargetUrl: Target, Before: before, Limit: limit);

    /// <summary>Unknown statuses are dropped; event types are kept as given, since the list may grow.</summary>
    public static WebhooksView FromQuery(string[]? statuses, string[]? events, string? target) => new()
    {
        Statuses = Clean(statuses).Where(WebhookDeliveryStatus.All.Contains).ToList(),
        Events = Clean(events),
        Target = string.IsNullOrWhiteSpace(target) ? null : target.Trim(),
    };

    /// <summary>Every key this view owns, null when at its default, for <c>GetUriWithQueryParameters</c>.</summary>
    public Dictionary<string, object?> ToQuery() => new()
    {
        ["status"] = Statuses.Count == 0 ? null : Statuses.ToArray(),
        ["event"] = Events.Count == 0 ? null : Events.ToArray(),
        ["target"] = Target,
    };

    private static List<string> Clean(string[]? values) =>
        (values ?? []).Select(v => v.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
}
