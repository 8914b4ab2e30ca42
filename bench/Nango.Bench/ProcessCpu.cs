using System.Globalization;

namespace Nango.Bench;

/// <summary>CPU time of processes other than the bench's own, read from /proc (Linux; zero elsewhere).</summary>
internal static class ProcessCpu
{
    /// <summary>
    /// CPU used so far by every process named <c>postgres</c> on this machine (server, backends, WAL writer, autovacuum
    /// workers), or zero when the database runs elsewhere. Includes the bench's own polling query, a few milliseconds
    /// per run. Backends that ended are counted too, through the server's reaped-children time: without it a
    /// worker that exited during a run took its CPU with it and the difference could come out negative.
    /// </summary>
    public static TimeSpan Postgres()
    {
        var processes = ProcessStats();
        var postgres = processes.Values.Where(p => p.Command == "postgres").ToList();
        return postgres.Aggregate(TimeSpan.Zero, (total, p) => total + p.Own
            + (processes.TryGetValue(p.Parent, out var parent) && parent.Command == "postgres" ? TimeSpan.Zero : p.Reaped));
    }

    /// <summary>
    /// CPU used so far by the children of <paramref name="pid"/> (the runner processes Nango.Web spawned), those
    /// that ended included (the parent's reaped-children time).
    /// </summary>
    public static TimeSpan Children(int pid)
    {
        var processes = ProcessStats();
        var children = processes.Values.Where(p => p.Parent == pid).Aggregate(TimeSpan.Zero, (total, p) => total + p.Own + p.Reaped);
        return children + (processes.TryGetValue(pid, out var parent) ? parent.Reaped : TimeSpan.Zero);
    }

    private sealed record ProcessStat(string Command, int Parent, TimeSpan Own, TimeSpan Reaped);

    /// <summary>
    /// Every process's /proc/&lt;pid&gt;/stat: its own user + system time (fields 14-15) and that of its children it has
    /// waited for (fields 16-17), in clock ticks of 10 ms (USER_HZ is 100 on Linux). Empty where there is no /proc.
    /// </summary>
    private static Dictionary<int, ProcessStat> ProcessStats()
    {
        var stats = new Dictionary<int, ProcessStat>();
        if (!Directory.Exists("/proc"))
        {
            return stats;
        }
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                // The command name is in parentheses and may hold spaces; the fields after it start at field 3 (state).
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var command = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                stats[pid] = new ProcessStat(command, Field(fields, 4),
                    Ticks(Field(fields, 14) + Field(fields, 15)), Ticks(Field(fields, 16) + Field(fields, 17)));
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
        }
        return stats;

        static int Field(string[] fields, int number) => int.Parse(fields[number - 3], CultureInfo.InvariantCulture);

        static TimeSpan Ticks(long ticks) => TimeSpan.FromMilliseconds(ticks * 10);
    }
}
