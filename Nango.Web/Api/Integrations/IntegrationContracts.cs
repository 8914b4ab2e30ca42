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

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IntegrationCredentialsResponse? Credentials { get; init; }
}

public sealed record IntegrationCredentialsResponse(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientSecret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Scopes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? WebhookSecret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AppId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AppLink,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PrivateKey);

public sealed record IntegrationListResponse(IReadOnlyList<IntegrationResponse> Data);

public sealed record IntegrationDataResponse(IntegrationResponse Data);
