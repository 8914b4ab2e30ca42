using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Nango.Runner.Protocol;

namespace Nango.Runner.Host;

/// <summary>
/// Sends one task's record chunks (<see cref="RecordChunk"/>). A save of a model whose last chunk came back
/// mostly unchanged goes by its keys first (<see cref="RunnerRecordActions.SaveKeys"/>): per record its id, the XxHash128 of
/// its JSON text and that text's size, some 60 bytes instead of the record; then only the records the store does not
/// hold unchanged are saved in full. An unchanged re-run so moves no payload to Nango.Web, which parses, validates
/// and hashes none. A model's first chunk in a task, and every chunk after one that was mostly new or changed, goes
/// in full in one call: a first run pays no second round trip.
/// <para>
/// A chunk whose every record this process knows stored as it is (<see cref="StoredRecordHashes"/>, learnt from the
/// store's answers to earlier saves, in this task or an earlier one) goes by its keys with a claim of that generation:
/// while nothing changed the model since, Nango.Web counts it unchanged without a lookup per record. <paramref name="scope"/>
/// names the task's connection and variant; the model completes it.
/// </para>
/// </summary>
internal sealed class RecordChunkSender(HostClient client, string callbackUrl, string taskId, StoredRecordHashes storedHashes, string scope)
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    /// <summary>The models (as the script names them) whose next save goes by its keys first. A task's record calls come
    /// one at a time (the runtime sends a chunk once the one before it is stored), so no lock.</summary>
    private readonly HashSet<string> _keysFirst = new(StringComparer.Ordinal);

    public async Task<HostReply> SendAsync(RecordChunk chunk, CancellationToken ct)
    {
        var modelScope = scope + "\n" + chunk.Model;
        var records = StoredRecordsOf(chunk);
        if (records is null)
        {
            // An update or a delete, or a save whose records are not stored as sent one for one: what the store then holds
            // of the model is not known record by record.
            storedHashes.Forget(modelScope);
        }
        if (chunk.Action != RunnerRecordActions.Save)
        {
            return await PostAsync(chunk.Body, ct);
        }
        if (records is not null && storedHashes.TryClaim(modelScope, records, out var generation))
        {
            return await SaveByKeysAsync(chunk, modelScope, records, generation, ct);
        }
        if (_keysFirst.Contains(chunk.Model))
        {
            return await SaveByKeysAsync(chunk, modelScope, records, claim: null, ct);
        }
        var reply = await PostAsync(chunk.Body, ct);
        var counts = Counts(reply);
        Remember(modelScope, counts, records, positions: null);
        if (counts is not null && counts.Unchanged * 2 > counts.Added + counts.Updated + counts.Unchanged)
        {
            _keysFirst.Add(chunk.Model);
        }
        return reply;
    }

    /// <summary>
    /// Each record of a save as <see cref="StoredRecordHashes"/> knows it, or null when the save does not store each as
    /// sent under its own id: another action, a merging strategy that may keep a stored record, a record without an id
    /// or with one that contains NUL (stored without it) or is given twice.
    /// </summary>
    private static StoredRecord[]? StoredRecordsOf(RecordChunk chunk)
    {
        if (chunk.Action != RunnerRecordActions.Save || chunk.MergingStrategy is not (null or "override"))
        {
            return null;
        }
        var records = new StoredRecord[chunk.Records.Count];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        Span<byte> hash = stackalloc byte[16];
        for (var position = 0; position < records.Length; position++)
        {
            if (chunk.Records[position].Id is not { } id || id.Contains('\0', StringComparison.Ordinal) || !ids.Add(id))
            {
                return null;
            }
            // The bytes a keys call sends (KeysRequest), read as one number.
            XxHash128.Hash(chunk.Raw(position), hash);
            records[position] = new StoredRecord(XxHash64.HashToUInt64(MemoryMarshal.AsBytes(id.AsSpan())), BinaryPrimitives.ReadUInt128BigEndian(hash));
        }
        return records;
    }

    /// <summary>
    /// Notes what an answer says is stored: the records at <paramref name="positions"/> (all when null) as sent, at the
    /// answer's generation. Nothing when the answer is not a success with a generation.
    /// </summary>
    private void Remember(string modelScope, RunnerRecordsResult? counts, StoredRecord[]? records, IEnumerable<int>? positions)
    {
        if (records is null || counts?.Generation is not { } after)
        {
            return;
        }
        var stored = positions is null ? records : positions.Where(p => (uint)p < (uint)records.Length).Select(p => records[p]).ToArray();
        storedHashes.Stored(modelScope, counts.GenerationBefore, after, stored);
    }

    private async Task<HostReply> SaveByKeysAsync(RecordChunk chunk, string modelScope, StoredRecord[]? records, long? claim, CancellationToken ct)
    {
        HostReply keysReply;
        using (var keysRequest = KeysRequest(chunk, records, claim))
        {
            if (keysRequest is null)
            {
                // A record without an id it could name, or an id twice: the full save validates it or keeps the last one.
                return await PostAsync(chunk.Body, ct);
            }
            keysReply = await PostAsync(keysRequest.WrittenMemory, ct);
        }
        if ((int)keysReply.Status == 400)
        {
            // Refused as a call (a Nango.Web that does not take keys, a model name it refuses): the chunk goes whole, and
            // so do the model's next ones.
            _keysFirst.Remove(chunk.Model);
            return await PostAsync(chunk.Body, ct);
        }
        if (Counts(keysReply) is not { Send: { } send } keys)
        {
            return keysReply;
        }
        if (claim is null || send.Count > 0 || keys.Generation != claim)
        {
            // Looked up: the records not to send are stored as they are, at the generation the lookup was made at.
            var toSend = send.ToHashSet();
            Remember(modelScope, keys, records, Enumerable.Range(0, chunk.Records.Count).Where(p => !toSend.Contains(p)));
        }
        if (send.Count * 2 > chunk.Records.Count)
        {
            _keysFirst.Remove(chunk.Model);
        }
        if (send.Count == 0)
        {
            return keysReply;
        }
        HostReply fullReply;
        using (var fullRequest = FullRequest(chunk, send))
        {
            fullReply = await PostAsync(fullRequest.WrittenMemory, ct);
        }
        if ((int)fullReply.Status == 400)
        {
            // Refused by validation: the whole chunk again, so that the error names the record by its place in the
            // chunk the script saved. It is refused as a whole, so nothing of it is written twice.
            return await PostAsync(chunk.Body, ct);
        }
        if (Counts(fullReply) is not { } full)
        {
            return fullReply;
        }
        Remember(modelScope, full, records, send);
        var combined = new RunnerRecordsResult(full.Added, full.Updated, keys.Unchanged + full.Unchanged, full.Deleted);
        return new HostReply(HttpStatusCode.OK, JsonSerializer.Serialize(combined, RunnerJson.Options), IsJson: true);
    }

    /// <summary>The <see cref="RunnerRecordActions.SaveKeys"/> call of a chunk, with a claim of generation
    /// <paramref name="claim"/> when there is one, or null when a record has no id to name it by. The hashes are
    /// <paramref name="records"/>' when given (their ids already checked), computed otherwise.</summary>
    private static JsonBuffer? KeysRequest(RecordChunk chunk, StoredRecord[]? records, long? claim)
    {
        var ids = records is null ? new HashSet<string>(StringComparer.Ordinal) : null;
        var json = new JsonBuffer(chunk.Records.Count * 64 + 256);
        RecordChunk.WriteHeader(json, RunnerRecordActions.SaveKeys, chunk.Model, chunk.MergingStrategy, claim);
        Span<byte> hash = stackalloc byte[16];
        for (var position = 0; position < chunk.Records.Count; position++)
        {
            if (chunk.Records[position].Id is not { } id || (ids is not null && !ids.Add(id)))
            {
                json.Dispose();
                return null;
            }
            var raw = chunk.Raw(position);
            // The same hash of the same bytes Nango.Web hashes when it stores the record; it names, it protects nothing.
            if (records is null)
            {
                XxHash128.Hash(raw, hash);
            }
            else
            {
                BinaryPrimitives.WriteUInt128BigEndian(hash, records[position].Hash);
            }
            json.Write(position == 0 ? "{\"id\":"u8 : ",{\"id\":"u8);
            json.WriteString(id);
            json.Write(",\"hash\":\""u8);
            json.WriteBase64(hash);
            json.Write("\",\"size\":"u8);
            json.WriteInteger(raw.Length);
            json.Write((byte)'}');
        }
        RecordChunk.WriteEnd(json);
        return json;
    }

    /// <summary>A <see cref="RunnerRecordActions.Save"/> of the chunk's records at <paramref name="positions"/>, each as the script sent it.</summary>
    private static JsonBuffer FullRequest(RecordChunk chunk, IReadOnlyList<int> positions)
    {
        var json = new JsonBuffer(chunk.Body.Length);
        RecordChunk.WriteHeader(json, chunk.Action, chunk.Model, chunk.MergingStrategy);
        var first = true;
        foreach (var position in positions.Where(p => (uint)p < (uint)chunk.Records.Count).Distinct().Order())
        {
            if (!first)
            {
                json.Write((byte)',');
            }
            json.Write(chunk.Raw(position));
            first = false;
        }
        RecordChunk.WriteEnd(json);
        return json;
    }

    private Task<HostReply> PostAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var content = new ReadOnlyMemoryContent(body);
        content.Headers.ContentType = JsonContentType;
        return client.SendContentAsync(HttpMethod.Post, callbackUrl, RunnerRoutes.CallbackRecords, taskId, content, ct);
    }

    private static RunnerRecordsResult? Counts(HostReply reply)
    {
        if (!reply.IsSuccess || !reply.IsJson)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<RunnerRecordsResult>(reply.Body, RunnerJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
