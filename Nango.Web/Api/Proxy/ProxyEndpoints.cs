using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Nango.Core.Common;
using Nango.Core.Proxy;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Proxy;

/// <summary>
/// <c>ANY /proxy/{*path}</c> (reference §1.6): reads Nango's proxy headers, hands the call to
/// <see cref="ProxyService"/>, and streams the provider's answer back unchanged.
/// </summary>
public static partial class ProxyEndpoints
{
    private const string ForwardPrefix = "Nango-Proxy-";
    private const int MaxRetries = 100;

    private static readonly string[] _methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    public static RouteGroupBuilder MapProxyEndpoints(this RouteGroupBuilder api)
    {
        api.MapMethods("/proxy/{**path}", _methods, HandleAsync)
            .WithTags("Proxy")
            .WithName("Proxy")
            .WithSummary("Call the provider's API with the connection's credentials.");
        return api;
    }

    [GeneratedRegex(@"^\d+(,\d+)*$")]
    private static partial Regex RetryOnPattern();

    private static async Task HandleAsync(HttpContext http, ProxyService proxy)
    {
        var request = http.Request;
        var (call, errors) = Read(http);
        if (errors.Count > 0)
        {
            await ApiErrors.InvalidHeaders(errors).ExecuteAsync(http);
            return;
        }

        // Bodies stream through: the server-wide request size limit is for the JSON API, not for files sent to a provider.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = null;
        }
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        call = call! with
        {
            Body = hasBody ? request.Body : null,
            BodyLength = hasBody ? request.ContentLength : null,
        };

        using var response = await proxy.SendAsync(call, http.RequestAborted);
        if (response.Error is { } error)
        {
            await ApiErrors.Create(error.Status, error.Code, error.Message).ExecuteAsync(http);
            return;
        }

        http.Response.StatusCode = response.StatusCode;
        foreach (var (name, values) in response.Headers)
        {
            http.Response.Headers.Append(name, values.ToArray());
        }
        if (request.Method == HttpMethods.Head || response.StatusCode is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
        {
            response.Finish();
            return;
        }
        try
        {
            await using var body = await response.ReadBodyAsync(http.RequestAborted);
            await body.CopyToAsync(http.Response.Body, 81920, http.RequestAborted);
            response.Finish();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException)
        {
            // The status line is gone already; all that is left is to cut the response short and say so in the log.
            response.Finish(ex);
            http.Abort();
        }
    }

    private static (ProxyCall?, List<ValidationError>) Read(HttpContext http)
    {
        var headers = http.Request.Headers;
        var errors = new List<ValidationError>();
        string? Single(string name) => headers.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value.ToString()) ? value.ToString() : null;

        var connectionId = Single("Connection-Id");
        var providerConfigKey = Single("Provider-Config-Key");
        if (connectionId is null)
        {
            errors.Add(ValidationError.At("Missing Connection-Id header", "connection-id"));
        }
        if (providerConfigKey is null)
        {
            errors.Add(ValidationError.At("Missing Provider-Config-Key header", "provider-config-key"));
        }
        var retries = 0;
        if (Single("Retries") is { } retriesText
            && (!int.TryParse(retriesText, NumberStyles.None, CultureInfo.InvariantCulture, out retries) || retries > MaxRetries))
        {
            errors.Add(ValidationError.At($"Retries must be an integer from 0 to {MaxRetries}", "retries"));
        }
        var retryOn = new HashSet<int>();
        if (Single("Retry-On") is { } retryOnText)
        {
            if (RetryOnPattern().IsMatch(retryOnText))
            {
                retryOn.UnionWith(retryOnText.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)));
            }
            else
            {
                errors.Add(ValidationError.At("Retry-On must be a comma-separated list of HTTP status codes", "retry-on"));
            }
        }
        var baseUrlOverride = Single("Base-Url-Override");
        if (baseUrlOverride is not null
            && (!Uri.TryCreate(baseUrlOverride, UriKind.Absolute, out var overrideUri) || (overrideUri.Scheme != Uri.UriSchemeHttp && overrideUri.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add(ValidationError.At("Base-Url-Override must be an absolute http(s) URL", "base-url-override"));
        }
        var decompress = Flag(Single("Decompress"), "decompress", errors);
        var forwardOnRedirect = Flag(Single("Forward-Headers-On-Redirect"), "forward-headers-on-redirect", errors);
        Guid? activityLogId = null;
        if (Single("Nango-Activity-Log-Id") is { } activityText)
        {
            if (Guid.TryParse(activityText, out var parsed))
            {
                activityLogId = parsed;
            }
            else
            {
                errors.Add(ValidationError.At("Nango-Activity-Log-Id must be a log operation id", "nango-activity-log-id"));
            }
        }
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        // Forwarded: Nango-Proxy-<Name> as <Name>, and the body's own Content-Type.
        var forwarded = new List<KeyValuePair<string, string>>();
        if (http.Request.ContentType is { Length: > 0 } contentType)
        {
            forwarded.Add(new("Content-Type", contentType));
        }
        foreach (var (name, values) in headers)
        {
            if (name.Length > ForwardPrefix.Length && name.StartsWith(ForwardPrefix, StringComparison.OrdinalIgnoreCase))
            {
                forwarded.Add(new(name[ForwardPrefix.Length..], values.ToString()));
            }
        }

        var env = http.GetNangoEnvironment();
        var rawTarget = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? http.Request.Path.Value ?? "";
        var pathEnd = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = pathEnd < 0 ? rawTarget : rawTarget[..pathEnd];
        var endpoint = rawPath.Length > "/proxy".Length ? rawPath["/proxy".Length..] : "/";
        return (new ProxyCall
        {
            Environment = env,
            ProviderConfigKey = providerConfigKey!,
            ConnectionId = connectionId!,
            Method = http.Request.Method,
            Endpoint = endpoint,
            QueryString = http.Request.QueryString.Value ?? "",
            Headers = forwarded,
            Retries = retries,
            RetryOn = retryOn,
            BaseUrlOverride = baseUrlOverride,
            Decompress = decompress,
            ForwardHeadersOnRedirect = forwardOnRedirect,
            ActivityLogId = activityLogId,
        }, errors);
    }

    private static bool? Flag(string? value, string name, List<ValidationError> errors)
    {
        switch (value?.ToLowerInvariant())
        {
            case null:
                return null;
            case "true":
                return true;
            case "false":
                return false;
            default:
                errors.Add(ValidationError.At($"{name} must be true or false", name));
                return null;
        }
    }
}
