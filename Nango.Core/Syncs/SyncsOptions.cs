namespace Nango.Core.Syncs;

/// <summary><c>Nango:Syncs</c>: limits of sync runs.</summary>
public sealed class SyncsOptions
{
    /// <summary>
    /// Longest a sync run may take (wall clock, waiting on the provider included). A run that reaches it is stopped;
    /// what it saved stays, and the next run resumes from its last checkpoint. Nango's limit is 24 hours.
    /// </summary>
    public TimeSpan MaxRunDuration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A running sync that acknowledges no records or checkpoint for this long is flagged as stalled.</summary>
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromMinutes(30);
}
