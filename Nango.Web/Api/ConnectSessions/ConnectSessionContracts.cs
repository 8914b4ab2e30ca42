using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Nango.Core.Common;
using Nango.Core.Connections;
using Nango.Core.ConnectSessions;
using Nango.Web.Api.Connections;

namespace Nango.Web.Api.ConnectSessions;

/// <summary>
/// The bodies of the connect-session endpoints, read as strictly as Nango's schemas: unknown keys are
/// refused at every level where Nango refuses them.
/// </summary>
public static class ConnectSessionBodies
{
    private static readonly string[] _createKeys =
        ["end_user", "organization", "allowed_integrations", "integrations_config_defaults", "overrides", "webhook_url_override", "tags"];

    private static readonly string[] _reconnectKeys =
        ["connection_id", "integration_id", "end_user", "organization", "integrations_config_defaults", "overrides", "webhook_url_override", "tags"];

    private static readonly string[] _endUserKeys = ["id", "email", "display_name", "tags"];
    private static readonly string[] _organizationKeys = ["id", "display_name"];
    private static readonly string[] _defaultsKeys = ["user_scopes", "authorization_params", "connection_config"];
    private static readonly string[] _telemetryKeys = ["token", "event", "timestamp", "dimensions"];

    public static readonly IReadOnlySet<string> TelemetryEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        "open", "view:list", "view:integration", "view:unknown_error", "view:credentials_error", "view:success",
        "click:integration", "click:doc", "click:doc_section", "click:connect", "click:close", "click:finish", "click:outside",
        "popup:blocked_by_browser", "popup:closed_early",
    };

    private const string InvalidKeyMessage = "Invalid string: must match pattern /^[a-zA-Z0-9~:.@ _-]+$/ (at most 255 characters)";

    public static (ConnectSessionRequest? Request, List<ValidationError> Errors) ParseCreate(JsonElement json)
    {
        var reader = new JsonBodyReader();
        if (reader.ReadBody(json) is not { } body)
        {
            return (null, reader.Errors);
        }
        reader.RejectUnknownKeys(body, _createKeys);
        // Nango lets a caller that labels sessions with top-level tags leave the end user out.
        var request = ReadShared(reader, body, endUserRequired: !body.ContainsKey("tags")) with
        {
            AllowedIntegrations = reader.ReadStringArray(body, "allowed_integrations", [], Identifiers.IsProviderConfigKey, InvalidKeyMessage),
        };
        return reader.HasErrors ? (null, reader.Errors) : (request, reader.Errors);
    }

    public static (ReconnectSessionRequest? Request, List<ValidationError> Errors) ParseReconnect(JsonElement json)
    {
        var reader = new JsonBodyReader();
        if (reader.ReadBody(json) is not { } body)
        {
            return (null, reader.Errors);
        }
        reader.RejectUnknownKeys(body, _reconnectKeys);
        var connectionId = reader.ReadFormattedString(body, "connection_id", [], Identifiers.IsConnectionId, "Invalid connection id", required: true);
        var integrationId = reader.ReadFormattedString(body, "integration_id", [], Identifiers.IsProviderConfigKey, InvalidKeyMessage, required: true);
        var shared = ReadShared(reader, body, endUserRequired: false);
        return reader.HasErrors ? (null, reader.Errors) : (new ReconnectSessionRequest(connectionId!, integrationId!, shared), reader.Errors);
    }

    public static (TelemetryEvent? Event, List<ValidationError> Errors) ParseTelemetry(JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var reader = new JsonBodyReader();
        reader.RejectUnknownKeys(body, _telemetryKeys);
        reader.ReadString(body, "token", [], required: true);
        var name = reader.ReadFormattedString(body, "event", [], TelemetryEvents.Contains,
            "Invalid option: expected one of " + string.Join("|", TelemetryEvents.Select(e => $"\"{e}\"")), required: true);
        var timestamp = reader.ReadDate(body, "timestamp", [], required: true);
        string? integration = null;
        if (reader.ReadObject(body, "dimensions", []) is { } dimensions)
        {
            integration = reader.ReadFormattedString(dimensions, "integration", ["dimensions"], Identifiers.IsProviderConfigKey, InvalidKeyMessage);
        }
        return reader.HasErrors ? (null, reader.Errors) : (new TelemetryEvent(name!, timestamp!.Value, integration), reader.Errors);
    }

    private static ConnectSessionRequest ReadShared(JsonBodyReader reader, JsonObject body, bool endUserRequired)
    {
        return new ConnectSessionRequest
        {
            EndUser = ReadEndUser(reader, body, endUserRequired),
            Organization = ReadOrganization(reader, body),
            IntegrationsConfigDefaults = ReadDefaults(reader, body),
            Overrides = ReadOverrides(reader, body),
            WebhookUrlOverride = reader.ReadFormattedString(body, "webhook_url_override", [], IsHttpUrl, "Invalid URL: must be an absolute http(s) URL"),
            Tags = ReadTags(reader, body, []),
        };
    }

    private static ConnectSessionEndUser? ReadEndUser(JsonBodyReader reader, JsonObject body, bool required)
    {
        if (reader.ReadObject(body, "end_user", [], required) is not { } value)
        {
            return null;
        }
        object[] path = ["end_user"];
        reader.RejectUnknownKeys(value, _endUserKeys, path);
        var id = reader.ReadString(value, "id", path, required: true, minLength: 1, maxLength: Identifiers.MaxLength);
        var email = reader.ReadFormattedString(value, "email", path, ConnectionTags.IsEmail, "Invalid email address");
        var displayName = reader.ReadString(value, "display_name", path, maxLength: Identifiers.MaxLength);
        var tags = ReadTags(reader, value, path);
        return id is null ? null : new ConnectSessionEndUser(id, email, displayName, tags);
    }

    private static ConnectSessionOrganization? ReadOrganization(JsonBodyReader reader, JsonObject body)
    {
        if (reader.ReadObject(body, "organization", []) is not { } value)
        {
            return null;
        }
        object[] path = ["organization"];
        reader.RejectUnknownKeys(value, _organizationKeys, path);
        var id = reader.ReadString(value, "id", path, required: true, maxLength: Identifiers.MaxLength);
        var displayName = reader.ReadString(value, "display_name", path, maxLength: Identifiers.MaxLength);
        return id is null ? null : new ConnectSessionOrganization(id, displayName);
    }

    private static Dictionary<string, ConnectSessionIntegrationDefaults>? ReadDefaults(JsonBodyReader reader, JsonObject body)
    {
        if (reader.ReadObject(body, "integrations_config_defaults", []) is not { } value)
        {
            return null;
        }
        var result = new Dictionary<string, ConnectSessionIntegrationDefaults>(StringComparer.Ordinal);
        foreach (var (key, _) in value)
        {
            object[] path = ["integrations_config_defaults", key];
            if (!Identifiers.IsProviderConfigKey(key))
            {
                reader.Add(new ValidationError("invalid_key", InvalidKeyMessage, path));
                continue;
            }
            if (reader.ReadObject(value, key, ["integrations_config_defaults"], required: true) is not { } entry)
            {
                continue;
            }
            reader.RejectUnknownKeys(entry, _defaultsKeys, path);
            var userScopes = reader.ReadString(entry, "user_scopes", path);
            var parameters = reader.ReadStringMap(entry, "authorization_params", path);
            // connection_config is open-ended (providers define their own fields); only its one known field is typed.
            var config = reader.ReadObject(entry, "connection_config", path);
            if (config is not null)
            {
                reader.ReadString(config, "oauth_scopes_override", [.. path, "connection_config"]);
            }
            result[key] = new ConnectSessionIntegrationDefaults(userScopes, parameters, config?.DeepClone().AsObject());
        }
        return result;
    }

    private static Dictionary<string, ConnectSessionOverride>? ReadOverrides(JsonBodyReader reader, JsonObject body)
    {
        if (reader.ReadObject(body, "overrides", []) is not { } value)
        {
            return null;
        }
        var result = new Dictionary<string, ConnectSessionOverride>(StringComparer.Ordinal);
        foreach (var (key, _) in value)
        {
            object[] path = ["overrides", key];
            if (!Identifiers.IsProviderConfigKey(key))
            {
                reader.Add(new ValidationError("invalid_key", InvalidKeyMessage, path));
                continue;
            }
            // Nango's override object is not strict: unknown keys are dropped, not refused.
            if (reader.ReadObject(value, key, ["overrides"], required: true) is { } entry)
            {
                result[key] = new ConnectSessionOverride(reader.ReadFormattedString(entry, "docs_connect", path, IsHttpUrl, "Invalid URL: must be an absolute http(s) URL"));
            }
        }
        return result;
    }

    private static Dictionary<string, string>? ReadTags(JsonBodyReader reader, JsonObject parent, object[] path)
    {
        var tags = reader.ReadStringMap(parent, "tags", path);
        if (tags is null)
        {
            return null;
        }
        var errors = ConnectionTags.Validate(tags, [.. path, "tags"]);
        reader.AddRange(errors);
        return errors.Count == 0 ? tags : null;
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

public sealed record TelemetryEvent(string Name, DateTimeOffset Timestamp, string? Integration);

public sealed record ConnectSessionCreatedData(string Token, string ConnectLink, string ExpiresAt);

public sealed record ConnectSessionCreatedResponse(ConnectSessionCreatedData Data);

public sealed record ConnectUiColorPalette(string Primary);

public sealed record ConnectUiTheme(ConnectUiColorPalette Light, ConnectUiColorPalette Dark);

/// <summary>Nango's <c>ConnectUISettings</c>; its names are camelCase on the wire, unlike the rest of the API.</summary>
public sealed record ConnectUiSettings(
    ConnectUiTheme Theme,
    [property: JsonPropertyName("defaultTheme")] string DefaultTheme,
    [property: JsonPropertyName("showWatermark")] bool ShowWatermark)
{
    /// <summary>Nango's defaults (its brand colour, theme following the system); a self-hosted server shows no watermark.</summary>
    public static ConnectUiSettings Default { get; } = new(
        new ConnectUiTheme(new ConnectUiColorPalette("#00B2E3"), new ConnectUiColorPalette("#00B2E3")), "system", false);
}

/// <summary>
/// <c>GET /connect/session</c>'s data. Nango mixes camelCase (its UI-facing fields) with snake_case (the
/// fields echoed from the create request), and leaves out optional fields that are unset.
/// </summary>
public sealed record ConnectSessionData
{
    [JsonPropertyName("endUser")]
    public required EndUserResponse? EndUser { get; init; }

    [JsonPropertyName("connectUISettings")]
    public required ConnectUiSettings ConnectUiSettings { get; init; }

    [JsonPropertyName("allowed_integrations"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? AllowedIntegrations { get; init; }

    [JsonPropertyName("integrations_config_defaults"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? IntegrationsConfigDefaults { get; init; }

    [JsonPropertyName("isReconnecting"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? IsReconnecting { get; init; }

    [JsonPropertyName("overrides"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Overrides { get; init; }

    [JsonPropertyName("webhook_url_override"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? WebhookUrlOverride { get; init; }

    [JsonPropertyName("tags"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>Where the Connect UI opens its OAuth-result socket; Nango sends it on self-hosted servers.</summary>
    [JsonPropertyName("websocketsPath")]
    public string WebsocketsPath { get; init; } = "/";

    public static ConnectSessionData From(ConnectSessionContext session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var endUser = session.EndUser;
        return new ConnectSessionData
        {
            EndUser = endUser is null ? null : new EndUserResponse(
                endUser.Id, endUser.DisplayName, endUser.Email,
                endUser.Tags is null ? null : new Dictionary<string, string>(endUser.Tags, StringComparer.Ordinal),
                endUser.Organization is null ? null : new OrganizationResponse(endUser.Organization.Id, endUser.Organization.DisplayName)),
            ConnectUiSettings = ConnectUiSettings.Default,
            AllowedIntegrations = session.AllowedIntegrations,
            IntegrationsConfigDefaults = DefaultsForUi(session.IntegrationsConfigDefaults),
            IsReconnecting = session.IsReconnecting ? true : null,
            Overrides = session.Overrides is null ? null : new JsonObject(session.Overrides.Select(o => KeyValuePair.Create<string, JsonNode?>(
                o.Key, o.Value.DocsConnect is null ? new JsonObject() : new JsonObject { ["docs_connect"] = o.Value.DocsConnect }))),
            WebhookUrlOverride = session.WebhookUrlOverride,
            Tags = session.Tags,
        };
    }

    /// <summary>The UI sees connection_config and authorization_params only; user_scopes is applied by the server.</summary>
    private static JsonObject? DefaultsForUi(IReadOnlyDictionary<string, ConnectSessionIntegrationDefaults>? defaults)
    {
        if (defaults is null)
        {
            return null;
        }
        var result = new JsonObject();
        foreach (var (key, value) in defaults)
        {
            var entry = new JsonObject();
            if (value.ConnectionConfig is not null)
            {
                entry["connection_config"] = value.ConnectionConfig.DeepClone();
            }
            if (value.AuthorizationParams is not null)
            {
                entry["authorization_params"] = new JsonObject(value.AuthorizationParams.Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value)));
            }
            result[key] = entry;
        }
        return result;
    }
}

public sealed record ConnectSessionResponse([property: JsonPropertyName("data")] ConnectSessionData Data);
