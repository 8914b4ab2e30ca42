using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Core.Webhooks.Incoming;

/// <summary>
/// A provider's request body read the way Nango's body parsers read it: JSON as JSON, a form post as an object of
/// its fields (Slack sends <c>payload=</c> forms), anything else as text. <see cref="Payload"/> is what forwards
/// carry; <see cref="Routing"/> is where routing rules look. Signatures are checked over the raw bytes, never these.
/// </summary>
public sealed class IncomingWebhookBody
{
    private IncomingWebhookBody(string kind, JsonNode payload, JsonNode? routing)
    {
        Kind = kind;
        Payload = payload;
        Routing = routing;
    }

    /// <summary><c>json</c>, <c>form</c>, <c>text</c> or <c>empty</c>, for logs.</summary>
    public string Kind { get; }

    /// <summary>The body as JSON; an empty body is <c>{}</c>, as Express gives Nango.</summary>
    public JsonNode Payload { get; }

    /// <summary>
    /// The JSON routing rules read: the payload, except for a form whose <c>payload</c> field holds JSON (Slack's
    /// interactivity posts), where it is that JSON, as Nango's Slack routing reads it. Null for text.
    /// </summary>
    public JsonNode? Routing { get; }

    public static IncomingWebhookBody Parse(ReadOnlySpan<byte> raw, string? contentType)
    {
        if (raw.IsEmpty)
        {
            return new IncomingWebhookBody("empty", new JsonObject(), null);
        }
        var mediaType = MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType : null;
        if (string.Equals(mediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            var form = ParseForm(Encoding.UTF8.GetString(raw));
            var routing = form["payload"] is JsonValue field && field.TryGetValue<string>(out var inner) && TryParseJson(Encoding.UTF8.GetBytes(inner)) is { } json
                ? json
                : form;
            return new IncomingWebhookBody("form", form, routing);
        }
        // Providers label JSON loosely (text/plain from some, no type at all from others): whatever parses is JSON.
        if (TryParseJson(raw) is { } body)
        {
            return new IncomingWebhookBody("json", body, body);
        }
        return new IncomingWebhookBody("text", JsonValue.Create(Encoding.UTF8.GetString(raw)), null);
    }

    private static readonly JsonDocumentOptions _strict = new() { AllowDuplicateProperties = false };

    private static JsonNode? TryParseJson(ReadOnlySpan<byte> raw)
    {
        try
        {
            // JsonObject builds its dictionary lazily and would throw on a duplicate key only when the event is
            // serialised for the outbox; refusing duplicates at parse time makes such a body text instead.
            return JsonNode.Parse(raw, documentOptions: _strict);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Fields in order; a repeated name becomes an array of its values, as Express's parser makes it.</summary>
    private static JsonObject ParseForm(string text)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            if (!values.TryGetValue(name, out var list))
            {
                values[name] = list = [];
                order.Add(name);
            }
            list.Add(value);
        }
        var form = new JsonObject();
        foreach (var name in order)
        {
            var list = values[name];
            form[name] = list.Count == 1 ? JsonValue.Create(list[0]) : new JsonArray(list.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }
        return form;
    }

    private static string Decode(string part) => Uri.UnescapeDataString(part.Replace('+', ' '));
}
