using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Nango.Core.Common;
using Nango.Core.Connections;

namespace Nango.Web.Api.Connections;

public sealed record EndUserBody(string? Id, string? Email, string? DisplayName, Dictionary<string, string>? Tags, OrganizationBody? Organization);

public sealed record OrganizationBody(string? Id, string? DisplayName);

public sealed record ImportConnectionRequest(
    string? ProviderConfigKey,
    string? ConnectionId,
    JsonObject? Credentials,
    JsonObject? ConnectionConfig,
    JsonObject? Metadata,
    Dictionary<string, string>? Tags,
    EndUserBody? EndUser)
{
    public List<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (!Identifiers.IsProviderConfigKey(ProviderConfigKey))
        {
            errors.Add(ValidationError.At("provider_config_key is required and must be a valid key", "provider_config_key"));
        }
        if (ConnectionId is not null && !Identifiers.IsConnectionId(ConnectionId))
        {
            errors.Add(ValidationError.At("Invalid connection_id", "connection_id"));
        }
        if (EndUser is not null && string.IsNullOrEmpty(EndUser.Id))
        {
            errors.Add(ValidationError.At("end_user.id is required", "end_user", "id"));
        }
        errors.AddRange(ConnectionService.ValidateCredentials(Credentials));
        return errors;
    }
}

public sealed record PatchConnectionRequest(EndUserBody? EndUser, Dictionary<string, string>? Tags, JsonNode? WebhookUrlOverride)
{
    public List<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (EndUser is not null && string.IsNullOrEmpty(EndUser.Id))
        {
            errors.Add(ValidationError.At("end_user.id is required", "end_user", "id"));
        }
        if (WebhookUrlOverride is JsonValue v && (!v.TryGetValue<string>(out var url) || (url.Length > 0 && !Uri.TryCreate(url, UriKind.Absolute, out _))))
        {
            errors.Add(ValidationError.At("webhook_url_override must be an absolute URL", "webhook_url_override"));
        }
        return errors;
    }
}

public sealed record MetadataRequest(JsonNode? ConnectionId, string? ProviderConfigKey, JsonNode? Metadata)
{
    public List<string> ConnectionIds() => ConnectionId switch
    {
        JsonValue v when v.TryGetValue<string>(out var one) => [one],
        JsonArray many => many.Select(n => n is JsonValue x && x.TryGetValue<string>(out var s) ? s : "").ToList(),
        _ => [],
    };

    public List<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        var ids = ConnectionIds();
        if (ids.Count == 0 || ids.Any(id => !Identifiers.IsConnectionId(id)))
        {
            errors.Add(ValidationError.At("connection_id must be a connection id or a non-empty array of them", "connection_id"));
        }
        if (!Identifiers.IsProviderConfigKey(ProviderConfigKey))
        {
            errors.Add(ValidationError.At("provider_config_key is required", "provider_config_key"));
        }
        if (Metadata is not JsonObject)
        {
            errors.Add(ValidationError.At("metadata must be an object", "metadata"));
        }
        return errors;
    }
}

public sealed record EndUserResponse(
    string Id,
    string? DisplayName,
    string? Email,
    [property: JsonPropertyName("tags")] Dictionary<string, string>? Tags,
    OrganizationResponse? Organization)
{
    public static EndUserResponse? From(EndUser? endUser) => endUser is null
        ? null
        : new EndUserResponse(endUser.Id, endUser.DisplayName, endUser.Email, null,
            endUser.OrganizationId is null ? null : new OrganizationResponse(endUser.OrganizationId, endUser.OrganizationDisplayName));
}

public sealed record OrganizationResponse(string Id, string? DisplayName);

public sealed record ConnectionErrorResponse(string Type, string LogId);

/// <summary>Nango's <c>ApiPublicConnection</c> (list item).</summary>
public sealed record ConnectionListItem(
    int Id,
    string ConnectionId,
    string ProviderConfigKey,
    string Provider,
    string Created,
    JsonObject? Metadata,
    IReadOnlyList<ConnectionErrorResponse> Errors,
    EndUserResponse? EndUser,
    IReadOnlyDictionary<string, string> Tags)
{
    public static ConnectionListItem From(ConnectionSummary c) => new(
        c.Id, c.ConnectionId, c.ProviderConfigKey, c.Provider, ApiJson.IsoString(c.CreatedAt),
        c.Metadata.Count == 0 ? null : c.Metadata,
        c.Errors.Select(e => new ConnectionErrorResponse(e.Type, e.LogId)).ToList(),
        EndUserResponse.From(c.EndUser), c.Tags);
}

public sealed record ConnectionListResponse(IReadOnlyList<ConnectionListItem> Connections);

/// <summary>Nango's <c>ApiPublicConnectionFull</c>.</summary>
public sealed record ConnectionResponse(
    int Id,
    string ConnectionId,
    string ProviderConfigKey,
    string Provider,
    IReadOnlyList<ConnectionErrorResponse> Errors,
    EndUserResponse? EndUser,
    IReadOnlyDictionary<string, string> Tags,
    JsonObject? Metadata,
    JsonObject ConnectionConfig,
    string? WebhookUrlOverride,
    string CreatedAt,
    string UpdatedAt,
    string? LastFetchedAt,
    JsonObject Credentials)
{
    public static ConnectionResponse From(ConnectionDetails c, bool includeRefreshToken)
    {
        var credentials = (JsonObject)c.Credentials.DeepClone();
        if (!includeRefreshToken)
        {
            credentials.Remove("refresh_token");
        }
        var s = c.Summary;
        return new ConnectionResponse(
            s.Id, s.ConnectionId, s.ProviderConfigKey, s.Provider,
            s.Errors.Select(e => new ConnectionErrorResponse(e.Type, e.LogId)).ToList(),
            EndUserResponse.From(s.EndUser), s.Tags,
            s.Metadata, c.ConnectionConfig, c.WebhookUrlOverride,
            ApiJson.PostgresTimestamp(s.CreatedAt), ApiJson.PostgresTimestamp(c.UpdatedAt), ApiJson.PostgresTimestamp(c.LastFetchedAt),
            credentials);
    }
}
