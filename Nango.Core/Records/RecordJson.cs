using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Core.Records;

/// <summary>
/// Writes records in Nango's shape (<c>{"id": external id, ...payload, "_nango_metadata": {...}}</c>) straight from
/// the stored payload bytes (<see cref="RecordPayload"/>): they are copied, not parsed, which is what keeps a
/// 10,000-record page cheap.
/// </summary>
public static class RecordJson
{
    public static void Write(IBufferWriter<byte> output, RecordRow record)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(record);
        WriteIdAndMembers(output, record.ExternalId, record.PayloadWithoutId.Span);
        Append(output, ",\"_nango_metadata\":{\"first_seen_at\":"u8);
        Timestamp(output, record.CreatedAt);
        Append(output, ",\"last_modified_at\":"u8);
        Timestamp(output, record.UpdatedAt);
        Append(output, record.DeletedAt is not null ? ",\"last_action\":\"DELETED\""u8
            : record.CreatedAt == record.UpdatedAt ? ",\"last_action\":\"ADDED\""u8 : ",\"last_action\":\"UPDATED\""u8);
        Append(output, ",\"deleted_at\":"u8);
        Timestamp(output, record.DeletedAt);
        Append(output, ",\"pruned_at\":"u8);
        Timestamp(output, record.PrunedAt);
        Append(output, ",\"cursor\":\""u8);
        var span = output.GetSpan(RecordCursor.MaxEncodedLength);
        output.Advance(RecordCursor.EncodeUtf8(record.UpdatedAt, record.Id, span));
        Append(output, "\"}}"u8);
    }

    /// <summary>
    /// The record's object up to its last member, unclosed: <c>{"id": external id</c>, then the stored payload's
    /// members (what follows the id and what closes the object is the caller's).
    /// </summary>
    public static void WriteIdAndMembers(IBufferWriter<byte> output, string externalId, ReadOnlySpan<byte> payloadWithoutId)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(externalId);
        Append(output, "{\"id\":"u8);
        ExternalId(output, externalId);
        // The stored payload is an object's text: its members go after the id.
        var inner = RecordPayload.Inner(payloadWithoutId);
        if (inner.Length > 0)
        {
            Append(output, ","u8);
            Append(output, inner);
        }
    }

    /// <summary>A whole page as <c>GET /records</c> answers it.</summary>
    public static void WritePage(IBufferWriter<byte> output, RecordPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        Append(output, "{\"records\":["u8);
        for (var i = 0; i < page.Records.Count; i++)
        {
            if (i > 0)
            {
                Append(output, ","u8);
            }
            Write(output, page.Records[i]);
        }
        WritePageEnd(output, page.NextCursor);
    }

    public static void WritePageEnd(IBufferWriter<byte> output, string? nextCursor)
    {
        Append(output, "],\"next_cursor\":"u8);
        if (nextCursor is null)
        {
            Append(output, "null}"u8);
        }
        else
        {
            Append(output, System.Text.Encoding.ASCII.GetBytes(nextCursor), quoted: true);
            Append(output, "}"u8);
        }
    }

    /// <summary>
    /// <c>batchUpdate</c>'s merge: objects are merged key by key, recursively; anything else in the partial (arrays,
    /// scalars, null) replaces what was there.
    /// </summary>
    public static void DeepMerge(JsonObject target, JsonObject partial)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(partial);
        foreach (var (key, value) in partial)
        {
            if (value is JsonObject partialChild && target[key] is JsonObject targetChild)
            {
                DeepMerge(targetChild, partialChild);
            }
            else
            {
                target[key] = value?.DeepClone();
            }
        }
    }

    /// <summary>
    /// The external id as a JSON string. Ids are nearly always plain ASCII that needs no escaping, written as is;
    /// anything else goes through the encoder the API uses everywhere (same bytes as before).
    /// </summary>
    private static void ExternalId(IBufferWriter<byte> output, string externalId)
    {
        foreach (var c in externalId)
        {
            if (c is < ' ' or > '~' or '"' or '\\' or '<' or '>' or '&' or '\'' or '+' or '`')
            {
                Append(output, JsonEncodedText.Encode(externalId).EncodedUtf8Bytes, quoted: true);
                return;
            }
        }
        var span = output.GetSpan(externalId.Length + 2);
        span[0] = (byte)'"';
        var length = System.Text.Encoding.ASCII.GetBytes(externalId, span[1..]);
        span[length + 1] = (byte)'"';
        output.Advance(length + 2);
    }

    private static void Timestamp(IBufferWriter<byte> output, DateTimeOffset? value)
    {
        if (value is not { } timestamp)
        {
            Append(output, "null"u8);
            return;
        }
        var span = output.GetSpan(48);
        span[0] = (byte)'"';
        var length = RecordCursor.WriteTimestamp(span[1..], timestamp);
        span[length + 1] = (byte)'"';
        output.Advance(length + 2);
    }

    private static void Append(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes, bool quoted = false)
    {
        var span = output.GetSpan(bytes.Length + 2);
        if (quoted)
        {
            span[0] = (byte)'"';
            bytes.CopyTo(span[1..]);
            span[bytes.Length + 1] = (byte)'"';
            output.Advance(bytes.Length + 2);
        }
        else
        {
            bytes.CopyTo(span);
            output.Advance(bytes.Length);
        }
    }
}
