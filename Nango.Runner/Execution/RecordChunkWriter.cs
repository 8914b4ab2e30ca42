using System.Text;
using System.Text.Json;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Nango.Runner.Host;

namespace Nango.Runner.Execution;

/// <summary>
/// Writes a script's record chunk as JSON text straight from its JavaScript values, the same bytes
/// <c>JSON.stringify</c> would give. For plain data (what object literals and <c>JSON.parse</c> make: strings,
/// numbers, booleans, null, arrays and objects of Object.prototype) it walks the values itself; a record holding
/// anything else (a Date, a class instance, a getter, a toJSON, a Map, a proxy, a BigInt, a cycle) goes through
/// Jint's own serializer, the code behind <c>JSON.stringify</c>, so its text and its errors are the script's.
/// Why: for the records bench's 100,000 records of 1 KB, JSON.stringify, turning its string into bytes and parsing them
/// again to find each record took about 1.1 s of the runner's JavaScript thread (the script itself 0.4 s, measured
/// alone in Jint); this walk into a pooled buffer takes about 0.15 s, and each record's place and id come out of it.
/// </summary>
internal sealed class RecordChunkWriter(Engine engine, long maxChunkBytes)
{
    /// <summary>Deeper than this, a record goes through Jint's serializer, which detects cycles.</summary>
    private const int MaxPlainDepth = 64;

    private static readonly JsString ToJson = new("toJSON");
    private static readonly JsString Id = new("id");
    private static readonly JsString NangoMetadata = new("_nango_metadata");

    private readonly Jint.Native.Json.JsonSerializer _serializer = new(engine);
    private int _sizeHint = 16 * 1024;

    /// <summary>
    /// The chunk of a <c>records</c> call of records <paramref name="start"/> to <paramref name="end"/> (excluded), each
    /// as <paramref name="withoutMetadata"/> (the runtime's function) answers for it: called only for a record that has
    /// <c>_nango_metadata</c> or that is no plain object, for which the runtime's own test decides. Throws what
    /// JSON.stringify would throw for the records.
    /// </summary>
    public RecordChunk Write(string action, string model, string? mergingStrategy, JsArray records, uint start, uint end, JsValue withoutMetadata)
    {
        var json = new JsonBuffer(_sizeHint);
        RecordChunk.WriteHeader(json, action, model, mergingStrategy);
        // A toJSON on the prototypes every plain value has would apply to all of them: then none is plain.
        var objectPrototype = engine.Intrinsics.Object.PrototypeObject;
        var arrayPrototype = engine.Intrinsics.Array.PrototypeObject;
        var plain = new PlainWalk(json, objectPrototype, arrayPrototype);
        var walkable = !objectPrototype.HasOwnProperty(ToJson) && !arrayPrototype.HasOwnProperty(ToJson);
        var entries = new RecordChunk.Entry[(int)(end - start)];
        try
        {
            for (var i = 0; i < entries.Length; i++)
            {
                if (i > 0)
                {
                    json.Write((byte)',');
                }
                var recordStart = json.Length;
                var record = records[start + (uint)i];
                if (record is ObjectInstance and not JsArray && (record is not JsObject plainObject || plainObject.HasProperty(NangoMetadata)))
                {
                    record = engine.Call(withoutMetadata, JsValue.Undefined, [record]);
                }
                string? id = null;
                if (!walkable || plain.WriteRecord(record, out id) == Outcome.NeedsSerializer)
                {
                    json.Truncate(recordStart);
                    // The serializer is JSON.stringify's: it calls a record's toJSON with the key "" rather than its index.
                    if (!_serializer.Serialize(record, json))
                    {
                        json.Write("null"u8);
                    }
                    id = IdOf(json.WrittenSpan[recordStart..]);
                }
                entries[i] = new RecordChunk.Entry(recordStart, json.Length - recordStart, id);
                if (maxChunkBytes > 0 && json.Length > maxChunkBytes)
                {
                    // JSON.stringify's string would have counted against the engine's memory limit; this buffer does not.
                    throw new MemoryLimitExceededException($"The records of one call take more than {maxChunkBytes} bytes as JSON.");
                }
            }
        }
        catch
        {
            // What JSON.stringify throws (a cycle, a BigInt), or the limit: the chunk goes nowhere.
            json.Dispose();
            throw;
        }
        RecordChunk.WriteEnd(json);
        _sizeHint = Math.Max(_sizeHint, json.Length);
        return new RecordChunk(action, model, mergingStrategy, json, entries);
    }

