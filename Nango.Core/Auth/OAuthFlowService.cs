using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;
using Nango.Core.Secrets;

namespace Nango.Core.Auth;

/// <summary>What <c>GET /oauth/connect/:providerConfigKey</c> was asked (reference §2.1).</summary>
public sealed record OAuthStartRequest(
    string ProviderConfigKey,
    string? ConnectionId,
    JsonObject ConnectionConfig,
    IReadOnlyDictionary<string, string> AuthorizationParams,
    string? UserScope = null,
    string? ClientIdOverride = null,
    string? ClientSecretOverride = null,
    string? WsClientId = null);

/// <summary>Where to send the browser next, or why not.</summary>
public sealed record OAuthStartResult(string? RedirectUrl, AuthError? Error, string ConnectionId);

/// <summary>The end of a callback: the connection made, or the error — and the popup socket to tell.</summary>
public sealed record OAuthCallbackResult(
    string? ProviderConfigKey,
    string? ConnectionId,
    string? WsClientId,
    AuthError? Error,
    AuthorizedConnection? Connection = null);

/// <summary>
/// OAuth 2 authorisation code flow with PKCE, driven entirely by the catalog entry: authorization URL
/// interpolation, scopes joined with the provider's separator, authorization params, PKCE S256 unless
/// <c>disable_pkce</c>, then at the callback the token exchange, <c>token_response_metadata</c> and
/// <c>redirect_uri_metadata</c> copied into the connection config. Every flow is an <c>auth:create_connection</c>
/// operation in Logs.
/// </summary>
public sealed partial class OAuthFlowService(
    IDbContextFactory<NangoDbContext> contextFactory,
    IProviderCatalog catalog,
    EnvironmentService environments,
    SecretProtector protector,
    OAuth2TokenClient tokens,
    AuthConnectionWriter writer,
    ILogService logs,
    TimeProvider clock,
    OAuth1.OAuth1Client oauth1,
    Tokens.AppTokenClient apps)
{
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(15);

    /// <summary>Callback query keys in which providers explain an <c>error</c> (reference §2.2).</summary>
    private static readonly string[] ProviderErrorDetailKeys = ["error_description", "error_reason", "error_message", "error_uri", "status_code"];

    public async Task<OAuthStartResult> StartAsync(AuthCaller caller, OAuthStartRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var connectionId = caller.ReconnectConnectionId ?? request.ConnectionId ?? Guid.NewGuid().ToString();
        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.AuthCreateConnection, caller.Environment) with
        {
            IntegrationKey = request.ProviderConfigKey,
            ConnectionName = connectionId,
        });
        OAuthStartResult Fail(AuthError error)
        {
            log.Error(error.Message, new LogError(error.Code, error.Message));
            log.Fail(new LogError(error.Code, error.Message));
            return new OAuthStartResult(null, error, connectionId);
        }

        if (!caller.IsAllowed(request.ProviderConfigKey))
        {
            return Fail(AuthError.NotAllowed(request.ProviderConfigKey));
        }
        if (!Identifiers.IsConnectionId(connectionId))
        {
            return Fail(new AuthError("invalid_connection", "The connection id is not valid."));
        }
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await IntegrationService.FindAsync(db, caller.Environment, request.ProviderConfigKey, ct);
        if (integration is null)
        {
            return Fail(AuthError.UnknownIntegration(request.ProviderConfigKey));
        }
        var provider = catalog.Find(integration.Provider);
        if (provider is null)
        {
            return Fail(AuthError.UnknownProvider(integration.Provider));
        }
        if (provider.AuthMode == "OAUTH1")
        {
            return await StartOAuth1Async(db, caller, request, connectionId, integration, provider, log, Fail, ct);
        }
        if (provider.AuthMode == "APP")
        {
            return await StartAppAsync(db, caller, request, connectionId, integration, provider, log, Fail, ct);
        }
        if (provider.AuthMode is not ("OAUTH2" or "MCP_OAUTH2"))
        {
            return Fail(AuthError.WrongMode(request.ProviderConfigKey, provider.AuthMode, "OAUTH2"));
        }
        var clientId = request.ClientIdOverride ?? integration.ClientId;
        if (string.IsNullOrEmpty(clientId) || provider.AuthorizationUrl is null)
        {
            return Fail(new AuthError("invalid_auth_mode", $"The integration '{request.ProviderConfigKey}' has no OAuth client id (or its provider no authorization URL): set them in the integration's settings."));
        }

        // The app's pre-sets from the connect session win over what the end user typed.
        var defaults = caller.DefaultsFor(request.ProviderConfigKey);
        foreach (var (key, value) in defaults?.ConnectionConfig ?? [])
        {
            request.ConnectionConfig[key] = value?.DeepClone();
        }
        var context = new InterpolationContext { ConnectionConfig = request.ConnectionConfig, ClientId = clientId };
        var authorizationUrl = ProviderInterpolation.Resolve(provider.AuthorizationUrl, context);
        if (!authorizationUrl.IsComplete)
        {
            return Fail(new AuthError("invalid_connection_config", $"Missing connection config for the authorization URL: {string.Join(", ", authorizationUrl.Missing)}."));
        }

        var settings = await environments.GetSettingsAsync(caller.Environment, ct);
        var state = Guid.NewGuid();
        string? verifier = null;
        var query = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["client_id"] = clientId,
            ["redirect_uri"] = settings.CallbackUrl,
            ["response_type"] = "code",
            ["state"] = state.ToString(),
        };
        var scopes = Scopes(integration, provider);
        if (scopes.Count > 0)
        {
            query["scope"] = string.Join(provider.ScopeSeparator ?? " ", scopes);
        }
        if ((defaults?.UserScopes ?? request.UserScope) is { Length: > 0 } userScope)
        {
            // Slack-style user scopes travel in their own parameter.
            query["user_scope"] = userScope;
        }
        if (!provider.DisablePkce)
        {
            verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
            query["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
            query["code_challenge_method"] = "S256";
        }
        foreach (var (key, value) in ProviderInterpolation.InterpolateAll(provider.AuthorizationParams, context))
        {
            query[key] = value;
        }
        foreach (var (key, value) in request.AuthorizationParams.Concat(defaults?.AuthorizationParams ?? new Dictionary<string, string>()))
        {
            // The caller may remove a catalog parameter by sending the literal "undefined", as Nango's frontend does.
            if (value == "undefined")
            {
                query.Remove(key);
            }
            else
            {
                query[key] = value;
            }
        }

        var now = clock.GetUtcNow();
        db.OAuthSessions.Add(new OAuthSession
        {
            Id = state,
            EnvironmentId = caller.Environment.EnvironmentId,
            IntegrationId = integration.Id,
            ConnectionId = connectionId,
            ConnectionConfig = JsonObjects.Serialize(request.ConnectionConfig),
            Caller = JsonSerializer.Serialize(StoredCaller.From(caller)),
            SecretCiphertext = protector.ProtectOrNull(verifier),
            CallbackUrl = settings.CallbackUrl,
            WsClientId = request.WsClientId,
            ClientOverride = request.ClientIdOverride is null ? null : JsonSerializer.Serialize(new OAuthClient(request.ClientIdOverride, request.ClientSecretOverride)),
            CreatedAt = now,
            ExpiresAt = now + SessionLifetime,
        });
        await db.SaveChangesAsync(ct);

        var redirect = QueryHelpers.AddQueryString(authorizationUrl.Value, query);
        log.Info($"Redirecting to {provider.DisplayName} for authorisation", new JsonObject { ["authorization_url"] = authorizationUrl.Value, ["pkce"] = verifier is not null, ["scopes"] = string.Join(' ', scopes) });
        log.Succeed();
        return new OAuthStartResult(redirect, null, connectionId);
    }

    public async Task<OAuthCallbackResult> CompleteAsync(IReadOnlyDictionary<string, string> query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        Guid state;
        if (query.TryGetValue("state", out var stateText) && Guid.TryParse(stateText, out var parsedState))
        {
            state = parsedState;
        }
        else if (await FindOAuth1SessionAsync(db, query, ct) is { } requestTokenState)
        {
            state = requestTokenState;
        }
        else
        {
            return new OAuthCallbackResult(null, null, null, new AuthError("invalid_state", "The callback has no valid state parameter."));
        }
        var session = await db.OAuthSessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == state, ct);
        if (session is null)
        {
            return new OAuthCallbackResult(null, null, null, new AuthError("invalid_state", "The state does not match any authorisation in progress."));
        }
        // One callback per session: the first to mark it consumed wins; a replay or a late duplicate finds it used.
        var now = clock.GetUtcNow();
        var claimed = await db.OAuthSessions
            .Where(s => s.Id == state && s.ConsumedAt == null && s.ExpiresAt > now)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.ConsumedAt, now), ct);
        var integration = await db.Integrations.AsNoTracking().SingleAsync(i => i.Id == session.IntegrationId, ct);
        var environment = await db.Environments.AsNoTracking().SingleAsync(e => e.Id == session.EnvironmentId, ct);
        var env = EnvironmentContext.From(environment);
        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.AuthCreateConnection, env) with
        {
            IntegrationId = integration.Id,
            IntegrationKey = integration.UniqueKey,
            Provider = integration.Provider,
            ConnectionName = session.ConnectionId,
        });
        OAuthCallbackResult Fail(AuthError error)
        {
            log.Error(error.Message, new LogError(error.Code, error.Message));
            log.Fail(new LogError(error.Code, error.Message));
            return new OAuthCallbackResult(integration.UniqueKey, session.ConnectionId, session.WsClientId, error);
        }

        if (claimed == 0)
        {
            // Not told to the popup's socket: that flow has ended (or never will), and its stored result, which a
            // re-attaching socket reads, must stay the outcome of the callback that won, not this replay's error.
            return Fail(new AuthError("invalid_state", session.ConsumedAt is null
                ? "This authorisation expired; start again."
                : "This authorisation was already completed (the callback was replayed).")) with { WsClientId = null };
        }
        if (query.TryGetValue("error", out var providerError))
        {
            var description = ProviderErrorDetailKeys
                .Select(k => query.TryGetValue(k, out var v) ? v : null)
                .FirstOrDefault(v => !string.IsNullOrEmpty(v));
            return Fail(new AuthError("provider_error", $"The provider refused the authorisation: {providerError}{(description is null ? "" : " — " + description)}"));
        }
        var provider = catalog.Find(integration.Provider);
        if (provider is null)
        {
            return Fail(AuthError.UnknownProvider(integration.Provider));
        }
        if (provider.AuthMode == "OAUTH1")
        {
            return await CompleteOAuth1Async(session, integration, provider, env, query, log, Fail, ct);
        }
        if (provider.AuthMode == "APP")
        {
            return await CompleteAppAsync(session, integration, provider, env, query, log, Fail, ct);
        }
        var codeParam = provider.AuthorizationCodeParamInCallback ?? "code";
        if (!query.TryGetValue(codeParam, out var code) || string.IsNullOrEmpty(code))
        {
            return Fail(new AuthError("missing_code", "The provider's callback carried no authorization code."));
        }

        var client = session.ClientOverride is not null
            ? JsonSerializer.Deserialize<OAuthClient>(session.ClientOverride)!
            : new OAuthClient(integration.ClientId ?? "", protector.UnprotectOrNull(integration.ClientSecretCiphertext));
        var connectionConfig = JsonObjects.Parse(session.ConnectionConfig);
        var verifier = protector.UnprotectOrNull(session.SecretCiphertext);
        var tokenUrl = provider.TokenUrl?.For(provider.AuthMode) ?? "";
        var started = clock.GetTimestamp();
        var response = await tokens.ExchangeCodeAsync(provider, client, code, session.CallbackUrl, verifier, connectionConfig, ct);
        log.Http(
            new LogHttpRequest("POST", ProviderInterpolation.InterpolateWithFallback(tokenUrl, new InterpolationContext { ConnectionConfig = connectionConfig })),
            response.StatusCode == 0 ? null : new LogHttpResponse(response.StatusCode, null, response.Body?.ToJsonString()),
            "Token exchange", clock.GetElapsedTime(started), context: MessageContexts.Auth);
        if (!response.Succeeded)
        {
            return Fail(new AuthError("token_exchange_failed", $"The token exchange failed: {response.Describe()}"));
        }

        var credentials = OAuth2Credentials.FromTokenResponse(provider, response.Body!, now);
        if (credentials["access_token"] is null)
        {
            return Fail(new AuthError("token_exchange_failed", "The token response has no access_token."));
        }
        if (session.ClientOverride is not null)
        {
            credentials["config_override"] = new JsonObject { ["client_id"] = client.ClientId, ["client_secret"] = client.ClientSecret };
        }
        foreach (var key in provider.TokenResponseMetadata)
        {
            if (response.Body![key] is { } value)
            {
                connectionConfig[key] = value.DeepClone();
            }
        }
        foreach (var key in provider.RedirectUriMetadata)
        {
            if (query.TryGetValue(key, out var value))
            {
                connectionConfig[key] = value;
            }
        }

        var caller = JsonSerializer.Deserialize<StoredCaller>(session.Caller)!.ToCaller(env);
        var saved = await writer.SaveAsync(caller, integration, session.ConnectionId, credentials, connectionConfig, ct);
        log.Info($"Connection '{session.ConnectionId}' {(saved.Operation == "creation" ? "created" : "re-authorised")}");
        log.Succeed();
        return new OAuthCallbackResult(integration.UniqueKey, session.ConnectionId, session.WsClientId, null, saved);
    }

    /// <summary>The integration's scopes (comma-separated, as Nango stores them), else the catalog defaults.</summary>
    internal static List<string> Scopes(Integration integration, ProviderDefinition provider)
    {
        var scopes = string.IsNullOrWhiteSpace(integration.Scopes)
            ? provider.DefaultScopes.ToList()
            : integration.Scopes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return scopes.Distinct(StringComparer.Ordinal).ToList();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The part of an <see cref="AuthCaller"/> kept with the OAuth session until the callback.</summary>
    private sealed record StoredCaller(EndUser? EndUser, Dictionary<string, string>? Tags, string? WebhookUrlOverride, int? ConnectSessionId)
    {
        public static StoredCaller From(AuthCaller caller) =>
            new(caller.EndUser, caller.Tags?.ToDictionary(t => t.Key, t => t.Value), caller.WebhookUrlOverride, caller.ConnectSessionId);

        public AuthCaller ToCaller(EnvironmentContext env) => new(env, EndUser, Tags, WebhookUrlOverride, ConnectSessionId: ConnectSessionId);
    }
}
