using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Nango.Core.Records;

/// <summary>
/// The stored form of a record's payload (<c>records.payload</c>, bytea): the JSON object's text as the sync sent it,
/// without its top-level <c>id</c> member, UTF-8. The API puts the external id back in front of it on output
/// (<see cref="RecordJson"/>), so a page is written by copying these bytes: Postgres neither parses them on COPY nor
/// prints them on SELECT, which is what jsonb cost on both sides.
/// </summary>
public static class RecordPayload
{
    /// <summary>The most top-level members checked for duplicates pairwise; more use a set.</summary>
    private const int PairwiseLimit = 32;

    /// <summary>
    /// Writes <paramref name="record"/> (a JSON object) without its top-level <c>id</c> member to
    /// <paramref name="destination"/>, which needs <c>record.Length</c> bytes; returns the bytes written. Members keep
    /// their order and text; when a name repeats at the top level only its last member is kept (JSON.parse's and
    /// jsonb's rule), so the stored object never holds a name twice.
    /// </summary>
    public static int WithoutId(ReadOnlySpan<byte> record, Span<byte> destination)
    {
        var members = new List<Member>();
        var reader = new Utf8JsonReader(record);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new ArgumentException("A record is a JSON object.", nameof(record));
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = (int)reader.TokenStartIndex;
            var isId = reader.ValueTextEquals("id"u8);
            var escapedName = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : null;
            reader.Read();
            reader.Skip();
            members.Add(new Member(start, (int)reader.BytesConsumed, isId, escapedName));
        }
        var duplicates = HasDuplicates(record, members);

        destination[0] = (byte)'{';
        var written = 1;
        for (var i = 0; i < members.Count; i++)
        {
            var member = members[i];
            if (member.IsId || (duplicates && NameRepeatsLater(record, members, i)))
            {
                continue;
            }
            if (written > 1)
            {
                destination[written++] = (byte)',';
            }
            record[member.Start..member.End].CopyTo(destination[written..]);
            written += member.End - member.Start;
        }
        destination[written++] = (byte)'}';
        return written;
    }

    /// <summary>The record as <c>{"id": externalId, ...payload}</c>: what <c>GetByIdsAsync</c> hands back.</summary>
    public static byte[] WithId(string externalId, ReadOnlySpan<byte> payloadWithoutId)
    {
        var buffer = new ArrayBufferWriter<byte>(payloadWithoutId.Length + externalId.Length + 16);
        RecordJson.WriteIdAndMembers(buffer, externalId, payloadWithoutId);
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The members of a stored payload, between its braces (empty for <c>{}</c>).</summary>
    public static ReadOnlySpan<byte> Inner(ReadOnlySpan<byte> payloadWithoutId) =>
        payloadWithoutId.Length >= 2 ? payloadWithoutId[1..^1].Trim(" \t\r\n"u8) : [];

    private readonly record struct Member(int Start, int End, bool IsId, byte[]? EscapedName);

    private static ReadOnlySpan<byte> NameOf(ReadOnlySpan<byte> record, Member member)
    {
        if (member.EscapedName is { } name)
        {
            return name;
        }
        // An unescaped name: the bytes between its quotes.
        var text = record[(member.Start + 1)..];
        return text[..text.IndexOf((byte)'"')];
    }

    private static bool HasDuplicates(ReadOnlySpan<byte> record, List<Member> members)
    {
        if (members.Count > PairwiseLimit)
        {
            var names = new HashSet<string>(members.Count, StringComparer.Ordinal);
            foreach (var member in members)
            {
                if (!names.Add(Encoding.UTF8.GetString(NameOf(record, member))))
                {
                    return true;
                }
            }
            return false;
        }
        for (var i = 1; i < members.Count; i++)
        {
            var name = NameOf(record, members[i]);
            for (var j = 0; j < i; j++)
            {
                if (NameOf(record, members[j]).SequenceEqual(name))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static bool NameRepeatsLater(ReadOnlySpan<byte> record, List<Member> members, int index)
    {
        var name = NameOf(record, members[index]);
        for (var j = index + 1; j < members.Count; j++)
        {
            if (NameOf(record, members[j]).SequenceEqual(name))
            {
                return true;
            }
        }
        return false;
    }
}
