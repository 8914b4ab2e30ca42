using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Nango.Core.Auth;
using Nango.Core.Auth.OAuth1;
using Nango.Core.Caching;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.Http;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Providers;
using Nango.Core.Secrets;
using Npgsql;

namespace Nango.Core.Proxy;

/// <summary>
/// Nango's proxy (reference §1.6): finds the connection, refreshes its credentials when they expire soon, builds the
/// provider URL from the catalog, injects the credentials, sends the request (streaming its body when no retry is
/// asked), follows at most <see cref="MaxRedirects"/> redirects itself, retries by Nango's rules, and hands back
/// the provider's response with its body still streaming. Every outgoing connection passes the
/// <see cref="OutboundAddressGuard"/>; every attempt is a message in the call's log operation.
/// </summary>
public sealed class ProxyService : IDisposable
{
    public const int MaxRedirects = 5;

    private readonly NpgsqlDataSource _dataSource;
    private readonly IProviderCatalog _catalog;
    private readonly SecretProtector _protector;
    private readonly CredentialRefresher _refresher;
    private readonly ILogService _logs;
    private readonly TimeProvider _clock;
    private readonly ProxyOptions _options;
    private readonly ProxyRetryPolicy _retry;
    private readonly HttpMessageInvoker _http;
    private readonly HttpMessageInvoker _decompressingHttp;

    /// <summary>
    /// (environment, connection id) → what <see cref="TargetQuery"/> read for each integration key, credentials
    /// decrypted. Changes to the connection, its integration or its environment evict it on every instance (the
    /// tables' NOTIFY triggers, and this instance's own EF writes at once); an expiring token is re-read, never trusted
    /// from here.
    /// </summary>
    private readonly CoherentCache<(int EnvironmentId, string ConnectionId), CachedTarget[]> _targets;

    public ProxyService(
        NpgsqlDataSource dataSource,
        IProviderCatalog catalog,
        SecretProtector protector,
        CredentialRefresher refresher,
        ILogService logs,
        OutboundAddressGuard guard,
        IOptions<NangoOptions> options,
        TimeProvider clock,
        ChangeSignals changes)
    {
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(changes);
        _dataSource = dataSource;
        _catalog = catalog;
        _protector = protector;
        _refresher = refresher;
        _logs = logs;
        _clock = clock;
        _options = options.Value.Proxy;
        _retry = new ProxyRetryPolicy(_options, clock);
        // Redirects are followed here, not by the handler: the handler would keep or drop headers by its own rule,
        // and could not tell a streamed body that cannot be sent twice.
        _http = new HttpMessageInvoker(guard.CreateHandler(allowAutoRedirect: false), disposeHandler: true);
        var decompressing = guard.CreateHandler(allowAutoRedirect: false);
        decompressing.AutomaticDecompression = DecompressionMethods.All;
        _decompressingHttp = new HttpMessageInvoker(decompressing, disposeHandler: true);
        _targets = new CoherentCache<(int, string), CachedTarget[]>(changes, clock, options.Value.Cache.ProxyConnectionTtl);
        changes.Changed += signal =>
        {
            switch (signal.Scope)
            {
                case ChangeScope.Connection:
                    _targets.Remove((signal.EnvironmentId, signal.ConnectionId!));
                    break;
                case ChangeScope.Environment or ChangeScope.Integration:
                    _targets.RemoveWhere((key, _) => key.EnvironmentId == signal.EnvironmentId);
                    break;
                case ChangeScope.Function:
                    // Deployed functions are none of the proxy's targets.
                    break;
                default:
                    _targets.Clear();
                    break;
            }
        };
    }

