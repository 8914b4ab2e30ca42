using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Common;
using Nango.Core.ConnectSessions;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.ConnectSessions;

public static class ConnectSessionEndpoints
{
    /// <summary>
    /// Three audiences, three groups: the app's backend creates sessions with its secret key; the Connect
    /// UI reads and ends its session with the session token; telemetry carries its token in the body
    /// because the UI sends it with <c>navigator.sendBeacon</c>, which cannot set headers.
    /// </summary>
    public static IEndpointRouteBuilder MapConnectSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var backend = app.MapGroup("/connect").RequireAuthorization(ApiEndpoints.SecretKeyPolicy)
            .RequireCors(ApiEndpoints.CorsPolicy).WithGroupName("public").WithTags("Connect");
        backend.MapPost("/sessions", CreateSession).WithName("CreateConnectSession")
            .WithSummary("A connect session token for one end user, valid 30 minutes.");
        backend.MapPost("/sessions/reconnect", CreateReconnectSession).WithName("CreateReconnectSession")
            .WithSummary("A connect session token that re-authorises one existing connection.");

        var frontend = app.MapGroup("/connect").RequireAuthorization(ApiEndpoints.ConnectSessionPolicy)
            .RequireCors(ApiEndpoints.CorsPolicy).WithGroupName("public").WithTags("Connect");
        frontend.MapGet("/session", GetSession).WithName("GetConnectSession")
            .WithSummary("The session the token stands for, as the Connect UI needs it.");
        frontend.MapDelete("/session", DeleteSession).WithName("DeleteConnectSession")
            .WithSummary("End the session now; its token stops working.");

        app.MapPost("/connect/telemetry", PostTelemetry).AllowAnonymous()
            .RequireCors(ApiEndpoints.CorsPolicy).WithGroupName("public").WithTags("Connect").WithName("PostConnectTelemetry")
            .WithSummary("Connect UI usage events, authenticated by the session token in the body.");
        return app;
    }

    private static async Task<Results<Created<ConnectSessionCreatedResponse>, JsonHttpResult<ApiError>>> CreateSession(
        JsonElement body, HttpContext http, ConnectSessionService sessions, IOptions<NangoOptions> options, CancellationToken ct)
    {
        if (RejectQuery(http) is { } queryError)
        {
            return queryError;
        }
        var (request, errors) = ConnectSessionBodies.ParseCreate(body);
        if (request is null)
        {
            return ApiErrors.InvalidBody(errors);
        }
        var result = await sessions.CreateAsync(http.GetNangoEnvironment(), request, ct);
        return ToCreated(result, options.Value);
    }

    private static async Task<Results<Created<ConnectSessionCreatedResponse>, JsonHttpResult<ApiError>>> CreateReconnectSession(
        JsonElement body, HttpContext http, ConnectSessionService sessions, IOptions<NangoOptions> options, CancellationToken ct)
    {
        if (RejectQuery(http) is { } queryError)
        {
            return queryError;
        }
        var (request, errors) = ConnectSessionBodies.ParseReconnect(body);
        if (request is null)
        {
            return ApiErrors.InvalidBody(errors);
        }
        var result = await sessions.CreateReconnectAsync(http.GetNangoEnvironment(), request, ct);
        if (result.Outcome == ConnectSessionOutcome.UnknownConnection)
        {
            // Nango answers an unknown connection (or integration) as a bad body, 400 invalid_body with this
            // wording, not 404: the ids are body fields, not a resource path. Clients match on it, so keep it.
            return ApiErrors.Create(StatusCodes.Status400BadRequest, ErrorCodes.InvalidBody, "ConnectionID or IntegrationId does not exists");
        }
        return ToCreated(result, options.Value);
    }

    private static Results<Ok<ConnectSessionResponse>, JsonHttpResult<ApiError>> GetSession(HttpContext http)
    {
        if (RejectQuery(http, ConnectSessionAuthenticationHandler.QueryParameter) is { } queryError)
        {
            return queryError;
        }
        return TypedResults.Ok(new ConnectSessionResponse(ConnectSessionData.From(http.GetConnectSession())));
    }

    private static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteSession(HttpContext http, ConnectSessionService sessions, CancellationToken ct)
    {
        if (RejectQuery(http, ConnectSessionAuthenticationHandler.QueryParameter) is { } queryError)
        {
            return queryError;
        }
        await sessions.DeleteAsync(http.GetConnectSession(), ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, JsonHttpResult<ApiError>>> PostTelemetry(
        JsonElement? json, HttpContext http, ConnectSessionService sessions, ILoggerFactory loggers, CancellationToken ct)
    {
        var body = json is { } element ? JsonBodyReader.ToNode(element) as JsonObject : null;
        // Nango authenticates telemetry before reading the rest of the body, so a missing token is a 401.
        var token = body?["token"] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
        if (token is null)
        {
            return ConnectSessionAuthErrors.MissingHeader.ToResult();
        }
        var lookup = await sessions.ResolveAsync(token, ct);
        if (lookup.Session is not { } session)
        {
            return ConnectSessionAuthErrors.For(lookup.Status).ToResult();
        }
        ConnectSessionAccessor.Set(http, session);
        if (RejectQuery(http) is { } queryError)
        {
            return queryError;
        }
        var (telemetry, errors) = ConnectSessionBodies.ParseTelemetry(body!);
        if (telemetry is null)
        {
            return ApiErrors.InvalidBody(errors);
        }
        // Nango appends these to the session's auth operation; until auth flows open that operation, they
        // go to the application log only.
        loggers.CreateLogger("Nango.Web.Api.ConnectSessions.Telemetry").LogDebug(
            "Connect UI {Event} at {Timestamp} (session {SessionId}, integration {Integration})",
            telemetry.Name, telemetry.Timestamp, session.Id, telemetry.Integration);
        return TypedResults.NoContent();
    }

    private static Results<Created<ConnectSessionCreatedResponse>, JsonHttpResult<ApiError>> ToCreated(ConnectSessionResult result, NangoOptions options)
    {
        if (result.Outcome != ConnectSessionOutcome.Ok)
        {
            return ApiErrors.InvalidBody(result.Errors ?? []);
        }
        var issued = result.Session!;
        var link = $"{options.ServerUrl.TrimEnd('/')}/connect/?session_token={issued.Token}";
        return TypedResults.Created((string?)null, new ConnectSessionCreatedResponse(new ConnectSessionCreatedData(issued.Token, link, ApiJson.IsoString(issued.ExpiresAt))));
    }

    /// <summary>Nango's <c>requireEmptyQuery</c>: these endpoints take no query string but the ones named.</summary>
    private static JsonHttpResult<ApiError>? RejectQuery(HttpContext http, params string[] allowed)
    {
        var unknown = http.Request.Query.Keys.Where(k => !allowed.Contains(k, StringComparer.Ordinal)).ToList();
        if (unknown.Count == 0)
        {
            return null;
        }
        var noun = unknown.Count == 1 ? "key" : "keys";
        return ApiErrors.InvalidQuery([new ValidationError("unrecognized_keys", $"Unrecognized {noun}: {string.Join(", ", unknown.Select(k => $"\"{k}\""))}", [])]);
    }
}
