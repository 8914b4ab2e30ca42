using System.Text;
using System.Text.Json;
using Nango.Core.Records;

namespace Nango.Tests.Unit.Records;

/// <summary>The stored payload: the record as sent without its top-level id, and the id put back in front on output.</summary>
public sealed class RecordPayloadTests
{
    private static string WithoutId(string json)
    {
        var record = Encoding.UTF8.GetBytes(json);
        var destination = new byte[record.Length];
        return Encoding.UTF8.GetString(destination, 0, RecordPayload.WithoutId(record, destination));
    }

    [Theory]
    [InlineData("""{"id":"a","n":1,"o":{"id":2,"x":[1,{"id":3}]}}""", """{"n":1,"o":{"id":2,"x":[1,{"id":3}]}}""")]
    [InlineData("""{"n":1,"id":42}""", """{"n":1}""")]
    [InlineData("""{"id":"only"}""", "{}")]
    [InlineData("""{ "a" : "x" , "id" : 7 , "b" : null }""", """{"a" : "x","b" : null}""")]
    [InlineData("""{"\u0069d":"escaped","s":"\"id\":1"}""", """{"s":"\"id\":1"}""")]
    public void Only_the_top_level_id_member_is_dropped_and_the_rest_keeps_its_order_and_text(string record, string expected)
    {
        Assert.Equal(expected, WithoutId(record));
    }

    [Fact]
    public void A_name_repeated_at_the_top_level_keeps_only_its_last_member_as_json_parse_does()
    {
        var stored = WithoutId("""{"a":1,"id":"x","b":2,"\u0061":3,"id":"y"}""");

        Assert.Equal("""{"b":2,"\u0061":3}""", stored);
        Assert.Equal(3, JsonDocument.Parse(stored).RootElement.GetProperty("a").GetInt32());
    }

    [Fact]
    public void With_id_puts_the_external_id_first_as_a_string()
    {
        var record = JsonDocument.Parse(RecordPayload.WithId("rec <1>", """{"n":1,"s":"t"}"""u8)).RootElement;

        Assert.Equal("rec <1>", record.GetProperty("id").GetString());
        Assert.Equal(1, record.GetProperty("n").GetInt32());
        Assert.Equal(["id", "n", "s"], record.EnumerateObject().Select(p => p.Name));
        Assert.Equal("""{"id":"x"}""", Encoding.UTF8.GetString(RecordPayload.WithId("x", "{}"u8)));
    }

    [Fact]
    public void Records_on_the_wire_write_every_external_id_as_the_json_encoder_does()
    {
        var ids = Enumerable.Range(1, 126).Select(c => "id-" + (char)c + "-é").Append("plain-ID_1.2:3").ToList();
        foreach (var id in ids)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            var now = DateTimeOffset.UtcNow;
            RecordJson.Write(buffer, new RecordRow(Guid.NewGuid(), id, "{}"u8.ToArray(), now, now, null, null));

            var written = Encoding.UTF8.GetString(buffer.WrittenSpan);
            Assert.StartsWith("{\"id\":\"" + Encoding.UTF8.GetString(JsonEncodedText.Encode(id).EncodedUtf8Bytes) + "\",", written, StringComparison.Ordinal);
            Assert.Equal(id, JsonDocument.Parse(written).RootElement.GetProperty("id").GetString());
        }
    }
}
