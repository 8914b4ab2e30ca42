namespace Nango.Core.Syncs;

/// <summary><c>Nango:Syncs</c>: limits of sync runs.</summary>
public sealed class SyncsOptions
{
    /// <summary>
    /// Longest a sync run may take (wall clock, waiting on the provider included). A run that reaches it is stopped;
    /// what it saved stays, and the next run resumes from its last checkpoint. Nango's limit is 24 hours.
    /// </summary>
    public TimeSpan MaxRunDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A running sync whose runner has not sent a heartbeat for this long is expired (its Nango.Web or runner died) and
    /// the next run resumes from its checkpoint. Runners beat every 30 s; Nango's limit is 5 minutes.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A running sync that acknowledges no records or checkpoint for this long is flagged as stalled.</summary>
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromMinutes(30);
}
