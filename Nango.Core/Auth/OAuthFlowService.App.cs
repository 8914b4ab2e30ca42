using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;

namespace Nango.Core.Auth;

/// <summary>
/// APP mode (GitHub App style) in the popup: the browser goes to the app's install page (<c>authorization_url</c>
/// with the integration's app link as <c>appPublicLink</c>) with our session id as <c>state</c>; the provider comes
/// back to <c>/app-auth/connect</c> (the app's setup URL) with <c>installation_id</c> and <c>setup_action</c>, and the
/// installation token is requested with the app's JWT.
/// </summary>
public sealed partial class OAuthFlowService
{
    private async Task<OAuthStartResult> StartAppAsync(
        NangoDbContext db, AuthCaller caller, OAuthStartRequest request, string connectionId, Integration integration,
        ProviderDefinition provider, IOperationLog log, Func<AuthError, OAuthStartResult> fail, CancellationToken ct)
    {
        var defaults = caller.DefaultsFor(request.ProviderConfigKey);
        foreach (var (key, value) in defaults?.ConnectionConfig ?? [])
        {
            request.ConnectionConfig[key] = value?.DeepClone();
        }
        if (request.ConnectionConfig["appPublicLink"] is null && !string.IsNullOrEmpty(integration.AppLink))
        {
            request.ConnectionConfig["appPublicLink"] = integration.AppLink;
        }
        if (provider.AuthorizationUrl is null)
        {
            return fail(new AuthError("invalid_auth_mode", $"The provider '{provider.Name}' has no authorization URL."));
        }
        var authorizationUrl = ProviderInterpolation.Resolve(provider.AuthorizationUrl, new InterpolationContext { ConnectionConfig = request.ConnectionConfig });
        if (!authorizationUrl.IsComplete)
        {
            return fail(new AuthError("invalid_connection_config", $"Missing connection config for the authorization URL: {string.Join(", ", authorizationUrl.Missing)} (set the integration's app link)."));
        }

        var settings = await environments.GetSettingsAsync(caller.Environment, ct);
        var state = Guid.NewGuid();
        var now = clock.GetUtcNow();
        db.OAuthSessions.Add(new OAuthSession
        {
            Id = state,
            EnvironmentId = caller.Environment.EnvironmentId,
            IntegrationId = integration.Id,
            ConnectionId = connectionId,
            ConnectionConfig = JsonObjects.Serialize(request.ConnectionConfig),
            Caller = JsonSerializer.Serialize(StoredCaller.From(caller)),
            CallbackUrl = settings.CallbackUrl,
            WsClientId = request.WsClientId,
            CreatedAt = now,
            ExpiresAt = now + SessionLifetime,
        });
        await db.SaveChangesAsync(ct);

        var query = new Dictionary<string, string?>(StringComparer.Ordinal) { ["state"] = state.ToString() };
        foreach (var (key, value) in request.AuthorizationParams.Concat(defaults?.AuthorizationParams ?? new Dictionary<string, string>()))
        {
            query[key] = value;
        }
        log.Info($"Redirecting to {provider.DisplayName} to install the app", new JsonObject { ["authorization_url"] = authorizationUrl.Value });
        log.Succeed();
        return new OAuthStartResult(QueryHelpers.AddQueryString(authorizationUrl.Value, query), null, connectionId);
    }

    private async Task<OAuthCallbackResult> CompleteAppAsync(
        OAuthSession session, Integration integration, ProviderDefinition provider, EnvironmentContext env,
        IReadOnlyDictionary<string, string> query, IOperationLog log, Func<AuthError, OAuthCallbackResult> fail, CancellationToken ct)
    {
        if (query.GetValueOrDefault("setup_action") == "request")
        {
            // The installer asked an organisation owner to approve: no installation exists yet.
            return fail(new AuthError("wrong_auth_mode", "The installation awaits approval by an owner (setup_action=request); APP connections need an approved installation."));
        }
        if (!query.TryGetValue("installation_id", out var installationId) || string.IsNullOrEmpty(installationId))
        {
            return fail(new AuthError("invalid_connection_config", "The provider's callback carried no installation_id."));
        }
        var connectionConfig = JsonObjects.Parse(session.ConnectionConfig);
        connectionConfig["installation_id"] = installationId;
        if (!string.IsNullOrEmpty(integration.AppId))
        {
            connectionConfig["app_id"] = integration.AppId;
        }
        var started = clock.GetTimestamp();
        var result = await apps.IssueAsync(provider, integration, connectionConfig, ct);
        if (result.Url is not null)
        {
            log.Http(new LogHttpRequest("POST", result.Url), result.StatusCode == 0 ? null : new LogHttpResponse(result.StatusCode, null, null),
                "Installation token request", clock.GetElapsedTime(started), context: MessageContexts.Auth);
        }
        if (result.Error is not null)
        {
            return fail(result.Error);
        }
        var caller = JsonSerializer.Deserialize<StoredCaller>(session.Caller)!.ToCaller(env);
        var saved = await writer.SaveAsync(caller, integration, session.ConnectionId, result.Credentials!, connectionConfig, ct);
        log.Info($"Connection '{session.ConnectionId}' {(saved.Operation == "creation" ? "created" : "re-authorised")} for installation {installationId}");
        log.Succeed();
        return new OAuthCallbackResult(integration.UniqueKey, session.ConnectionId, session.WsClientId, null, saved);
    }
}
