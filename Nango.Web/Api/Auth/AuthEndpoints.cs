using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Auth;
using Nango.Core.Common;

namespace Nango.Web.Api.Auth;

/// <summary>
/// The endpoints the frontend SDK and the Connect UI drive (reference §2): the OAuth popup pair
/// <c>/oauth/connect/:key</c> → provider → <c>/oauth/callback</c>, and the credential flows that are plain POSTs.
/// They are called from browsers with a connect session token or public key, never with the secret key.
/// </summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").AllowAnonymous().RequireCors(ApiEndpoints.CorsPolicy).WithTags("Auth").WithGroupName("public");
        group.MapGet("/oauth/connect/{providerConfigKey}", StartOAuth).WithName("OAuthConnect").WithSummary("Starts an OAuth flow in the popup: redirects to the provider.");
        group.MapGet("/oauth/callback", OAuthCallback).WithName("OAuthCallback").WithSummary("The provider's redirect back; stores the connection and tells the popup.");
        group.MapGet("/app-auth/connect", AppAuthCallback).WithName("AppAuthConnect").WithSummary("An app's setup URL: the installation came back; stores the connection and tells the popup.");
        group.MapPost("/api-auth/api-key/{providerConfigKey}", ApiKey).WithName("AuthApiKey");
        group.MapPost("/api-auth/basic/{providerConfigKey}", Basic).WithName("AuthBasic");
        group.MapPost("/auth/unauthenticated/{providerConfigKey}", Unauthenticated).WithName("AuthUnauthenticated");
        group.MapPost("/oauth2/auth/{providerConfigKey}", ClientCredentials).WithName("AuthClientCredentials");
        group.MapPost("/auth/jwt/{providerConfigKey}", Jwt).WithName("AuthJwt").WithSummary("JWT: the user's fields; the token is signed per the catalog.");
        group.MapPost("/auth/two-step/{providerConfigKey}", TwoStep).WithName("AuthTwoStep").WithSummary("TWO_STEP: the user's fields traded for a token at the provider.");
        group.MapPost("/auth/tba/{providerConfigKey}", Tba).WithName("AuthTba").WithSummary("NetSuite-style token-based auth: token id and secret, checked with a signed call.");
        return app;
    }

    /// <summary>The popup's WebSocket at the websockets path (<c>/</c>), ahead of routing so the dashboard keeps <c>GET /</c>.</summary>
    public static IApplicationBuilder UseAuthSockets(this IApplicationBuilder app)
    {
        app.UseWebSockets();
        return app.Use(async (context, next) =>
        {
            if (context.WebSockets.IsWebSocketRequest && context.Request.Path == "/")
            {
                await context.RequestServices.GetRequiredService<AuthSocketHub>().HandleAsync(context);
                return;
            }
            await next(context);
        });
    }

    private static async Task<IResult> StartOAuth(string providerConfigKey, HttpContext http, OAuthFlowService flows, AuthResultPublisher results, CancellationToken ct)
    {
        var query = http.Request.Query;
        var wsClientId = NullIfEmpty(query["ws_client_id"].ToString());
        var (caller, callerError) = await AuthCallerResolver.ResolveAsync(http, ct);
        if (caller is null)
        {
            return await FailPopupAsync(results, wsClientId, providerConfigKey, null, callerError!, ct);
        }
        if (ChoosesConnectionId(caller, http))
        {
            return await FailPopupAsync(results, wsClientId, providerConfigKey, null, new AuthError(ErrorCodes.InvalidQueryParams, ConnectionIdForbidden), ct);
        }
        var connectionConfig = new JsonObject();
        foreach (var (key, value) in AuthCallerResolver.Bracketed(query, "params"))
        {
            connectionConfig[key] = value;
        }
        var credentials = AuthCallerResolver.Bracketed(query, "credentials");
        var result = await flows.StartAsync(caller, new OAuthStartRequest(
            providerConfigKey,
            NullIfEmpty(query["connection_id"].ToString()),
            connectionConfig,
            AuthCallerResolver.Bracketed(query, "authorization_params"),
            NullIfEmpty(query["user_scope"].ToString()),
            credentials.GetValueOrDefault("oauth_client_id_override"),
            credentials.GetValueOrDefault("oauth_client_secret_override"),
            wsClientId), ct);
        return result.Error is { } error
            ? await FailPopupAsync(results, wsClientId, providerConfigKey, result.ConnectionId, error, ct)
            : Results.Redirect(result.RedirectUrl!);
    }

    private static async Task<IResult> OAuthCallback(HttpContext http, OAuthFlowService flows, AuthResultPublisher results, CancellationToken ct)
    {
        var query = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var result = await flows.CompleteAsync(query, ct);
        if (result.Error is { } error)
        {
            return await FailPopupAsync(results, result.WsClientId, result.ProviderConfigKey, result.ConnectionId, error, ct);
        }
        if (result.WsClientId is { } wsClientId)
        {
            await results.PublishAsync(wsClientId, AuthResultPublisher.Success(result.ProviderConfigKey!, result.ConnectionId!), ct);
        }
        return OAuthCallbackPage.Success();
    }

    private static async Task<IResult> AppAuthCallback(HttpContext http, OAuthFlowService flows, AuthResultPublisher results, CancellationToken ct)
    {
        var query = http.Request.Query;
        if (string.IsNullOrEmpty(query["state"]) && query["setup_action"].ToString() is "install" or "update")
        {
            // Installed or changed from the provider's own pages (or approved later by an owner): no flow of ours waits.
            var referer = http.Request.Headers.Referer.ToString();
            return Uri.TryCreate(referer, UriKind.Absolute, out var back) && back.Scheme is "https" or "http"
                ? Results.Redirect(back.ToString())
                : Results.Content("The installation was received; you can close this window.", "text/plain; charset=utf-8");
        }
        return await OAuthCallback(http, flows, results, ct);
    }

    private static async Task<IResult> FailPopupAsync(AuthResultPublisher results, string? wsClientId, string? key, string? connectionId, AuthError error, CancellationToken ct)
    {
        if (wsClientId is not null)
        {
            await results.PublishAsync(wsClientId, AuthResultPublisher.Failure(key, connectionId, error), ct);
        }
        return OAuthCallbackPage.Error(error.Code, error.Message);
    }

    private static Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> ApiKey(string providerConfigKey, ApiKeyRequest? body, HttpContext http, CredentialFlowService flows, CancellationToken ct) =>
        RunAsync(http, providerConfigKey, (caller, config) => flows.ApiKeyAsync(caller, providerConfigKey, ConnectionIdFrom(http), body?.ApiKey, config, ct), ct);

    private static Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> Basic(string providerConfigKey, BasicRequest? body, HttpContext http, CredentialFlowService flows, CancellationToken ct) =>
        RunAsync(http, providerConfigKey, (caller, config) => flows.BasicAsync(caller, providerConfigKey, ConnectionIdFrom(http), body?.Username, body?.Password, config, ct), ct);

    private static Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> Unauthenticated(string providerConfigKey, HttpContext http, CredentialFlowService flows, CancellationToken ct) =>
        RunAsync(http, providerConfigKey, (caller, config) => flows.NoneAsync(caller, providerConfigKey, ConnectionIdFrom(http), config, ct), ct);

    private static Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> ClientCredentials(string providerConfigKey, ClientCredentialsRequest? body, HttpContext http, CredentialFlowService flows, CancellationToken ct) =>
        RunAsync(http, providerConfigKey, (caller, config) => flows.ClientCredentialsAsync(caller, providerConfigKey, ConnectionIdFrom(http), body?.ClientId, body?.ClientSecret, config, ct), ct);

    private static Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> Jwt(string providerConfigKey, JsonObject? body, HttpContext http, CredentialFlowService flows, CancellationToken ct) =>
        RunAsync(http, providerConfigKey, (caller, config) => flows.JwtAsync(caller, providerConfigKey, ConnectionIdFrom(http), body, config, ct), ct);

    private static Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> TwoStep(string providerConfigKey, JsonObject? body, HttpContext http, CredentialFlowService flows, CancellationToken ct) =>
        RunAsync(http, providerConfigKey, (caller, config) => flows.TwoStepAsync(caller, providerConfigKey, ConnectionIdFrom(http), body, config, ct), ct);

    private static Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> Tba(string providerConfigKey, TbaRequest? body, HttpContext http, CredentialFlowService flows, CancellationToken ct) =>
        RunAsync(http, providerConfigKey, (caller, config) => flows.TbaAsync(
            caller, providerConfigKey, ConnectionIdFrom(http), body?.TokenId, body?.TokenSecret, body?.OAuthClientIdOverride, body?.OAuthClientSecretOverride, config, ct), ct);

    private static async Task<Results<Ok<AuthFlowResponse>, JsonHttpResult<ApiError>>> RunAsync(
        HttpContext http, string providerConfigKey, Func<AuthCaller, JsonObject, Task<CredentialFlowResult>> run, CancellationToken ct)
    {
        var (caller, callerError) = await AuthCallerResolver.ResolveAsync(http, ct);
        if (caller is null)
        {
            return ApiErrors.Create(StatusCodes.Status401Unauthorized, callerError!.Code, callerError.Message);
        }
        if (ChoosesConnectionId(caller, http))
        {
            return ApiErrors.InvalidQuery([new ValidationError("custom", ConnectionIdForbidden, ["connection_id"])]);
        }
        var config = new JsonObject();
        foreach (var (key, value) in AuthCallerResolver.Bracketed(http.Request.Query, "params"))
        {
            config[key] = value;
        }
        var result = await run(caller, config);
        if (result.Error is { } error)
        {
            // Nango answers 404 when the integration (or its provider) does not exist, 400 for everything else.
            var status = error.Code is "unknown_provider_config" or "unknown_provider_template" ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest;
            return ApiErrors.Create(status, error.Code, error.Message);
        }
        return TypedResults.Ok(new AuthFlowResponse(result.ProviderConfigKey, result.ConnectionId!));
    }

    private const string ConnectionIdForbidden = "connection_id is forbidden when using session token";

    /// <summary>
    /// A connect session decides which connection a flow writes (a new one, or the one it reconnects). Like Nango,
    /// a <c>connection_id</c> sent along is refused: otherwise an end user could overwrite another user's
    /// connection, end user and webhook override included, just by naming it.
    /// </summary>
    private static bool ChoosesConnectionId(AuthCaller caller, HttpContext http) =>
        caller.ConnectSessionId is not null && !string.IsNullOrEmpty(http.Request.Query["connection_id"].ToString());

    private static string? ConnectionIdFrom(HttpContext http) => NullIfEmpty(http.Request.Query["connection_id"].ToString());

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>What the frontend SDK resolves with; Nango answers these keys in camelCase.</summary>
public sealed record AuthFlowResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("providerConfigKey")] string ProviderConfigKey,
    [property: System.Text.Json.Serialization.JsonPropertyName("connectionId")] string ConnectionId);

public sealed record ApiKeyRequest([property: System.Text.Json.Serialization.JsonPropertyName("apiKey")] string? ApiKey);

public sealed record BasicRequest(string? Username, string? Password);

public sealed record ClientCredentialsRequest(string? ClientId, string? ClientSecret);

public sealed record TbaRequest(
    [property: System.Text.Json.Serialization.JsonPropertyName("token_id")] string? TokenId,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_secret")] string? TokenSecret,
    [property: System.Text.Json.Serialization.JsonPropertyName("oauth_client_id_override")] string? OAuthClientIdOverride,
    [property: System.Text.Json.Serialization.JsonPropertyName("oauth_client_secret_override")] string? OAuthClientSecretOverride);
