using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Nango.Core.Common;
using Nango.Core.Integrations;

namespace Nango.Web.Api.Integrations;

public sealed record IntegrationCredentialsBody(
    string? Type,
    string? ClientId,
    string? ClientSecret,
    string? Scopes,
    string? WebhookSecret,
    string? AppId,
    string? AppLink,
    string? PrivateKey)
{
    private static readonly string[] _types = ["OAUTH1", "OAUTH2", "TBA", "APP", "CUSTOM"];

    public IEnumerable<ValidationError> Validate()
    {
        if (Type is null || !_types.Contains(Type, StringComparer.Ordinal))
        {
            yield return ValidationError.At($"credentials.type must be one of {string.Join(", ", _types)}", "credentials", "type");
        }
    }

    public IntegrationCredentials ToCore() => new(Type!, ClientId, ClientSecret, Scopes, WebhookSecret, AppId, AppLink, PrivateKey);
}

public sealed record CreateIntegrationRequest(
    string? Provider,
    string? UniqueKey,
    string? DisplayName,
    IntegrationCredentialsBody? Credentials,
    bool? ForwardWebhooks,
    Dictionary<string, string>? IntegrationConfig,
    Dictionary<string, string>? Custom)
{
    public List<ValidationError> Validate()
    {
        var errors = new List<ValidationError>();
        if (string.IsNullOrEmpty(Provider))
        {
            errors.Add(ValidationError.At("provider is required", "provider"));
        }
        if (string.IsNullOrEmpty(UniqueKey))
        {
            errors.Add(ValidationError.At("unique_key is required", "unique_key"));
        }
        if (Credentials is not null)
        {
            errors.AddRange(Credentials.Validate());
        }
        return errors;
    }
}

public sealed record UpdateIntegrationRequest(
    string? UniqueKey,
    string? DisplayName,
    IntegrationCredentialsBody? Credentials,
    bool? ForwardWebhooks,
    Dictionary<string, string>? IntegrationConfig,
    Dictionary<string, string>? Custom)
{
    public List<ValidationError> Validate() => Credentials?.Validate().ToList() ?? [];
}

/// <summary>Nango's <c>ApiPublicIntegration</c>.</summary>
public sealed record IntegrationResponse
{
    public required string UniqueKey { get; init; }

    public required string Provider { get; init; }

    public required string DisplayName { get; init; }

    public required string Logo { get; init; }

    public required bool ForwardWebhooks { get; init; }

    public required string CreatedAt { get; init; }

    public required string UpdatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? WebhookUrl { get; init; }

    /// <summary>Only with <c>include=credentials</c>; then present even when it is null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IncludedCredentials? Credentials { get; init; }
}

/// <summary>
/// Nango's <c>credentials</c> include: the variant of the provider's auth mode with every field of that
/// variant present (null when unset), or null for auth modes without app credentials.
/// </summary>
[JsonConverter(typeof(IncludedCredentialsConverter))]
public sealed record IncludedCredentials(JsonObject? Value)
{
    public static IncludedCredentials For(string authMode, IntegrationCredentials? c) => new(authMode switch
    {
        "OAUTH1" or "OAUTH2" or "TBA" => new JsonObject
        {
            ["type"] = authMode,
            ["client_id"] = c?.ClientId,
            ["client_secret"] = c?.ClientSecret,
            ["scopes"] = string.IsNullOrEmpty(c?.Scopes) ? null : c.Scopes,
            ["webhook_secret"] = c?.WebhookSecret,
        },
        "APP" => new JsonObject
        {
            ["type"] = authMode,
            ["app_id"] = c?.AppId,
            ["private_key"] = c?.PrivateKey,
            ["app_link"] = c?.AppLink,
        },
        "CUSTOM" => new JsonObject
        {
            ["type"] = authMode,
            ["client_id"] = c?.ClientId,
            ["client_secret"] = c?.ClientSecret,
            ["app_id"] = c?.AppId,
            ["app_link"] = c?.AppLink,
            ["private_key"] = c?.PrivateKey,
        },
        _ => null,
    });
}

internal sealed class IncludedCredentialsConverter : JsonConverter<IncludedCredentials>
{
    public override IncludedCredentials Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        new(JsonNode.Parse(ref reader) as JsonObject);

    public override void Write(Utf8JsonWriter writer, IncludedCredentials value, JsonSerializerOptions options)
    {
        if (value.Value is null)
        {
            writer.WriteNullValue();
            return;
        }
        value.Value.WriteTo(writer, options);
    }
}

public sealed record IntegrationListResponse(IReadOnlyList<IntegrationResponse> Data);

public sealed record IntegrationDataResponse(IntegrationResponse Data);
