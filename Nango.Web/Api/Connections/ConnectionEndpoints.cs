using Nango.Core.Auth;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Web.Api.Authentication;

namespace Nango.Web.Api.Connections;

public static partial class ConnectionEndpoints
{
    public static RouteGroupBuilder MapConnectionEndpoints(this RouteGroupBuilder api)
    {
        // Nango keeps the singular /connection paths for older clients and the CLI; both map to the same handlers.
        foreach (var prefix in new[] { "/connections", "/connection" })
        {
            var deprecated = prefix == "/connection";
            var group = api.MapGroup(prefix).WithTags("Connections").AddEndpointFilter<RouteIdentifierFilter>();
            Name(group.MapGet("/", ListConnections), "ListConnections", deprecated, "Connections of the environment, filtered and paged.");
            Name(group.MapPost("/", ImportConnection), "ImportConnection", deprecated, "Create a connection from existing credentials.");
            Name(group.MapPost("/metadata", SetMetadata), "SetMetadata", deprecated, "Replace the metadata of one or more connections.");
            Name(group.MapPatch("/metadata", UpdateMetadata), "UpdateMetadata", deprecated, "Merge into the metadata of one or more connections.");
            Name(group.MapGet("/{connectionId}", GetConnection), "GetConnection", deprecated, "One connection with its credentials.");
            Name(group.MapPatch("/{connectionId}", PatchConnection), "PatchConnection", deprecated, "Change a connection's end user, tags or webhook URL override.");
            Name(group.MapDelete("/{connectionId}", DeleteConnection), "DeleteConnection", deprecated, "Delete a connection.");
            Name(group.MapPost("/{connectionId}/metadata", SetMetadataLegacy), "SetMetadataByPath", deprecated, "Legacy: replace one connection's metadata.");
            Name(group.MapPatch("/{connectionId}/metadata", UpdateMetadataLegacy), "UpdateMetadataByPath", deprecated, "Legacy: merge into one connection's metadata.");
        }
        return api;
    }

    private static void Name(RouteHandlerBuilder route, string name, bool deprecated, string summary) =>
        route.WithName(deprecated ? name + "Deprecated" : name).WithSummary(deprecated ? "Deprecated alias. " + summary : summary);

    [GeneratedRegex(@"^tags\[(.+)\]$")]
    private static partial Regex TagParameter();

