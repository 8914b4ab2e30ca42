using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;

namespace Nango.Core.Auth;

/// <summary>
/// OAuth 1.0a (RFC 5849 §2), in the same popup as OAuth 2: temporary credentials from <c>request_url</c> with our
/// callback (carrying the session id as <c>state</c>, as Nango does), the token secret kept encrypted on the
/// session, the browser sent to <c>authorization_url?oauth_token=…</c>; at the callback the session is found by
/// state or, when the provider dropped our query, by the temporary token, and the verifier is exchanged at
/// <c>token_url</c>.
/// </summary>
public sealed partial class OAuthFlowService
{
    private async Task<OAuthStartResult> StartOAuth1Async(
        NangoDbContext db, AuthCaller caller, OAuthStartRequest request, string connectionId, Integration integration,
        ProviderDefinition provider, IOperationLog log, Func<AuthError, OAuthStartResult> fail, CancellationToken ct)
    {
        var client = new OAuthClient(
            request.ClientIdOverride ?? integration.ClientId ?? "",
            request.ClientSecretOverride ?? protector.UnprotectOrNull(integration.ClientSecretCiphertext));
        if (string.IsNullOrEmpty(client.ClientId) || provider.AuthorizationUrl is null || provider.RequestUrl is null)
        {
            return fail(new AuthError("invalid_auth_mode", $"The integration '{request.ProviderConfigKey}' has no OAuth client id (or its provider no authorization or request URL): set them in the integration's settings."));
        }
        var defaults = caller.DefaultsFor(request.ProviderConfigKey);
        foreach (var (key, value) in defaults?.ConnectionConfig ?? [])
        {
            request.ConnectionConfig[key] = value?.DeepClone();
        }
        var context = new InterpolationContext { ConnectionConfig = request.ConnectionConfig, ClientId = client.ClientId };
        var authorizationUrl = ProviderInterpolation.Resolve(provider.AuthorizationUrl, context);
        if (!authorizationUrl.IsComplete)
        {
            return fail(new AuthError("invalid_connection_config", $"Missing connection config for the authorization URL: {string.Join(", ", authorizationUrl.Missing)}."));
        }

        var settings = await environments.GetSettingsAsync(caller.Environment, ct);
        var state = Guid.NewGuid();
        var oauthCallback = QueryHelpers.AddQueryString(settings.CallbackUrl, "state", state.ToString());
        var temporary = await oauth1.RequestTokenAsync(provider, client, oauthCallback, request.ConnectionConfig, ct);
        log.Http(new LogHttpRequest("POST", provider.RequestUrl), temporary.StatusCode == 0 ? null : new LogHttpResponse(temporary.StatusCode, null, null),
            "Temporary credentials request", context: MessageContexts.Auth);
        if (!temporary.Succeeded)
        {
            return fail(new AuthError("request_token_failed", $"The provider refused the temporary credentials request: {temporary.Error ?? "no oauth_token_secret in the answer"}"));
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
            SecretCiphertext = protector.ProtectOrNull(temporary.TokenSecret),
            RequestToken = temporary.Token,
            CallbackUrl = settings.CallbackUrl,
            WsClientId = request.WsClientId,
            ClientOverride = request.ClientIdOverride is null ? null : JsonSerializer.Serialize(client),
            CreatedAt = now,
            ExpiresAt = now + SessionLifetime,
        });
        await db.SaveChangesAsync(ct);

