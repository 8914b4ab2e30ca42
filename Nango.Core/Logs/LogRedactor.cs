using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nango.Core.Logs;

/// <summary>
/// Removes credentials from anything logged, before it is buffered, so no store, dump or crash ever holds
/// them. Headers: the usual auth headers plus any name containing token, secret, signature, api-key,
/// apikey or password. JSON bodies, form bodies, query strings and meta: any key whose name, lower-cased
/// and without <c>_</c>/<c>-</c>, contains token, secret, password or apikey (so access_token,
/// refresh_token, client_secret, api_key, apiKey...). Values become <see cref="Redacted"/>.
/// </summary>
public static class LogRedactor
{
    public const string Redacted = "[REDACTED]";

    private static readonly HashSet<string> _sensitiveHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key",
    };

    private static readonly string[] _sensitiveHeaderParts = ["token", "secret", "signature", "api-key", "apikey", "password"];

    private static readonly string[] _sensitiveKeyParts = ["token", "secret", "password", "apikey", "authorization"];

    public static bool IsSensitiveHeader(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_sensitiveHeaders.Contains(name))
        {
            return true;
        }
        foreach (var part in _sensitiveHeaderParts)
        {
            if (name.Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    public static bool IsSensitiveKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<char> buffer = key.Length <= 128 ? stackalloc char[key.Length] : new char[key.Length];
        var length = 0;
        foreach (var c in key)
        {
            if (c is not ('_' or '-'))
            {
                buffer[length++] = char.ToLowerInvariant(c);
            }
        }
        var normalized = buffer[..length];
        foreach (var part in _sensitiveKeyParts)
        {
            if (normalized.Contains(part, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public static IReadOnlyDictionary<string, string>? RedactHeaders(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null)
        {
            return null;
        }
        var copy = new Dictionary<string, string>(headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            copy[name] = IsSensitiveHeader(name) ? Redacted : value;
        }
        return copy;
    }

    public static LogHttpRequest? Redact(LogHttpRequest? request, int maxBodyLength)
    {
        if (request is null)
        {
            return null;
        }
        return new LogHttpRequest(request.Method, RedactUrl(request.Url), RedactHeaders(request.Headers), RedactBody(request.Body, maxBodyLength));
    }

    public static LogHttpResponse? Redact(LogHttpResponse? response, int maxBodyLength)
    {
        if (response is null)
        {
            return null;
        }
        return new LogHttpResponse(response.Code, RedactHeaders(response.Headers), RedactBody(response.Body, maxBodyLength));
    }

    /// <summary>Query-string values of sensitive parameters (<c>?access_token=…</c>) are replaced.</summary>
    public static string RedactUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var query = url.IndexOf('?', StringComparison.Ordinal);
        if (query < 0)
        {
            return url;
        }
        var fragment = url.IndexOf('#', query);
        var end = fragment < 0 ? url.Length : fragment;
        var redacted = RedactForm(url[(query + 1)..end]);
        return url[..(query + 1)] + redacted + url[end..];
    }

    /// <summary>A deep copy with sensitive keys replaced; null stays null.</summary>
    public static JsonObject? RedactJson(JsonObject? value) => value is null ? null : (JsonObject)RedactNode(value)!;

    public static JsonNode? RedactJson(JsonNode? value) => value is null ? null : RedactNode(value);

    /// <summary>JSON and form-encoded bodies are redacted by key; other text is kept; long bodies are cut.</summary>
    public static string? RedactBody(string? body, int maxBodyLength)
    {
        if (string.IsNullOrEmpty(body))
        {
            return body;
        }
        var trimmed = body.AsSpan().TrimStart();
        string result;
        if (trimmed.Length > 0 && trimmed[0] is '{' or '[')
        {
            try
            {
                var node = JsonNode.Parse(body);
                result = RedactNode(node)?.ToJsonString() ?? body;
            }
            catch (JsonException)
            {
                result = body;
            }
        }
        else if (LooksLikeForm(body))
        {
            result = RedactForm(body);
        }
        else
        {
            result = body;
        }
        return result.Length > maxBodyLength ? string.Concat(result.AsSpan(0, maxBodyLength), "…[truncated]") : result;
    }

    private static JsonNode? RedactNode(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    copy[key] = value is not null && IsSensitiveKey(key)
                        ? JsonValue.Create(Redacted)
                        : RedactNode(value);
                }
                return copy;
            case JsonArray array:
                var items = new JsonArray();
                foreach (var item in array)
                {
                    items.Add(RedactNode(item));
                }
                return items;
            default:
                return node?.DeepClone();
        }
    }

    private static bool LooksLikeForm(string body) =>
        body.Contains('=', StringComparison.Ordinal) && !body.AsSpan().ContainsAny(" \n\r\t<");

    private static string RedactForm(string form)
    {
        if (form.Length == 0)
        {
            return form;
        }
        var builder = new StringBuilder(form.Length);
        foreach (var pair in form.Split('&'))
        {
            if (builder.Length > 0)
            {
                builder.Append('&');
            }
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : Uri.UnescapeDataString(pair[..equals]);
            if (equals >= 0 && IsSensitiveKey(key))
            {
                builder.Append(pair, 0, equals + 1).Append(Uri.EscapeDataString(Redacted));
            }
            else
            {
                builder.Append(pair);
            }
        }
        return builder.ToString();
    }
}
