using System.Buffers;
using System.IO.Hashing;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Nango.Runner.Protocol;

namespace Nango.Runner.Host;

/// <summary>
/// Sends one task's record chunks (the host operation <c>records</c>). A save of a model whose last chunk came back
/// mostly unchanged goes by its keys first (<see cref="RunnerRecordActions.SaveKeys"/>): per record its id, the XxHash128 of
/// its JSON text and that text's size, some 60 bytes instead of the record; then only the records the store does not
/// hold unchanged are saved in full. An unchanged re-run so moves no payload to Nango.Web, which parses, validates
/// and hashes none. A model's first chunk in a task, and every chunk after one that was mostly new or changed, goes
/// in full in one call: a first run pays no second round trip.
/// </summary>
internal sealed class RecordChunkSender(HostClient client, string callbackUrl, string taskId)
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    /// <summary>The models (as the script names them) whose next save goes by its keys first. A task's record calls come
    /// one at a time (the runtime sends a chunk once the one before it is stored), so no lock.</summary>
    private readonly HashSet<string> _keysFirst = new(StringComparer.Ordinal);

    public async Task<HostReply> SendAsync(string json, CancellationToken ct)
    {
        var length = Encoding.UTF8.GetByteCount(json);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Encoding.UTF8.GetBytes(json, buffer);
            var chunk = buffer.AsMemory(0, length);
            if (ChunkHeader.Read(chunk.Span) is not { Action: RunnerRecordActions.Save } header)
            {
                return await PostAsync(chunk, ct);
            }
            if (_keysFirst.Contains(header.Model))
            {
                return await SaveByKeysAsync(chunk, header, ct);
            }
            var reply = await PostAsync(chunk, ct);
            if (Counts(reply) is { } counts && counts.Unchanged * 2 > counts.Added + counts.Updated + counts.Unchanged)
            {
                _keysFirst.Add(header.Model);
            }
            return reply;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<HostReply> SaveByKeysAsync(ReadOnlyMemory<byte> chunk, ChunkHeader header, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(chunk);
        var records = document.RootElement.GetProperty("records"u8);
        if (KeysRequest(header, records) is not { } keysRequest)
        {
            // A record without an id it could name, or an id twice: the full save validates it or keeps the last one.
            return await PostAsync(chunk, ct);
        }
        var keysReply = await PostAsync(keysRequest, ct);
        if ((int)keysReply.Status == 400)
        {
            // Refused as a call (a Nango.Web that does not take keys, a model name it refuses): the chunk goes whole, and
            // so do the model's next ones.
            _keysFirst.Remove(header.Model);
            return await PostAsync(chunk, ct);
        }
        if (Counts(keysReply) is not { Send: { } send } keys)
        {
            return keysReply;
        }
        var total = records.GetArrayLength();
        if (send.Count * 2 > total)
        {
            _keysFirst.Remove(header.Model);
        }
        if (send.Count == 0)
        {
            return keysReply;
        }
        var fullReply = await PostAsync(FullRequest(header, records, send), ct);
        if ((int)fullReply.Status == 400)
        {
            // Refused by validation: the whole chunk again, so that the error names the record by its place in the
            // chunk the script saved. It is refused as a whole, so nothing of it is written twice.
            return await PostAsync(chunk, ct);
        }
        if (Counts(fullReply) is not { } full)
        {
            return fullReply;
        }
        var combined = new RunnerRecordsResult(full.Added, full.Updated, keys.Unchanged + full.Unchanged, full.Deleted);
        return new HostReply(HttpStatusCode.OK, JsonSerializer.Serialize(combined, RunnerJson.Options), IsJson: true);
    }

    /// <summary>The <see cref="RunnerRecordActions.SaveKeys"/> call of a chunk, or null when a record has no id to name it by.</summary>
    private static byte[]? KeysRequest(ChunkHeader header, JsonElement records)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var output = new ArrayBufferWriter<byte>(records.GetArrayLength() * 64 + 256);
        using (var writer = new Utf8JsonWriter(output))
        {
            WriteHeader(writer, header with { Action = RunnerRecordActions.SaveKeys });
            Span<byte> hash = stackalloc byte[16];
            foreach (var record in records.EnumerateArray())
            {
                if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty("id"u8, out var id))
                {
                    return null;
                }
                var text = id.ValueKind switch
                {
                    JsonValueKind.String => TextOf(id),
                    JsonValueKind.Number => id.GetRawText(),
                    _ => null,
                };
                if (text is null || !ids.Add(text))
                {
                    return null;
                }
                var raw = JsonMarshal.GetRawUtf8Value(record);
                // The same hash of the same bytes Nango.Web hashes when it stores the record; it names, it protects nothing.
                XxHash128.Hash(raw, hash);
                writer.WriteStartObject();
                writer.WriteString("id"u8, text);
                writer.WriteBase64String("hash"u8, hash);
                writer.WriteNumber("size"u8, raw.Length);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A string id's text; null for an escaped lone surrogate (<c>"\ud800"</c>), which has none.</summary>
    private static string? TextOf(JsonElement id)
    {
        try
        {
            return id.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A <see cref="RunnerRecordActions.Save"/> of the chunk's records at <paramref name="positions"/>, each as the script sent it.</summary>
    private static byte[] FullRequest(ChunkHeader header, JsonElement records, IReadOnlyList<int> positions)
    {
        var output = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(output);
        WriteHeader(writer, header);
        var wanted = positions.ToHashSet();
        var position = 0;
        foreach (var record in records.EnumerateArray())
        {
            if (wanted.Contains(position++))
            {
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(record), skipInputValidation: true);
            }
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Opens the call's object and its <c>records</c> array.</summary>
    private static void WriteHeader(Utf8JsonWriter writer, ChunkHeader header)
    {
        writer.WriteStartObject();
        writer.WriteString("action"u8, header.Action);
        writer.WriteString("model"u8, header.Model);
        if (header.MergingStrategy is not null)
        {
            writer.WriteString("mergingStrategy"u8, header.MergingStrategy);
        }
        writer.WriteStartArray("records"u8);
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

    /// <summary>
    /// What a chunk is, read from the members before its <c>records</c> (the runtime writes them last) without parsing
    /// the records: null when the call is not an object naming its action and model first.
    /// </summary>
    private sealed record ChunkHeader(string Action, string Model, string? MergingStrategy)
    {
        public static ChunkHeader? Read(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json);
            string? action = null, model = null, mergingStrategy = null;
            try
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                {
                    return null;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("records"u8))
                    {
                        return action is null || model is null ? null : new ChunkHeader(action, model, mergingStrategy);
                    }
                    var name = reader.GetString();
                    if (!reader.Read())
                    {
                        return null;
                    }
                    var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    switch (name)
                    {
                        case "action":
                            action = value;
                            break;
                        case "model":
                            model = value;
                            break;
                        case "mergingStrategy":
                            mergingStrategy = value;
                            break;
                        default:
                            reader.Skip();
                            break;
                    }
                }
            }
            catch (JsonException)
            {
                return null;
            }
            return null;
        }
    }
}
