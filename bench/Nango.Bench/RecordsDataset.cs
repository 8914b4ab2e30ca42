using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Bench;

/// <summary>
/// The records of scenario <c>records</c>: about 1 KB each, shaped like an issue, with bodies of random words so hashing
/// sees varied data. The generator is small enough to be written again in JavaScript, step for step
/// (<see cref="RecordsThroughRunner"/>'s bundle): a 32-bit LCG draws the words of <see cref="Bodies"/> bodies, then one
/// body per record. Both sides produce the same records, so the runner path saves exactly the rows the in-process
/// store rows and the raw COPY write — and building them costs the script little next to saving them.
/// </summary>
internal static class RecordsDataset
{
    public const string Words = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega records sync cursor page batch upsert";
    public const uint Seed = 8;
    public const uint Multiplier = 1664525;
    public const uint Increment = 1013904223;
    public const int Bodies = 256;
    public const int WordsPerBody = 125;
    public const int Chunk = 1000;

    public static JsonDocument Build(int count)
    {
        var words = Words.Split(' ');
        var state = Seed;
        int Next()
        {
            state = unchecked((state * Multiplier) + Increment);
            return (int)(state >> 16);
        }
        var bodies = new string[Bodies];
        for (var b = 0; b < Bodies; b++)
        {
            var body = new string[WordsPerBody];
            for (var w = 0; w < WordsPerBody; w++)
            {
                body[w] = words[Next() % words.Length];
            }
            bodies[b] = string.Join(' ', body);
        }
        var start = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var json = new StringBuilder(count * 1100);
        json.Append('[');
        for (var i = 0; i < count; i++)
        {
            var record = new JsonObject
            {
                ["id"] = $"rec-{i:000000}",
                ["number"] = i,
                ["title"] = $"Issue {i}: {words[i % words.Length]} {words[(i / 7) % words.Length]}",
                ["state"] = i % 3 == 0 ? "closed" : "open",
                ["body"] = bodies[Next() % bodies.Length],
                ["labels"] = new JsonArray(words[i % 5], words[(i + 3) % 11]),
                ["author"] = new JsonObject { ["login"] = $"user-{i % 977}", ["id"] = i % 977 },
                // JavaScript's toISOString: milliseconds, Z.
                ["created_at"] = start.AddMinutes(i).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            };
            if (i > 0)
            {
                json.Append(',');
            }
            json.Append(record.ToJsonString());
        }
        json.Append(']');
        return JsonDocument.Parse(json.ToString());
    }
}
