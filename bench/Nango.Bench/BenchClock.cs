namespace Nango.Bench;

/// <summary>
/// Wall-clock time set by the data generator, so the real write path stamps rows spread over the last
/// 24 hours; monotonic timestamps (used for batching) stay real.
/// </summary>
internal sealed class BenchClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public void Set(DateTimeOffset value) => Interlocked.Exchange(ref _ticks, value.UtcTicks);

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
}
