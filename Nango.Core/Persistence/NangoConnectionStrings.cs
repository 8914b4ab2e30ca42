using System.Data.Common;
using Npgsql;

namespace Nango.Core.Persistence;

/// <summary>Npgsql settings every pool of the product runs with, unless the operator's connection string says otherwise.</summary>
public static class NangoConnectionStrings
{
    /// <summary>
    /// Statements run at least twice on a connection are prepared on it (Npgsql auto-prepare), unless the connection
    /// string sets <c>Max Auto Prepare</c> itself (0 turns it off). The hot statements (task queue, action lookups,
    /// log batches) are the same few with new parameters, and parsing and planning them every time was most of
    /// Postgres's cost per action (measured: actions at concurrency 16 went from 147/s to 267/s). Npgsql keeps prepared
    /// statements across pool returns (its reset then spares them instead of <c>DISCARD ALL</c>); Postgres re-plans them
    /// after schema changes, and Npgsql prepares afresh a statement whose result shape a migration changed.
    /// </summary>
    public static string WithDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(connectionString, "maxautoprepare"))
        {
            builder.MaxAutoPrepare = 64;
            if (!Sets(connectionString, "autoprepareminusages"))
            {
                builder.AutoPrepareMinUsages = 2;
            }
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// Whether the text names the setting, however spaced or cased (Npgsql's own builder reports every known keyword
    /// as present, set or not).
    /// </summary>
    private static bool Sets(string connectionString, string compactKeyword)
    {
        var parsed = new DbConnectionStringBuilder { ConnectionString = connectionString };
        return parsed.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), compactKeyword, StringComparison.OrdinalIgnoreCase));
    }
}