    /// <summary>The id of a record written by Jint's serializer, read back from its text.</summary>
    private static string? IdOf(ReadOnlySpan<byte> record)
    {
        var reader = new Utf8JsonReader(record);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId)
            {
                return reader.TokenType switch
                {
                    JsonTokenType.String => TextOf(ref reader),
                    JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => null,
                };
            }
            reader.Skip();
        }
        return null;
    }

    /// <summary>A string's text; null for an escaped lone surrogate (<c>"\ud800"</c>), which has none.</summary>
    private static string? TextOf(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private enum Outcome
    {
        Written,

        /// <summary>undefined, a function or a symbol: no JSON text (left out of an object, null in an array).</summary>
        NoText,

        NeedsSerializer,
    }

    /// <summary>The walk over plain values. Whatever it cannot write exactly as JSON.stringify would, it refuses, and the
    /// caller takes back what it wrote of the record.</summary>
    private readonly struct PlainWalk(JsonBuffer json, ObjectInstance objectPrototype, ObjectInstance arrayPrototype)
    {
        public Outcome WriteRecord(JsValue record, out string? id)
        {
            id = null;
            if (record is not JsObject)
            {
                var outcome = WriteValue(record, depth: 1);
                if (outcome == Outcome.NoText)
                {
                    json.Write("null"u8);
                    return Outcome.Written;
                }
                return outcome;
            }
            return WriteObject((JsObject)record, depth: 1, ref id);
        }

        private Outcome WriteValue(JsValue value, int depth)
        {
            switch (value.Type)
            {
                case Types.Null:
                    json.Write("null"u8);
                    return Outcome.Written;
                case Types.Boolean:
                    json.Write(value.AsBoolean() ? "true"u8 : "false"u8);
                    return Outcome.Written;
                case Types.String:
                    json.WriteString(value.ToString());
                    return Outcome.Written;
                case Types.Number:
                    WriteNumber(value);
                    return Outcome.Written;
                case Types.Undefined:
                case Types.Symbol:
                    return Outcome.NoText;
                case Types.Object when depth < MaxPlainDepth && value is JsArray array:
                    return WriteArray(array, depth + 1);
                case Types.Object when depth < MaxPlainDepth && value is JsObject plainObject:
                    string? ignored = null;
                    return WriteObject(plainObject, depth + 1, ref ignored);
                default:
                    // A BigInt (JSON.stringify throws), a function (a toJSON could still apply), a Date and every other
                    // object with behaviour of its own.
                    return Outcome.NeedsSerializer;
            }
        }

        private void WriteNumber(JsValue value)
        {
            var number = value.AsNumber();
            if (!double.IsFinite(number))
            {
                json.Write("null"u8);
            }
            else if (Math.Abs(number) < 9007199254740992d && number == Math.Truncate(number))
            {
                // An integer JavaScript holds exactly: its digits (-0 is written 0, as JavaScript does).
                json.WriteInteger((long)number);
            }
            else
            {
                // JavaScript's shortest round-trip text (0.1, 1e+21, 5e-324), as Number.prototype.toString writes it.
                json.WriteAscii(TypeConverter.ToString(value));
            }
        }

        private Outcome WriteArray(JsArray array, int depth)
        {
            if (!ReferenceEquals(array.Prototype, arrayPrototype) || array.HasOwnProperty(ToJson))
            {
                return Outcome.NeedsSerializer;
            }
            json.Write((byte)'[');
            var length = array.Length;
            for (uint i = 0; i < length; i++)
            {
                if (i > 0)
                {
                    json.Write((byte)',');
                }
                var outcome = WriteValue(array[i], depth);
                if (outcome == Outcome.NeedsSerializer)
                {
                    return outcome;
                }
                if (outcome == Outcome.NoText)
                {
                    json.Write("null"u8);
                }
            }
            json.Write((byte)']');
            return Outcome.Written;
        }

        /// <summary>A plain object's members; for a record (depth 1), <paramref name="id"/> is set to its id's text when it
        /// has a string or number id.</summary>
        private Outcome WriteObject(JsObject value, int depth, ref string? id)
        {
            if (value.Prototype is { } prototype && !ReferenceEquals(prototype, objectPrototype))
            {
                return Outcome.NeedsSerializer;
            }
            json.Write((byte)'{');
            var first = true;
            // In the order JSON.stringify takes them: integer keys ascending, then the others as they were added.
            foreach (var key in value.GetOwnPropertyKeys(Types.String))
            {
                if (key.Equals(ToJson))
                {
                    return Outcome.NeedsSerializer;
                }
                var property = value.GetOwnProperty(key);
                if (!property.Enumerable)
                {
                    continue;
                }
                if (property.IsAccessorDescriptor())
                {
                    return Outcome.NeedsSerializer;
                }
                var memberStart = json.Length;
                if (!first)
                {
                    json.Write((byte)',');
                }
                json.WriteString(key.ToString());
                json.Write((byte)':');
                var valueStart = json.Length;
                var propertyValue = property.Value;
                if (depth == 1 && propertyValue.Type == Types.String && key.Equals(Id))
                {
                    // A string id with a lone surrogate has no UTF-8 text: the record is not named by it.
                    var text = propertyValue.ToString();
                    id = json.WriteString(text) ? null : text;
                    first = false;
                    continue;
                }
                var outcome = WriteValue(propertyValue, depth);
                if (outcome == Outcome.NeedsSerializer)
                {
                    return outcome;
                }
                if (outcome == Outcome.NoText)
                {
                    json.Truncate(memberStart);
                    continue;
                }
                first = false;
                if (depth == 1 && propertyValue.Type == Types.Number && key.Equals(Id))
                {
                    id = Encoding.ASCII.GetString(json.WrittenSpan[valueStart..]);
                }
            }
            json.Write((byte)'}');
            return Outcome.Written;
        }
    }
}
