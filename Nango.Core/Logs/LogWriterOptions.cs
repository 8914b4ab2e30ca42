using System.ComponentModel.DataAnnotations;

namespace Nango.Core.Logs;

/// <summary>
/// Tuning of the write path, bound from the same <c>Nango:Logs</c> section as <see cref="LogsOptions"/>
/// (kept separate so the root options stay the documented contract).
/// </summary>
public sealed class LogWriterOptions
{
    /// <summary>Writes the buffer holds before it starts dropping.</summary>
    [Range(1, 10_000_000)]
    public int BufferCapacity { get; set; } = 100_000;

    /// <summary>Most writes one flush sends to the store.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 5_000;

    /// <summary>Longest a write waits in the buffer for its batch to fill.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest an HTTP body kept in a message; longer ones are cut.</summary>
    [Range(0, 10_000_000)]
    public int MaxBodyLength { get; set; } = 64 * 1024;
}
