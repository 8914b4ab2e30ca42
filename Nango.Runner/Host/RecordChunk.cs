namespace Nango.Runner.Host;

/// <summary>
/// One <c>batchSave</c>/<c>batchUpdate</c>/<c>batchDelete</c> chunk, taken from the script when it made the call (it
/// may change its records once the call returns): the body of its <c>records</c> call to the internal API as UTF-8
/// JSON, and where each record sits in that body with the id it names itself by. Disposed once sent: its bytes go back
/// to the array pool.
/// </summary>
internal sealed class RecordChunk(string action, string model, string? mergingStrategy, JsonBuffer body, RecordChunk.Entry[] records) : IDisposable
{
    /// <summary>A record's place in <see cref="Body"/>; <paramref name="Id"/> is the text of its <c>id</c> (a string's
    /// value, a number's JSON text), null when it has none a store could name it by.</summary>
    internal readonly record struct Entry(int Start, int Length, string? Id);

    public string Action => action;

    public string Model => model;

    public string? MergingStrategy => mergingStrategy;

    /// <summary>The call as the internal API takes it: <c>{"action":…,"model":…,"mergingStrategy":…,"records":[…]}</c>.</summary>
    public ReadOnlyMemory<byte> Body => body.WrittenMemory;

    public IReadOnlyList<Entry> Records => records;

    /// <summary>The JSON text of the record at <paramref name="position"/>, the very bytes Nango.Web stores and hashes.</summary>
    public ReadOnlySpan<byte> Raw(int position) => body.WrittenSpan.Slice(records[position].Start, records[position].Length);

    public void Dispose() => body.Dispose();

    /// <summary>Opens a call's object and its <c>records</c> array; the runtime's members come before the records.</summary>
    public static void WriteHeader(JsonBuffer json, string action, string model, string? mergingStrategy, long? generation = null)
    {
        json.Write("{\"action\":"u8);
        json.WriteString(action);
        json.Write(",\"model\":"u8);
        json.WriteString(model);
        if (mergingStrategy is not null)
        {
            json.Write(",\"mergingStrategy\":"u8);
            json.WriteString(mergingStrategy);
        }
        if (generation is { } claimed)
        {
            json.Write(",\"generation\":"u8);
            json.WriteInteger(claimed);
        }
        json.Write(",\"records\":["u8);
    }

    /// <summary>Closes what <see cref="WriteHeader"/> opened.</summary>
    public static void WriteEnd(JsonBuffer json) => json.Write("]}"u8);
}
