using System.Diagnostics;
using Jint;

namespace Nango.Runner.Execution;

/// <summary>
/// Bounds each stretch of JavaScript that runs without waiting on a host call. Jint's own TimeoutInterval
/// (4.18) runs from the engine call that started the task, awaits included, and cannot be restarted from
/// outside, so a function that awaited slow upstream calls would be stopped for time it spent idle. This
/// deadline restarts whenever a host call returns; the task's wall-clock limit bounds the whole run.
/// </summary>
internal sealed class CpuSliceConstraint(TimeSpan slice) : Constraint
{
    private readonly long _sliceTicks = (long)(slice.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));
    private long _deadline;

    public TimeSpan Slice => slice;

    public override void Check()
    {
        var deadline = Volatile.Read(ref _deadline);
        if (deadline != 0 && Stopwatch.GetTimestamp() > deadline)
        {
            throw new TimeoutException($"The function ran JavaScript for more than {slice.TotalMilliseconds:0} ms without waiting.");
        }
    }

    /// <summary>Only writes a deadline, so it is safe from the thread that completes a host call.</summary>
    public override void Reset() => Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + _sliceTicks);
}
