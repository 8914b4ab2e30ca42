using Quartz;

namespace Nango.Core.Persistence;

/// <summary>
/// Quartz ships its Postgres schema as a resource inside Quartz.dll; a migration applies it so the
/// scheduler's tables are versioned in the same history as ours and Quartz only validates at start.
/// </summary>
public static class QuartzSchema
{
    public const string TablePrefix = "qrtz_";
    private const string ResourceName = "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql";

    public static IEnumerable<string> Statements()
    {
        using var stream = typeof(IScheduler).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Quartz resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        var script = reader.ReadToEnd();
        // Statements are separated by lines reading exactly "--;;" (the header comment mentions the marker
        // too, so splitting on the bare string would cut a comment in half). {0} is the table prefix and
        // {1} the prefix without a schema qualifier; ours has none, so both are the same.
        var statements = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var line in script.Split('\n'))
        {
            if (line.TrimEnd('\r') == "--;;")
            {
                statements.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(line).Append('\n');
        }
        statements.Add(current.ToString());
        return statements
            .Select(statement => statement.Replace("{0}", TablePrefix, StringComparison.Ordinal).Replace("{1}", TablePrefix, StringComparison.Ordinal).Trim())
            .Where(statement => statement.Length > 0 && !IsOnlyComments(statement))
            .ToList();
    }

    private static bool IsOnlyComments(string statement) =>
        statement.Split('\n').All(line => line.TrimStart().StartsWith("--", StringComparison.Ordinal) || line.Trim().Length == 0);
}