    public async Task<ProxyResponse> SendAsync(ProxyCall call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        var env = call.Environment;
        var (target, refusal) = await LoadAsync(call, ct);
        var log = call.ActivityLogId is { } activity
            ? _logs.ContinueOperation(activity, env)
            : _logs.StartOperation(OperationStart.For(LogOperationKinds.ProxyCall, env) with
            {
                IntegrationId = target?.Integration.Id,
                IntegrationKey = call.ProviderConfigKey,
                Provider = target?.Integration.Provider,
                ConnectionId = target?.Connection.Id,
                ConnectionName = call.ConnectionId,
                Actor = call.Actor,
                Request = new LogHttpRequest(call.Method, call.Endpoint + call.QueryString),
            });
        refusal ??= target is null ? null : CheckBaseUrlOverride(call, target);
        if (refusal is not null)
        {
            return Refuse(log, refusal);
        }

        var (baseUrl, urlRefusal) = BaseUrl(call, target!);
        if (urlRefusal is not null)
        {
            return Refuse(log, urlRefusal);
        }

        // A body is kept in memory only when a retry may have to send it again (or an OAuth 1 signature covers it).
        byte[]? bufferedBody = null;
        Stream? streamedBody = null;
        var retries = call.Retries;
        if (call.Body is not null)
        {
            if (retries > 0 || IsSignedForm(call, target!))
            {
                var buffer = await BoundedBuffer.ReadAsync(call.Body, _options.MaxBufferedBodyBytes, ct);
                bufferedBody = buffer.Bytes;
                streamedBody = buffer.Remainder;
                if (!buffer.Fits && retries > 0)
                {
                    log.Warn($"The request body is larger than {_options.MaxBufferedBodyBytes} bytes, the most kept for retries; it is sent once, without retries.");
                    retries = 0;
                }
            }
            else
            {
                streamedBody = call.Body;
            }
        }

        var decompress = call.Decompress ?? target!.Provider.Proxy?.Decompress ?? false;
        var http = decompress ? _decompressingHttp : _http;
        var url = TargetUrl(baseUrl!, call, target!);
        for (var attempt = 0; ; attempt++)
        {
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            HttpRequestMessage sent;
            try
            {
                (response, sent) = await SendFollowingRedirectsAsync(http, call, target!, url, bufferedBody, streamedBody, ct);
            }
            catch (Exception ex) when (Find<DestinationNotAllowedException>(ex) is { } refused)
            {
                log.Http(Summary(call.Method, url), null, duration: Stopwatch.GetElapsedTime(started), error: new LogError("destination_not_allowed", refused.Message));
                return Refuse(log, new ProxyError(403, "destination_not_allowed", refused.Message));
            }
            catch (Exception ex) when (IsNetworkFailure(ex, ct))
            {
                var timedOut = ex is OperationCanceledException;
                var message = timedOut ? $"The provider did not answer within {_options.Timeout.TotalSeconds:0} s." : $"The request to the provider failed: {Describe(ex)}";
                var canRetry = attempt < retries && (bufferedBody is not null || call.Body is null);
                var decision = canRetry ? _retry.ForNetworkError(attempt) : RetryDecision.No;
                log.Http(Summary(call.Method, url), null, message, Stopwatch.GetElapsedTime(started),
                    RetryInfo(attempt, retries, decision), new LogError(timedOut ? "timeout" : "network_error", message));
                if (!decision.Retry)
                {
                    return Refuse(log, timedOut ? new ProxyError(504, "proxy_timeout", message) : new ProxyError(502, "proxy_request_failed", message));
                }
                await Task.Delay(decision.Wait, _clock, ct);
                continue;
            }

            var rule = target!.Provider.Proxy?.Retry;
            var canRetryResponse = attempt < retries && (bufferedBody is not null || call.Body is null);
            string? errorBody = null;
            if (canRetryResponse && !response.IsSuccessStatusCode && rule?.InBody is not null)
            {
                (response, errorBody) = await PeekBodyAsync(response, ct);
            }
            var retryDecision = canRetryResponse ? _retry.ForResponse(response, errorBody, attempt, call.RetryOn, rule) : RetryDecision.No;
            log.Http(Summary(sent), new LogHttpResponse((int)response.StatusCode, HeaderMap(response.Headers, response.Content.Headers)),
                retryDecision.Retry ? $"{call.Method} {Redacted(url)} → {(int)response.StatusCode}, retrying in {retryDecision.Wait.TotalSeconds:0.###} s ({retryDecision.Reason})" : null,
                Stopwatch.GetElapsedTime(started), RetryInfo(attempt, retries, retryDecision));
            if (!retryDecision.Retry)
            {
                return ProxyResponse.From(response, log);
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                var refreshed = await RefreshAfterUnauthorizedAsync(call, log, ct);
                if (refreshed is null)
                {
                    return ProxyResponse.From(response, log);
                }
                target = refreshed;
            }
            response.Dispose();
            await Task.Delay(retryDecision.Wait, _clock, ct);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _decompressingHttp.Dispose();
    }

    private static ProxyResponse Refuse(IOperationLog log, ProxyError error)
    {
        log.Error(error.Message, new LogError(error.Code, error.Message));
        log.Fail(new LogError(error.Code, error.Message), new LogHttpResponse(error.Status));
        return ProxyResponse.Refused(error);
    }

    /// <summary>The connection as the proxy needs it: integration, catalog entry, decrypted credentials and config.</summary>
    private sealed record Target(Integration Integration, ProviderDefinition Provider, Connection Connection, JsonObject Credentials, JsonObject ConnectionConfig, bool AllowBaseUrlOverride)
    {
        public OAuthClient? Consumer(SecretProtector protector) =>
            ProviderRequestAuth.Consumer(Credentials, Integration.ClientId, () => protector.UnprotectOrNull(Integration.ClientSecretCiphertext));
    }

    private async Task<(Target?, ProxyError?)> LoadAsync(ProxyCall call, CancellationToken ct)
    {
        var cached = FromCache(call);
        var (target, error) = cached is not null ? (cached, null) : await ReadTargetAsync(call, ct);
        if (target is null)
        {
            return (null, error);
        }
        if (IsExpiring(target) && cached is not null)
        {
            // Another instance may have refreshed it a moment ago: only the row can say.
            (target, error) = await ReadTargetAsync(call, ct);
            if (target is null)
            {
                return (null, error);
            }
        }
        if (IsExpiring(target))
        {
            var refresh = await _refresher.EnsureFreshAsync(call.Environment, call.ProviderConfigKey, call.ConnectionId, force: false, ct);
            switch (refresh.Outcome)
            {
                case RefreshOutcome.Failed:
                    return (target, new ProxyError(424, refresh.Error!.Code, refresh.Error.Message));
                case RefreshOutcome.Refreshed:
                    return await ReadTargetAsync(call, ct);
                default:
                    break;
            }
        }
        return (target, null);
    }

    private bool IsExpiring(Target target) =>
        target.Connection.CredentialsExpiresAt is { } expiresAt && expiresAt - target.Provider.RefreshBuffer <= _clock.GetUtcNow();

    private Target? FromCache(ProxyCall call)
    {
        if (!_targets.TryGet((call.Environment.EnvironmentId, call.ConnectionId), out var entries))
        {
            return null;
        }
        foreach (var entry in entries)
        {
            if (entry.ProviderConfigKey == call.ProviderConfigKey)
            {
                return entry.ToTarget();
            }
        }
        return null;
    }

    /// <summary>
    /// A row as read, immutable: the JSON objects a call works on (and may not share between threads) are parsed from
    /// it per call, which costs microseconds; the database round trip and the decryption are what is saved.
    /// </summary>
    private sealed record CachedTarget(
        string ProviderConfigKey, Integration Integration, ProviderDefinition Provider, Connection Connection, string CredentialsJson, bool AllowBaseUrlOverride)
    {
        public Target ToTarget() =>
            new(Integration, Provider, Connection, JsonObjects.Parse(CredentialsJson), JsonObjects.Parse(Connection.ConnectionConfig), AllowBaseUrlOverride);
    }

    /// <summary>
    /// One round trip, in plain SQL: this runs on every proxied request, where EF's per-query work (building the
    /// context, extracting parameters, materialising entities) cost more than the database did. The left join tells an
    /// unknown integration from an unknown connection.
    /// </summary>
    private const string TargetQuery = """
        SELECT i.id, i.provider, i.client_id, i.client_secret_ciphertext, e.allow_base_url_override,
               c.id, c.credentials_ciphertext, c.connection_config::text, c.credentials_expires_at
        FROM integrations i
        JOIN environments e ON e.id = i.environment_id
        LEFT JOIN connections c ON c.integration_id = i.id AND c.environment_id = i.environment_id
                               AND c.connection_id = @connection AND c.deleted_at IS NULL
        WHERE i.environment_id = @env AND i.unique_key = @key AND i.deleted_at IS NULL
        LIMIT 1
        """;

    private async Task<(Target?, ProxyError?)> ReadTargetAsync(ProxyCall call, CancellationToken ct)
    {
        var generation = _targets.Generation;
        await using var command = _dataSource.CreateCommand(TargetQuery);
        command.Parameters.AddWithValue("env", call.Environment.EnvironmentId);
        command.Parameters.AddWithValue("key", call.ProviderConfigKey);
        command.Parameters.AddWithValue("connection", call.ConnectionId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return (null, new ProxyError(400, ErrorCodes.UnknownProviderConfig,
                "Provider config not found for the given provider config key. Please make sure the provider config exists in the Nango dashboard."));
        }
        if (await reader.IsDBNullAsync(5, ct))
        {
            return (null, new ProxyError(404, ErrorCodes.UnknownConnection, $"No connection '{call.ConnectionId}' exists for the integration '{call.ProviderConfigKey}'."));
        }
        var integration = new Integration
        {
            Id = reader.GetInt32(0),
            EnvironmentId = call.Environment.EnvironmentId,
            UniqueKey = call.ProviderConfigKey,
            Provider = reader.GetString(1),
            ClientId = reader.IsDBNull(2) ? null : reader.GetString(2),
            ClientSecretCiphertext = reader.IsDBNull(3) ? null : reader.GetString(3),
        };
        var connection = new Connection
        {
            Id = reader.GetInt32(5),
            EnvironmentId = call.Environment.EnvironmentId,
            IntegrationId = integration.Id,
            ConnectionId = call.ConnectionId,
            CredentialsCiphertext = reader.GetString(6),
            ConnectionConfig = reader.GetString(7),
            CredentialsExpiresAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
        };
        var allowBaseUrlOverride = reader.GetBoolean(4);
        var provider = _catalog.Find(integration.Provider);
        if (provider is null)
        {
            return (null, new ProxyError(400, ErrorCodes.UnknownProvider, $"The integration's provider '{integration.Provider}' is not in the catalog."));
        }
        var read = new CachedTarget(call.ProviderConfigKey, integration, provider, connection, _protector.Unprotect(connection.CredentialsCiphertext), allowBaseUrlOverride);
        _targets.Store((call.Environment.EnvironmentId, call.ConnectionId), [read], generation,
            (live, loaded) => [.. live.Where(e => e.ProviderConfigKey != read.ProviderConfigKey), .. loaded]);
        return (read.ToTarget(), null);
    }

    private async Task<Target?> RefreshAfterUnauthorizedAsync(ProxyCall call, IOperationLog log, CancellationToken ct)
    {
        var refresh = await _refresher.EnsureFreshAsync(call.Environment, call.ProviderConfigKey, call.ConnectionId, force: true, ct);
        if (refresh.Outcome == RefreshOutcome.Failed)
        {
            log.Warn($"The provider answered 401 and refreshing the credentials failed ({refresh.Error!.Code}); not retrying.");
            return null;
        }
        var (target, _) = await ReadTargetAsync(call, ct);
        if (target is not null && refresh.Outcome == RefreshOutcome.Refreshed)
        {
            log.Info("The provider answered 401; the credentials were refreshed before the next attempt.");
        }
        return target;
    }

    private static ProxyError? CheckBaseUrlOverride(ProxyCall call, Target target) =>
        !string.IsNullOrEmpty(call.BaseUrlOverride) && !target.AllowBaseUrlOverride
            ? new ProxyError(400, "base_url_override_disabled", "Base-Url-Override is disabled in this environment's settings.")
            : null;

    private static (string?, ProxyError?) BaseUrl(ProxyCall call, Target target)
    {
        var template = string.IsNullOrEmpty(call.BaseUrlOverride) ? target.Provider.Proxy?.BaseUrl : call.BaseUrlOverride;
        if (string.IsNullOrEmpty(template))
        {
            return (null, new ProxyError(400, "missing_base_url",
                $"The provider '{target.Provider.Name}' has no proxy base URL in the catalog; send Base-Url-Override with the URL to call."));
        }
        var resolved = ProviderInterpolation.Resolve(template, ProviderRequestAuth.Context(target.Credentials, target.ConnectionConfig));
        if (!resolved.IsComplete)
        {
            return (null, new ProxyError(400, "missing_connection_config",
                $"The provider's base URL needs connection config the connection does not have: {string.Join(", ", resolved.Missing)}."));
        }
        return Uri.TryCreate(resolved.Value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? (resolved.Value, null)
            : (null, new ProxyError(400, "invalid_base_url", $"The base URL '{resolved.Value}' is not an absolute http(s) URL."));
    }

    /// <summary>Base URL + endpoint (an endpoint that already starts with the base URL is not doubled) + query, the provider's query templates added.</summary>
    private static Uri TargetUrl(string baseUrl, ProxyCall call, Target target)
    {
        var endpoint = call.Endpoint;
        var trimmedBase = baseUrl.TrimEnd('/');
        if (endpoint.TrimStart('/').StartsWith(trimmedBase, StringComparison.Ordinal))
        {
            endpoint = endpoint.TrimStart('/')[trimmedBase.Length..];
        }
        var url = trimmedBase + "/" + endpoint.TrimStart('/');
        var query = call.QueryString.TrimStart('?');
        var context = ProviderRequestAuth.Context(target.Credentials, target.ConnectionConfig);
        foreach (var (name, value) in ProviderRequestAuth.ProviderQuery(target.Provider, context))
        {
            query += (query.Length == 0 ? "" : "&") + Uri.EscapeDataString(name) + "=" + Uri.EscapeDataString(value);
        }
        return new Uri(query.Length == 0 ? url : url + "?" + query);
    }

    /// <summary>The last response and the request that got it (after redirects).</summary>
    private async Task<(HttpResponseMessage, HttpRequestMessage)> SendFollowingRedirectsAsync(
        HttpMessageInvoker http, ProxyCall call, Target target, Uri url, byte[]? bufferedBody, Stream? streamedBody, CancellationToken ct)
    {
        var method = call.Method;
        var hasBody = bufferedBody is { Length: > 0 } || streamedBody is not null;
        var withCredentials = true;
        for (var hop = 0; ; hop++)
        {
            var request = Build(call, target, url, method, hasBody ? bufferedBody : null, hasBody ? streamedBody : null, withCredentials);
            HttpResponseMessage response;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_options.Timeout);
                response = await http.SendAsync(request, timeout.Token);
            }
            if (!HttpStatusCodes.IsRedirect(response.StatusCode) || response.Headers.Location is not { } location || hop == MaxRedirects)
            {
                return (response, request);
            }
            var next = new Uri(url, location);
            var keepsMethod = response.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
            if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps || (keepsMethod && hasBody && bufferedBody is null))
            {
                // Not a web URL, or a streamed body that is already spent: the caller gets the redirect itself.
                return (response, request);
            }
            if (!keepsMethod && (response.StatusCode == HttpStatusCode.SeeOther || method == "POST"))
            {
                method = method == "HEAD" ? "HEAD" : "GET";
                hasBody = false;
            }
            // Credentials stay with the origin they were meant for unless the caller (or the catalog) says otherwise.
            withCredentials &= (call.ForwardHeadersOnRedirect ?? target.Provider.Proxy?.ForwardHeadersOnRedirect ?? false)
                || (next.Scheme == url.Scheme && next.IdnHost == url.IdnHost && next.Port == url.Port);
            response.Dispose();
            url = next;
        }
    }

    /// <summary>Content headers the caller may set on the body it sends.</summary>
    private static readonly HashSet<string> _notForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authorization",
    };

    private HttpRequestMessage Build(ProxyCall call, Target target, Uri url, string method, byte[]? bufferedBody, Stream? streamedBody, bool withCredentials)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (bufferedBody is { Length: > 0 })
        {
            request.Content = new ByteArrayContent(bufferedBody);
        }
        else if (streamedBody is not null)
        {
            request.Content = new StreamContent(streamedBody, 81920);
            if (call.BodyLength is { } length)
            {
                request.Content.Headers.ContentLength = length;
            }
        }

        if (withCredentials)
        {
            var context = ProviderRequestAuth.Context(target.Credentials, target.ConnectionConfig);
            foreach (var (name, value) in ProviderRequestAuth.ProviderHeaders(target.Provider.Proxy?.Headers ?? new Dictionary<string, string>(), context))
            {
                SetHeader(request, name, value);
            }
        }
        foreach (var (name, value) in call.Headers)
        {
            if (!_notForwarded.Contains(name) && (withCredentials || !name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)))
            {
                SetHeader(request, name, value);
            }
        }
        if (withCredentials)
        {
            ProviderRequestAuth.Apply(request, target.Provider, target.Credentials, target.ConnectionConfig, target.Consumer(_protector), _clock.GetUtcNow(),
                IsSignedForm(call, target) && bufferedBody is not null ? OAuth1Signature.ParseForm(System.Text.Encoding.UTF8.GetString(bufferedBody)) : null);
        }
        return request;
    }

    private static readonly HashSet<string> _contentHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Allow", "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length", "Content-Location", "Content-MD5",
        "Content-Range", "Content-Type", "Expires", "Last-Modified",
    };

    /// <summary>A header replaces any of the same name (caller over provider); content headers go on the body, or nowhere without one.</summary>
    private static void SetHeader(HttpRequestMessage request, string name, string value)
    {
        if (_contentHeaders.Contains(name))
        {
            if (request.Content is { } content)
            {
                content.Headers.Remove(name);
                content.Headers.TryAddWithoutValidation(name, value);
            }
            return;
        }
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    }

    /// <summary>OAuth 1 signs form bodies' parameters too, so such a body must be read before it is sent.</summary>
    private static bool IsSignedForm(ProxyCall call, Target target) =>
        target.Credentials["type"]?.ToString() is "OAUTH1" or "TBA"
        && call.Headers.Any(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
            && h.Value.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads a small error body for an <c>in_body</c> rule and puts it back, so the caller still receives it.</summary>
    private static async Task<(HttpResponseMessage, string?)> PeekBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var original = response.Content;
        var buffer = await BoundedBuffer.ReadAsync(await original.ReadAsStreamAsync(ct), ProxyRetryPolicy.InBodyReadLimit, ct);
        HttpContent replacement = buffer.Fits ? new ByteArrayContent(buffer.Bytes!) : new StreamContent(buffer.Remainder!);
        foreach (var (name, values) in original.Headers)
        {
            replacement.Headers.TryAddWithoutValidation(name, values);
        }
        response.Content = replacement;
        return (response, buffer.Fits ? System.Text.Encoding.UTF8.GetString(buffer.Bytes!) : null);
    }

    private static LogHttpRequest Summary(string method, Uri url) => new(method, url.ToString());

    /// <summary>What was sent, headers included; the log redacts credentials before anything is stored.</summary>
    private static LogHttpRequest Summary(HttpRequestMessage request) => new(
        request.Method.Method, request.RequestUri!.ToString(),
        request.Content is null ? HeaderMap(request.Headers, null) : HeaderMap(request.Headers, request.Content.Headers));

    private static string Redacted(Uri url) => LogRedactor.RedactUrl(url.ToString());

    /// <summary>Raw values: reading the parsed ones would make the response's headers parsed (and re-split) for the caller too.</summary>
    private static Dictionary<string, string> HeaderMap(System.Net.Http.Headers.HttpHeaders headers, System.Net.Http.Headers.HttpHeaders? contentHeaders)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers.NonValidated)
        {
            map[name] = values.ToString();
        }
        if (contentHeaders is not null)
        {
            foreach (var (name, values) in contentHeaders.NonValidated)
            {
                map[name] = values.ToString();
            }
        }
        return map;
    }

    private static LogRetry? RetryInfo(int attempt, int retries, RetryDecision decision) =>
        retries == 0 ? null : new LogRetry(attempt, retries, decision.Retry ? (long)decision.Wait.TotalMilliseconds : 0);

    private static bool IsNetworkFailure(Exception ex, CancellationToken ct) =>
        ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested);

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }
        return null;
    }

    private static string Describe(Exception ex) => ex.InnerException is { } inner && ex is HttpRequestException ? $"{ex.Message} ({inner.Message})" : ex.Message;
}
