using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nango.Core.Providers;

namespace Nango.Core.Proxy;

/// <summary>Whether to try again, after how long, and why (the why goes in the attempt's log message).</summary>
public sealed record RetryDecision(bool Retry, TimeSpan Wait, string Reason)
{
    public static readonly RetryDecision No = new(false, TimeSpan.Zero, "");
}

/// <summary>
/// Nango's proxy retry rules (reference §1.6): network errors, 5xx, 429 and 401 by default — or the provider's
/// <c>proxy.retry.error_code</c> list instead —, the caller's <c>Retry-On</c> statuses, a rate-limit
/// <c>remaining</c> header at 0 and an <c>in_body</c> pattern. The wait is the provider's <c>at</c>/<c>after</c>
/// header, a <c>Retry-After</c>, or the base delay doubled per attempt; never more than the configured maximum.
/// </summary>
public sealed class ProxyRetryPolicy(ProxyOptions options, TimeProvider clock)
{
    /// <summary>Error bodies are read for an <c>in_body</c> rule only up to this size.</summary>
    public const int InBodyReadLimit = 1024 * 1024;

    public TimeSpan Backoff(int attempt)
    {
        var delay = options.RetryBaseDelay * Math.Pow(2, Math.Min(attempt, 30));
        return delay > options.RetryMaxDelay ? options.RetryMaxDelay : delay;
    }

    public RetryDecision ForNetworkError(int attempt) => new(true, Backoff(attempt), "network error");

    /// <summary>The decision for a non-2xx answer; <paramref name="body"/> is given only when the provider has an <c>in_body</c> rule.</summary>
    public RetryDecision ForResponse(HttpResponseMessage response, string? body, int attempt, IReadOnlySet<int> retryOn, ProviderRetry? rule)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(retryOn);
        var status = (int)response.StatusCode;
        if (status is >= 200 and < 300)
        {
            return RetryDecision.No;
        }

        if (rule?.InBody is { Path: { } path, Value: { } pattern } inBody && body is not null
            && MatchInBody(body, path, pattern) is { } match)
        {
            var wait = match.Length > 0 ? ParseWait(match, inBody.Strategy == "at") : null;
            return Decide($"the body's {path} matched the provider's retry pattern", wait, attempt);
        }
        if (rule?.Remaining is { } remainingHeader && Header(response, remainingHeader) is { } remaining)
        {
            if (remaining.Trim() == "0")
            {
                return Decide($"{remainingHeader} is 0", ProviderWait(response, rule), attempt);
            }
            if (status < 500)
            {
                // The provider says requests are left: a 403 or 429 here is not a rate limit, so retrying would not help.
                return retryOn.Contains(status) ? Decide($"{status} is in Retry-On", RetryAfter(response), attempt) : RetryDecision.No;
            }
        }
        if (retryOn.Contains(status))
        {
            return Decide($"{status} is in Retry-On", ProviderWait(response, rule) ?? RetryAfter(response), attempt);
        }
        var retryable = rule is { ErrorCode.Count: > 0 }
            ? rule.ErrorCode.Any(code => StatusMatches(status, code))
            : status >= 500 || status == 429 || status == 401;
        return retryable
            ? Decide($"status {status}", ProviderWait(response, rule) ?? RetryAfter(response), attempt)
            : RetryDecision.No;
    }

    private RetryDecision Decide(string reason, TimeSpan? asked, int attempt)
    {
        var wait = asked ?? Backoff(attempt);
        if (wait < TimeSpan.Zero)
        {
            wait = TimeSpan.Zero;
        }
        return new RetryDecision(true, wait > options.RetryMaxDelay ? options.RetryMaxDelay : wait, reason);
    }

    /// <summary><c>error_code</c> entries are statuses, classes such as <c>5xx</c>, or ranges such as <c>500-502</c> (both ends included), as Nango reads them.</summary>
    private static bool StatusMatches(int status, string code)
    {
        code = code.Trim();
        if (code.Length == 3 && code.EndsWith("xx", StringComparison.OrdinalIgnoreCase) && char.IsAsciiDigit(code[0]))
        {
            return status / 100 == code[0] - '0';
        }
        if (code.Split('-') is [var from, var to]
            && int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            && int.TryParse(to, NumberStyles.None, CultureInfo.InvariantCulture, out var last))
        {
            return status >= first && status <= last;
        }
        return int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var exact) && exact == status;
    }

    private TimeSpan? ProviderWait(HttpResponseMessage response, ProviderRetry? rule)
    {
        if (rule is null)
        {
            return null;
        }
        foreach (var name in rule.At)
        {
            if (Header(response, name) is { } at && ParseWait(at, isInstant: true) is { } wait)
            {
                return wait;
            }
        }
        foreach (var name in rule.After)
        {
            if (Header(response, name) is { } after && ParseWait(after, isInstant: false) is { } wait)
            {
                return wait;
            }
        }
        return null;
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }
        return retryAfter?.Date is { } date ? date - clock.GetUtcNow() : null;
    }

    /// <summary>An instant (Unix seconds or milliseconds, or a date) or a duration in seconds, as the time left to wait.</summary>
    private TimeSpan? ParseWait(string text, bool isInstant)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            if (!isInstant)
            {
                return TimeSpan.FromSeconds(number);
            }
            var instant = number > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds((long)number) : DateTimeOffset.FromUnixTimeSeconds((long)number);
            return instant - clock.GetUtcNow();
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            return date - clock.GetUtcNow();
        }
        return null;
    }

    /// <summary>The text the pattern captured (or the whole match when it has no group), or null when it does not match.</summary>
    private static string? MatchInBody(string body, string path, string pattern)
    {
        string? value;
        try
        {
            var node = JsonNode.Parse(body);
            foreach (var part in path.Split('.'))
            {
                node = node is JsonObject obj ? obj[part] : node is JsonArray array && int.TryParse(part, CultureInfo.InvariantCulture, out var index) && index < array.Count ? array[index] : null;
            }
            value = node?.ToString();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
        if (value is null)
        {
            return null;
        }
        // The catalog writes patterns JavaScript style, /…/flags.
        var options = RegexOptions.None;
        if (pattern.Length > 1 && pattern[0] == '/' && pattern.LastIndexOf('/') is var end and > 0)
        {
            options = pattern[(end + 1)..].Contains('i', StringComparison.Ordinal) ? RegexOptions.IgnoreCase : RegexOptions.None;
            pattern = pattern[1..end];
        }
        Match match;
        try
        {
            match = Regex.Match(value, pattern, options, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
        return !match.Success ? null : match.Groups.Count > 1 ? match.Groups[1].Value : "";
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;
}

/// <summary>Status helpers the proxy shares.</summary>
internal static class HttpStatusCodes
{
    public static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}