    private static async Task<Results<Ok<ConnectionListResponse>, JsonHttpResult<ApiError>>> ListConnections(HttpContext http, ConnectionService connections, CancellationToken ct)
    {
        var q = http.Request.Query;
        var errors = new List<ValidationError>();
        var limit = 10_000;
        if (q.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > ConnectionService.MaxPageSize))
        {
            errors.Add(ValidationError.At($"limit must be an integer from 1 to {ConnectionService.MaxPageSize}", "limit"));
        }
        var page = 0;
        if (q.TryGetValue("page", out var pageText) && (!int.TryParse(pageText, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 0))
        {
            errors.Add(ValidationError.At("page must be a non-negative integer", "page"));
        }
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in q)
        {
            if (TagParameter().Match(key) is { Success: true } match)
            {
                tags[match.Groups[1].Value.ToLowerInvariant()] = value.ToString();
            }
        }
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidQuery(errors);
        }
        var query = new ConnectionQuery
        {
            ConnectionId = q["connectionId"].FirstOrDefault() ?? q["connection_id"].FirstOrDefault(),
            Search = q["search"].FirstOrDefault(),
            EndUserId = q["endUserId"].FirstOrDefault(),
            EndUserOrganizationId = q["endUserOrganizationId"].FirstOrDefault(),
            IntegrationKeys = (q["integrationId"].FirstOrDefault() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Tags = tags,
            Limit = limit,
            Page = page,
        };
        var list = await connections.ListAsync(http.GetNangoEnvironment(), query, ct);
        return TypedResults.Ok(new ConnectionListResponse(list.Select(ConnectionListItem.From).ToList()));
    }

    private static async Task<Results<Ok<ConnectionResponse>, JsonHttpResult<ApiError>>> GetConnection(
        string connectionId, HttpContext http, ConnectionService connections, CredentialRefresher refresher, CancellationToken ct)
    {
        var key = ProviderConfigKey(http);
        if (key is null)
        {
            return ApiErrors.InvalidQuery([ValidationError.At("provider_config_key is required", "provider_config_key")]);
        }
        // Credentials are refreshed before they are handed out: when they expire within the provider's buffer, or when asked.
        var refresh = await refresher.EnsureFreshAsync(http.GetNangoEnvironment(), key, connectionId, ApiJson.IsTrue(http.Request.Query["force_refresh"]), ct);
        if (refresh is { Outcome: RefreshOutcome.Failed, Error: { } refreshError })
        {
            return ApiErrors.Create(StatusCodes.Status424FailedDependency, refreshError.Code, refreshError.Message);
        }
        var result = await connections.GetAsync(http.GetNangoEnvironment(), key, connectionId, markFetched: true, ct);
        return result.Outcome switch
        {
            ConnectionOutcome.Ok => TypedResults.Ok(ConnectionResponse.From(result.Connection!, ApiJson.IsTrue(http.Request.Query["refresh_token"]))),
            ConnectionOutcome.UnknownIntegration => ApiErrors.UnknownProviderConfig(),
            _ => ApiErrors.NotFound("No connection matching the provided params of 'connection_id' and 'provider_config_key'."),
        };
    }

    private static async Task<Results<Created<ConnectionResponse>, JsonHttpResult<ApiError>>> ImportConnection(
        ImportConnectionRequest body, HttpContext http, ConnectionService connections, CancellationToken ct)
    {
        var errors = body.Validate();
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidBody(errors);
        }
        var endUser = body.EndUser is { } u ? new EndUser(u.Id!, u.Email, u.DisplayName, u.Organization?.Id, u.Organization?.DisplayName) : null;
        var result = await connections.ImportAsync(http.GetNangoEnvironment(), new ImportConnection(
            body.ProviderConfigKey!, body.ConnectionId ?? Guid.NewGuid().ToString(), body.Credentials!,
            body.ConnectionConfig, body.Metadata, body.Tags, endUser), ct);
        return result.Outcome switch
        {
            ConnectionOutcome.Ok => TypedResults.Created((string?)null, ConnectionResponse.From(result.Connection!, includeRefreshToken: false)),
            ConnectionOutcome.UnknownIntegration => ApiErrors.NotFound("Integration does not exist"),
            ConnectionOutcome.Duplicate => ApiErrors.Create(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "The connection was created concurrently; retry."),
            _ => ApiErrors.InvalidBody(result.Errors ?? []),
        };
    }

    private static async Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> PatchConnection(
        string connectionId, PatchConnectionRequest body, HttpContext http, ConnectionService connections, CancellationToken ct)
    {
        var key = ProviderConfigKey(http);
        if (key is null)
        {
            return ApiErrors.InvalidQuery([ValidationError.At("provider_config_key is required", "provider_config_key")]);
        }
        var errors = body.Validate();
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidBody(errors);
        }
        var overrideUrl = body.WebhookUrlOverride is JsonValue v && v.TryGetValue<string>(out var url) ? url : null;
        var patch = new PatchConnection(
            body.EndUser is { } u ? new EndUser(u.Id!, u.Email, u.DisplayName, u.Organization?.Id, u.Organization?.DisplayName) : null,
            body.Tags,
            string.IsNullOrEmpty(overrideUrl) ? null : overrideUrl,
            ClearWebhookUrlOverride: overrideUrl == "");
        var result = await connections.PatchAsync(http.GetNangoEnvironment(), key, connectionId, patch, ct);
        return result.Outcome switch
        {
            ConnectionOutcome.Ok => TypedResults.Ok(new SuccessResponse(true)),
            ConnectionOutcome.UnknownIntegration => ApiErrors.UnknownProviderConfig(),
            _ => ApiErrors.UnknownConnection(),
        };
    }

    private static async Task<Results<Ok<SuccessResponse>, JsonHttpResult<ApiError>>> DeleteConnection(
        string connectionId, HttpContext http, ConnectionService connections, CancellationToken ct)
    {
        var key = ProviderConfigKey(http);
        if (key is null)
        {
            return ApiErrors.InvalidQuery([ValidationError.At("provider_config_key is required", "provider_config_key")]);
        }
        var outcome = await connections.DeleteAsync(http.GetNangoEnvironment(), key, connectionId, ct);
        return outcome switch
        {
            ConnectionOutcome.Ok => TypedResults.Ok(new SuccessResponse(true)),
            // Nango looks the connection up by integration key: an unknown integration is an unknown connection.
            _ => ApiErrors.UnknownConnection(StatusCodes.Status400BadRequest),
        };
    }

    private static Task<Results<JsonHttpResult<MetadataRequest>, JsonHttpResult<ApiError>>> SetMetadata(MetadataRequest body, HttpContext http, ConnectionService connections, CancellationToken ct) =>
        ChangeMetadataAsync(body, merge: false, http, connections, ct);

    private static Task<Results<JsonHttpResult<MetadataRequest>, JsonHttpResult<ApiError>>> UpdateMetadata(MetadataRequest body, HttpContext http, ConnectionService connections, CancellationToken ct) =>
        ChangeMetadataAsync(body, merge: true, http, connections, ct);

    /// <summary>Legacy form: the connection in the path, the key in a header, the body is the metadata itself.</summary>
    private static Task<Results<JsonHttpResult<MetadataRequest>, JsonHttpResult<ApiError>>> SetMetadataLegacy(string connectionId, JsonObject body, HttpContext http, ConnectionService connections, CancellationToken ct) =>
        ChangeMetadataAsync(new MetadataRequest(JsonValue.Create(connectionId), ProviderConfigKey(http), body), merge: false, http, connections, ct);

    private static Task<Results<JsonHttpResult<MetadataRequest>, JsonHttpResult<ApiError>>> UpdateMetadataLegacy(string connectionId, JsonObject body, HttpContext http, ConnectionService connections, CancellationToken ct) =>
        ChangeMetadataAsync(new MetadataRequest(JsonValue.Create(connectionId), ProviderConfigKey(http), body), merge: true, http, connections, ct);

    private static async Task<Results<JsonHttpResult<MetadataRequest>, JsonHttpResult<ApiError>>> ChangeMetadataAsync(
        MetadataRequest body, bool merge, HttpContext http, ConnectionService connections, CancellationToken ct)
    {
        var errors = body.Validate();
        if (errors.Count > 0)
        {
            return ApiErrors.InvalidBody(errors);
        }
        var outcome = await connections.SetMetadataAsync(http.GetNangoEnvironment(), body.ProviderConfigKey!, body.ConnectionIds(), (JsonObject)body.Metadata!, merge, ct);
        return outcome switch
        {
            // Nango echoes the request: 201 for the replace, 200 for the merge.
            ConnectionOutcome.Ok => TypedResults.Json(body, statusCode: merge ? StatusCodes.Status200OK : StatusCodes.Status201Created),
            _ => ApiErrors.UnknownConnection(),
        };
    }

    /// <summary>The integration key: query <c>provider_config_key</c>, or the <c>Provider-Config-Key</c> header older clients send.</summary>
    private static string? ProviderConfigKey(HttpContext http)
    {
        var key = http.Request.Query["provider_config_key"].FirstOrDefault();
        if (string.IsNullOrEmpty(key))
        {
            key = http.Request.Headers["Provider-Config-Key"].FirstOrDefault();
        }
        return string.IsNullOrEmpty(key) ? null : key;
    }
}
