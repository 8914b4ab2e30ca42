using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Core.Webhooks;

/// <summary>
/// JSON text spelled exactly as JavaScript's <c>JSON.stringify</c> spells the same value. Webhook bodies need it:
/// the legacy <c>X-Nango-Signature</c> is checked by <c>@nangohq/node</c> as SHA-256 of key +
/// <c>JSON.stringify(JSON.parse(body))</c>, so the body sent must be its own <c>JSON.stringify</c> round trip.
/// System.Text.Json is not: even with relaxed escaping it writes emoji as <c>\uD83D\uDE80</c> and U+2028 escaped,
/// and it keeps numbers as the provider wrote them (<c>10.50</c>, <c>1e3</c>), which JavaScript re-prints
/// (<c>10.5</c>, <c>1000</c>). Rules followed (ECMA-262 <c>JSON.stringify</c>, <c>Number::toString</c>):
/// <list type="bullet">
/// <item>strings: only <c>"</c>, <c>\</c>, control characters (short forms \b \f \n \r \t, else <c>\u00xx</c>) and lone surrogates are escaped, in lower-case hex;</item>
/// <item>numbers: the shortest round-trip digits, plain from 1e-6 up to 1e21, otherwise <c>1.5e+21</c> / <c>1e-7</c>; <c>-0</c> is <c>0</c>; out of range is <c>null</c>;</item>
/// <item>objects: integer-like keys ("array indices") first in ascending order, then the rest in insertion order, as a parsed JavaScript object enumerates them.</item>
/// </list>
/// </summary>
internal static class JavaScriptJson
{
    public static string Stringify(JsonNode? node)
    {
        var builder = new StringBuilder(256);
        Write(builder, node);
        return builder.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in EnumerationOrder(obj))
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    WriteString(sb, key);
                    sb.Append(':');
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }
                    Write(sb, array[i]);
                }
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
            default:
                throw new NotSupportedException($"Unexpected JSON node {node.GetType()}.");
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(sb, value.TryGetValue<string>(out var text) ? text : JsonSerializer.Deserialize<string>(value.ToJsonString())!);
                break;
            case JsonValueKind.Number:
                sb.Append(Number(double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)));
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    private static IEnumerable<KeyValuePair<string, JsonNode?>> EnumerationOrder(JsonObject obj)
    {
        var indices = obj.Where(p => IsArrayIndex(p.Key)).ToList();
        if (indices.Count == 0)
        {
            return obj;
        }
        return indices.OrderBy(p => uint.Parse(p.Key, CultureInfo.InvariantCulture)).Concat(obj.Where(p => !IsArrayIndex(p.Key)));
    }

    // A canonical decimal integer below 2^32 - 1: "0", "7", "42", but not "01", "-1" or "4294967295".
    private static bool IsArrayIndex(string key) =>
        key.Length is > 0 and <= 10
        && (key == "0" || key[0] != '0')
        && key.All(char.IsAsciiDigit)
        && ulong.Parse(key, CultureInfo.InvariantCulture) < uint.MaxValue;

    private static void WriteString(StringBuilder sb, string text)
    {
        sb.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        AppendEscaped(sb, c);
                    }
                    else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        AppendEscaped(sb, c);
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        sb.Append('"');
    }

    private static void AppendEscaped(StringBuilder sb, char c) =>
        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));

    /// <summary>ECMA-262 <c>Number::toString(x)</c> in radix 10, with JSON's <c>null</c> for non-finite values.</summary>
    internal static string Number(double value)
    {
        if (!double.IsFinite(value))
        {
            return "null";
        }
        if (value == 0)
        {
            return "0";
        }
        if (value < 0)
        {
            return "-" + Number(-value);
        }

        // "R" is the shortest string that round-trips, the same digits JavaScript picks; only the layout differs.
        var roundTrip = value.ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = roundTrip.IndexOf('E', StringComparison.Ordinal);
        var mantissa = exponentAt < 0 ? roundTrip : roundTrip[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(roundTrip[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        // n: where the decimal point sits relative to the first digit (value = 0.digits × 10^n).
        var n = (point < 0 ? mantissa.Length : point) + exponent;
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        n -= leadingZeros;
        var k = digits.Length;

        if (k <= n && n <= 21)
        {
            return digits + new string('0', n - k);
        }
        if (0 < n && n <= 21)
        {
            return digits[..n] + "." + digits[n..];
        }
        if (-6 < n && n <= 0)
        {
            return "0." + new string('0', -n) + digits;
        }
        var e = n - 1;
        var sign = e < 0 ? "-" : "+";
        return (k == 1 ? digits : digits[..1] + "." + digits[1..]) + "e" + sign + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
    }
}
