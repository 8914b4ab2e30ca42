using System.Text.Json;
using System.Text.Json.Nodes;
using Nango.Core.Providers;

namespace Nango.Core.Webhooks.Incoming;

/// <summary>The rule that found values in a request, and those values (several when the body is an array of events).</summary>
public sealed record WebhookRouteMatch(ProviderWebhookRoute Route, IReadOnlyList<string> Values);

/// <summary>What routing reads from a request besides the body: headers by any case, query parameters exactly.</summary>
public sealed record IncomingWebhookRequestParts(
    IncomingWebhookBody Body,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyDictionary<string, string> Query);

/// <summary>Reads the catalog's <c>webhook_routing</c> and <c>webhook_event_type</c> sources from a request.</summary>
public static class WebhookRouting
{
    /// <summary>The first rule that finds at least one value, or null when none does (the webhook is then unmatched).</summary>
    public static WebhookRouteMatch? Evaluate(IReadOnlyList<ProviderWebhookRoute> routes, IncomingWebhookRequestParts request)
    {
        ArgumentNullException.ThrowIfNull(routes);
        foreach (var route in routes)
        {
            var values = Read(route.Source, request);
            if (values.Count > 0)
            {
                return new WebhookRouteMatch(route, values);
            }
        }
        return null;
    }

    /// <summary>Every distinct value at the source, in order; a body array (HubSpot's batch of events) is read per element.</summary>
    public static IReadOnlyList<string> Read(ProviderWebhookSource source, IncomingWebhookRequestParts request)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        var found = new List<string>();
        switch (source.Origin)
        {
            case WebhookValueOrigin.Header:
                Add(found, request.Headers.GetValueOrDefault(source.Path));
                break;
            case WebhookValueOrigin.Query:
                Add(found, request.Query.GetValueOrDefault(source.Path));
                break;
            default:
                var documents = request.Body.Routing is JsonArray events ? events.ToList() : [request.Body.Routing];
                foreach (var document in documents)
                {
                    Add(found, Scalar(Get(document, source.Path)));
                }
                break;
        }
        return found;
    }

    /// <summary>
    /// A dotted path, lodash <c>get</c> style as Nango's routing reads it: a key that literally contains the dots wins,
    /// then each segment goes one level down (a number indexes an array).
    /// </summary>
    public static JsonNode? Get(JsonNode? node, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (node is JsonObject whole && whole.TryGetPropertyValue(path, out var literal))
        {
            return literal;
        }
        foreach (var segment in path.Split('.'))
        {
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(segment, out var child) ? child : null,
                JsonArray array when int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }
        return node;
    }

    /// <summary>Strings as they are, numbers as their JSON text (ids are compared as text), booleans as true/false.</summary>
    private static string? Scalar(JsonNode? node) => node is JsonValue value
        ? value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        }
        : null;

    private static void Add(List<string> found, string? value)
    {
        if (!string.IsNullOrEmpty(value) && !found.Contains(value, StringComparer.Ordinal))
        {
            found.Add(value);
        }
    }
}