        var query = new Dictionary<string, string?>(StringComparer.Ordinal) { ["oauth_token"] = temporary.Token };
        var scopes = Scopes(integration, provider);
        if (scopes.Count > 0)
        {
            query["scope"] = string.Join(provider.ScopeSeparator ?? " ", scopes);
        }
        foreach (var (key, value) in ProviderInterpolation.InterpolateAll(provider.AuthorizationParams, context)
            .Concat(request.AuthorizationParams).Concat(defaults?.AuthorizationParams ?? new Dictionary<string, string>()))
        {
            if (value == "undefined")
            {
                query.Remove(key);
            }
            else
            {
                query[key] = value;
            }
        }
        log.Info($"Redirecting to {provider.DisplayName} for authorisation (OAuth 1.0a)", new JsonObject { ["authorization_url"] = authorizationUrl.Value });
        log.Succeed();
        return new OAuthStartResult(QueryHelpers.AddQueryString(authorizationUrl.Value, query), null, connectionId);
    }

    /// <summary>The session of an OAuth 1 callback that came back without our state, by its temporary token.</summary>
    private async Task<Guid?> FindOAuth1SessionAsync(NangoDbContext db, IReadOnlyDictionary<string, string> query, CancellationToken ct)
    {
        if (!query.TryGetValue("oauth_token", out var token) || string.IsNullOrEmpty(token))
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var ids = await db.OAuthSessions.AsNoTracking()
            .Where(s => s.RequestToken == token && s.ExpiresAt > now)
            .OrderByDescending(s => s.CreatedAt)
            .Select(s => s.Id)
            .Take(1)
            .ToListAsync(ct);
        return ids.Count == 1 ? ids[0] : null;
    }

    private async Task<OAuthCallbackResult> CompleteOAuth1Async(
        OAuthSession session, Integration integration, ProviderDefinition provider, EnvironmentContext env,
        IReadOnlyDictionary<string, string> query, IOperationLog log, Func<AuthError, OAuthCallbackResult> fail, CancellationToken ct)
    {
        var token = query.GetValueOrDefault("oauth_token");
        if (string.IsNullOrEmpty(token) || !string.Equals(token, session.RequestToken, StringComparison.Ordinal))
        {
            // A state with someone else's temporary token: refuse rather than authorise the wrong grant.
            return fail(new AuthError("invalid_state", "The callback's oauth_token does not belong to this authorisation."));
        }
        if (!query.TryGetValue("oauth_verifier", out var verifier) || string.IsNullOrEmpty(verifier))
        {
            return fail(new AuthError(query.ContainsKey("denied") ? "provider_error" : "missing_code",
                query.ContainsKey("denied") ? "The user denied the authorisation." : "The provider's callback carried no oauth_verifier."));
        }

        var client = session.ClientOverride is not null
            ? JsonSerializer.Deserialize<OAuthClient>(session.ClientOverride)!
            : new OAuthClient(integration.ClientId ?? "", protector.UnprotectOrNull(integration.ClientSecretCiphertext));
        var connectionConfig = JsonObjects.Parse(session.ConnectionConfig);
        var started = clock.GetTimestamp();
        var response = await oauth1.AccessTokenAsync(provider, client, token, protector.UnprotectOrNull(session.SecretCiphertext), verifier, connectionConfig, ct);
        log.Http(new LogHttpRequest("POST", provider.TokenUrl?.For("OAUTH1") ?? ""),
            response.StatusCode == 0 ? null : new LogHttpResponse(response.StatusCode, null, null),
            "Token credentials request", clock.GetElapsedTime(started), context: MessageContexts.Auth);
        if (!response.Succeeded)
        {
            return fail(new AuthError("token_exchange_failed", $"The token request failed: {response.Error ?? "no oauth_token_secret in the answer"}"));
        }

        var credentials = new JsonObject
        {
            ["type"] = "OAUTH1",
            ["oauth_token"] = response.Token,
            ["oauth_token_secret"] = response.TokenSecret,
            ["raw"] = response.Body!.DeepClone(),
        };
        if (session.ClientOverride is not null)
        {
            credentials["config_override"] = new JsonObject { ["client_id"] = client.ClientId, ["client_secret"] = client.ClientSecret };
        }
        var caller = JsonSerializer.Deserialize<StoredCaller>(session.Caller)!.ToCaller(env);
        var saved = await writer.SaveAsync(caller, integration, session.ConnectionId, credentials, connectionConfig, ct);
        log.Info($"Connection '{session.ConnectionId}' {(saved.Operation == "creation" ? "created" : "re-authorised")}");
        log.Succeed();
        return new OAuthCallbackResult(integration.UniqueKey, session.ConnectionId, session.WsClientId, null, saved);
    }
}
