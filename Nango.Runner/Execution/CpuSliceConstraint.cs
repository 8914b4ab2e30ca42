using System.Diagnostics;
using Jint;

namespace Nango.Runner.Execution;

/// <summary>Thrown by the runner's own constraints; mapped to execution_timeout.</summary>
internal sealed class ScriptLimitException(string message) : Exception(message);

/// <summary>
/// Bounds each stretch of JavaScript that runs without waiting on a host call. Jint's own TimeoutInterval
/// (4.18) runs from the engine call that started the task, awaits included, and cannot be restarted from
/// outside, so a function that awaited slow upstream calls would be stopped for time it spent idle. This
/// deadline restarts whenever a host call returns; the task's wall-clock limit bounds the whole run.
/// Armed only while a task runs, so that loading zod into a new engine is not charged to anyone.
/// </summary>
internal sealed class CpuSliceConstraint(TimeSpan slice) : Constraint
{
    private readonly long _sliceTicks = (long)(slice.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));
    private long _deadline;
    private volatile bool _armed;

    public bool Armed
    {
        get => _armed;
        set
        {
            _armed = value;
            Reset();
        }
    }

    public override void Check()
    {
        if (_armed && Stopwatch.GetTimestamp() > Volatile.Read(ref _deadline))
        {
            throw new ScriptLimitException($"The function ran JavaScript for more than {slice.TotalMilliseconds:0} ms without waiting on anything (CPU time limit)");
        }
    }

    /// <summary>Only writes a deadline, so it is safe from the thread that completes a host call.</summary>
    public override void Reset() => Volatile.Write(ref _deadline, Stopwatch.GetTimestamp() + _sliceTicks);
}

/// <summary>
/// Statements per task, counted across all the task's stretches of JavaScript (Jint's MaxStatements counts per
/// engine entry and would also charge loading zod). Armed only while a task runs.
/// </summary>
internal sealed class StatementBudgetConstraint(int maxStatements) : Constraint
{
    private int _count;
    private bool _armed;

    public bool Armed
    {
        get => _armed;
        set
        {
            _armed = value;
            _count = 0;
        }
    }

    public override void Check()
    {
        if (_armed && ++_count > maxStatements)
        {
            throw new ScriptLimitException($"The function executed more than {maxStatements} statements (statement limit)");
        }
    }

    // Jint resets constraints on every engine entry; the budget spans the whole task, so only arming resets it.
    public override void Reset()
    {
    }
}
