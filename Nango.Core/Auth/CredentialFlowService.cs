using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Providers;
using Nango.Core.Secrets;

namespace Nango.Core.Auth;

/// <summary>The result of a non-popup flow: what the frontend SDK resolves with, or the error it throws.</summary>
public sealed record CredentialFlowResult(string ProviderConfigKey, string? ConnectionId, AuthError? Error, AuthorizedConnection? Connection = null);

/// <summary>
/// The flows that take credentials directly (reference §2.3): API key, basic, none, and OAuth 2 client
/// credentials. Each checks the integration's auth mode, verifies the credentials with the provider where the
/// catalog says how (a failed check saves nothing: <c>connection_test_failed</c>), then saves the connection.
/// </summary>
public sealed class CredentialFlowService(
    IDbContextFactory<NangoDbContext> contextFactory,
    IProviderCatalog catalog,
    SecretProtector protector,
    CredentialVerifier verifier,
    OAuth2TokenClient tokens,
    AuthConnectionWriter writer,
    ILogService logs,
    TimeProvider clock,
    Tokens.TwoStepClient twoStep)
{
    public Task<CredentialFlowResult> ApiKeyAsync(AuthCaller caller, string key, string? connectionId, string? apiKey, JsonObject connectionConfig, CancellationToken ct) =>
        string.IsNullOrEmpty(apiKey)
            ? Task.FromResult(new CredentialFlowResult(key, connectionId, new AuthError("invalid_body", "apiKey is required.")))
            : RunAsync(caller, key, connectionId, ["API_KEY"], connectionConfig, (_, _, _) => Task.FromResult<(JsonObject?, AuthError?)>((new JsonObject { ["type"] = "API_KEY", ["apiKey"] = apiKey }, null)), ct);

    public Task<CredentialFlowResult> BasicAsync(AuthCaller caller, string key, string? connectionId, string? username, string? password, JsonObject connectionConfig, CancellationToken ct) =>
        RunAsync(caller, key, connectionId, ["BASIC"], connectionConfig,
            (_, _, _) => Task.FromResult<(JsonObject?, AuthError?)>((new JsonObject { ["type"] = "BASIC", ["username"] = username ?? "", ["password"] = password ?? "" }, null)), ct);

    public Task<CredentialFlowResult> NoneAsync(AuthCaller caller, string key, string? connectionId, JsonObject connectionConfig, CancellationToken ct) =>
        RunAsync(caller, key, connectionId, ["NONE"], connectionConfig, (_, _, _) => Task.FromResult<(JsonObject?, AuthError?)>((new JsonObject(), null)), ct);

    public Task<CredentialFlowResult> ClientCredentialsAsync(AuthCaller caller, string key, string? connectionId, string? clientId, string? clientSecret, JsonObject connectionConfig, CancellationToken ct) =>
        RunAsync(caller, key, connectionId, ["OAUTH2_CC"], connectionConfig, async (integration, provider, log) =>
        {
            var client = new OAuthClient(
                string.IsNullOrEmpty(clientId) ? integration.ClientId ?? "" : clientId,
                string.IsNullOrEmpty(clientSecret) ? protector.UnprotectOrNull(integration.ClientSecretCiphertext) : clientSecret);
            var response = await tokens.ClientCredentialsAsync(provider, client, OAuthFlowService.Scopes(integration, provider), connectionConfig, ct);
            log.Http(new LogHttpRequest("POST", provider.TokenUrl?.For("OAUTH2_CC") ?? ""), response.StatusCode == 0 ? null : new LogHttpResponse(response.StatusCode, null, response.Body?.ToJsonString()), "Client credentials token request", context: MessageContexts.Auth);
            if (!response.Succeeded)
            {
                // Nango's code for a refused client credentials grant.
                return (null, new AuthError("client_credentials_fetch_error", $"The token request failed: {response.Describe()}"));
            }
            var credentials = OAuth2Credentials.FromTokenResponse(provider, response.Body!, clock.GetUtcNow(), "OAUTH2_CC");
            credentials["client_id"] = client.ClientId;
            credentials["client_secret"] = client.ClientSecret;
            return (credentials, null);
        }, ct);

    /// <summary>
    /// Token-based auth (NetSuite): token credentials the user made in the provider, used with the integration's
    /// consumer (or this connection's override) to sign OAuth 1 requests; checked with a signed verification call.
    /// </summary>
    public Task<CredentialFlowResult> TbaAsync(
        AuthCaller caller, string key, string? connectionId, string? tokenId, string? tokenSecret, string? clientIdOverride, string? clientSecretOverride,
        JsonObject connectionConfig, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(tokenId) || string.IsNullOrEmpty(tokenSecret))
        {
            return Task.FromResult(new CredentialFlowResult(key, connectionId, new AuthError("invalid_body", "token_id and token_secret are required.")));
        }
        var credentials = new JsonObject { ["type"] = "TBA", ["token_id"] = tokenId, ["token_secret"] = tokenSecret };
        if (!string.IsNullOrEmpty(clientIdOverride) || !string.IsNullOrEmpty(clientSecretOverride))
        {
            var configOverride = new JsonObject();
            if (!string.IsNullOrEmpty(clientIdOverride))
            {
                configOverride["client_id"] = clientIdOverride;
            }
            if (!string.IsNullOrEmpty(clientSecretOverride))
            {
                configOverride["client_secret"] = clientSecretOverride;
            }
            credentials["config_override"] = configOverride;
        }
        return RunAsync(caller, key, connectionId, ["TBA"], connectionConfig, (_, _, _) => Task.FromResult<(JsonObject?, AuthError?)>((credentials, null)), ct);
    }

    /// <summary>JWT: a token signed here from the user's fields per the catalog's token block (see <see cref="Tokens.JwtCredentials"/>).</summary>
    public Task<CredentialFlowResult> JwtAsync(AuthCaller caller, string key, string? connectionId, JsonObject? fields, JsonObject connectionConfig, CancellationToken ct) =>
        RunAsync(caller, key, connectionId, ["JWT"], connectionConfig,
            (_, provider, _) => Task.FromResult<(JsonObject?, AuthError?)>(Tokens.JwtCredentials.Issue(provider, fields ?? [], connectionConfig, clock.GetUtcNow())), ct);

    /// <summary>TWO_STEP: the user's fields traded for a token at the catalog's token URL (see <see cref="Tokens.TwoStepClient"/>).</summary>
    public Task<CredentialFlowResult> TwoStepAsync(AuthCaller caller, string key, string? connectionId, JsonObject? fields, JsonObject connectionConfig, CancellationToken ct) =>
        RunAsync(caller, key, connectionId, ["TWO_STEP"], connectionConfig, async (_, provider, log) =>
        {
            var result = await twoStep.IssueAsync(provider, fields ?? [], connectionConfig, ct);
            if (result.Url is not null)
            {
                log.Http(new LogHttpRequest("POST", result.Url), result.StatusCode == 0 ? null : new LogHttpResponse(result.StatusCode, null, null), "Token request", context: MessageContexts.Auth);
            }
            return (result.Credentials, result.Error);
        }, ct);

    /// <summary>The consumer that signs a TBA connection's requests: the connection's override, else the integration's client.</summary>
    private OAuthClient? SigningClient(Integration integration, JsonObject credentials)
    {
        if (credentials["type"]?.ToString() != "TBA")
        {
            return null;
        }
        var configOverride = credentials["config_override"] as JsonObject;
        return new OAuthClient(
            configOverride?["client_id"]?.ToString() ?? integration.ClientId ?? "",
            configOverride?["client_secret"]?.ToString() ?? protector.UnprotectOrNull(integration.ClientSecretCiphertext));
    }

    private async Task<CredentialFlowResult> RunAsync(
        AuthCaller caller, string key, string? requestedConnectionId, string[] modes, JsonObject connectionConfig,
        Func<Integration, ProviderDefinition, IOperationLog, Task<(JsonObject? Credentials, AuthError? Error)>> obtain, CancellationToken ct)
    {
        var connectionId = caller.ReconnectConnectionId ?? requestedConnectionId ?? Guid.NewGuid().ToString();
        var log = logs.StartOperation(OperationStart.For(LogOperationKinds.AuthCreateConnection, caller.Environment) with { IntegrationKey = key, ConnectionName = connectionId });
        CredentialFlowResult Fail(AuthError error)
        {
            log.Error(error.Message, new LogError(error.Code, error.Message));
            log.Fail(new LogError(error.Code, error.Message));
            return new CredentialFlowResult(key, connectionId, error);
        }

        if (!caller.IsAllowed(key))
        {
            return Fail(AuthError.NotAllowed(key));
        }
        if (!Identifiers.IsConnectionId(connectionId))
        {
            return Fail(new AuthError("invalid_connection", "The connection id is not valid."));
        }
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var integration = await IntegrationService.FindAsync(db, caller.Environment, key, ct);
        if (integration is null)
        {
            return Fail(AuthError.UnknownIntegration(key));
        }
        var provider = catalog.Find(integration.Provider);
        if (provider is null)
        {
            return Fail(AuthError.UnknownProvider(integration.Provider));
        }
        if (!modes.Contains(provider.AuthMode, StringComparer.Ordinal))
        {
            return Fail(AuthError.WrongMode(key, provider.AuthMode, string.Join(" or ", modes)));
        }

        // As in the OAuth flow: the app's pre-sets from the connect session win over what the end user sent.
        foreach (var (name, value) in caller.DefaultsFor(key)?.ConnectionConfig ?? [])
        {
            connectionConfig[name] = value?.DeepClone();
        }
        var (credentials, error) = await obtain(integration, provider, log);
        if (error is not null)
        {
            return Fail(error);
        }
        var verification = await verifier.VerifyAsync(provider, credentials!, connectionConfig, SigningClient(integration, credentials!), ct);
        if (verification.Checked)
        {
            log.Info(verification.Succeeded ? $"Credentials verified ({verification.Url} answered {verification.StatusCode})" : $"Credentials check failed: {verification.Detail}");
        }
        if (!verification.Succeeded)
        {
            return Fail(new AuthError("connection_test_failed", $"The provider refused these credentials: {verification.Detail}"));
        }

        var saved = await writer.SaveAsync(caller, integration, connectionId, credentials!, connectionConfig, ct);
        log.Info($"Connection '{connectionId}' {(saved.Operation == "creation" ? "created" : "updated")}");
        log.Succeed();
        return new CredentialFlowResult(key, connectionId, null, saved);
    }
}
