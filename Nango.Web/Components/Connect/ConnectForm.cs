using System.Globalization;
using System.Net.Mail;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Nango.Core.ConnectSessions;
using Nango.Core.Providers;

namespace Nango.Web.Components.Connect;

/// <summary>Where a field's value goes: the credentials body of the flow, or the connection config (<c>params[…]</c>).</summary>
public enum ConnectFieldGroup
{
    Credentials,
    Params,
}

/// <summary>One input of the Connect UI form, built from a catalog field schema (or a mode's built-in credential).</summary>
public sealed class ConnectField
{
    public required ConnectFieldGroup Group { get; init; }

    public required string Name { get; init; }

    public required string Title { get; init; }

    public string? Description { get; init; }

    public string? Placeholder { get; init; }

    /// <summary>A JavaScript regular expression from the catalog; checked with .NET's engine, which reads the catalog's patterns the same way.</summary>
    public string? Pattern { get; init; }

    public string? Format { get; init; }

    public bool Optional { get; init; }

    public bool Secret { get; init; }

    /// <summary>Not shown (catalog <c>hidden</c>, or pre-set by the app in the session) but still sent.</summary>
    public bool Hidden { get; init; }

    /// <summary>The app set this value in the session's <c>integrations_config_defaults</c>.</summary>
    public bool Preconfigured { get; init; }

    /// <summary>The catalog states a <c>default_value</c> (possibly empty), which makes an empty value acceptable.</summary>
    public bool HasDefault { get; init; }

    public string? Prefix { get; init; }

    public string? Suffix { get; init; }

    public string? DocSection { get; init; }

    public IReadOnlyList<string> Options { get; init; } = [];

    public ProviderFieldCondition? VisibleWhen { get; init; }

    public int Order { get; init; }

    public string Value { get; set; } = "";

    /// <summary>Set once the user changed the value: errors show from then on (and for every field on submit).</summary>
    public bool Touched { get; set; }

    /// <summary>Stable id for the DOM and tests: <c>credentials-apiKey</c>, <c>params-subdomain</c>.</summary>
    public string Key => (Group == ConnectFieldGroup.Credentials ? "credentials-" : "params-") + Name;
}

/// <summary>
/// The form the Connect UI shows for one integration, generated from the catalog the way Nango's Connect UI
/// does it: the auth mode's own credentials first (API key, username and password, client id and secret),
/// then the provider's <c>credentials</c> fields, then its <c>connection_config</c> fields (those with an
/// <c>order</c> go before everything). Automated fields are never asked; fields the app pre-set in the
/// session are sent but not shown; <c>visible_when</c> fields exist only while their condition holds.
/// </summary>
public sealed partial class ConnectForm
{
    /// <summary>Modes whose flow runs in a popup (<c>/oauth/connect</c>) rather than a POST.</summary>
    private static readonly HashSet<string> _popupModes = new(StringComparer.Ordinal) { "OAUTH2", "OAUTH1", "MCP_OAUTH2", "MCP_OAUTH2_GENERIC", "APP", "CUSTOM", "INSTALL_PLUGIN" };

    /// <summary>Modes this server has a flow endpoint for; the UI explains that the others cannot be connected here yet.</summary>
    private static readonly HashSet<string> _supportedModes = new(StringComparer.Ordinal) { "OAUTH2", "OAUTH1", "MCP_OAUTH2", "API_KEY", "BASIC", "NONE", "OAUTH2_CC", "APP", "TBA", "JWT", "TWO_STEP" };

    private static readonly TimeSpan _patternTimeout = TimeSpan.FromMilliseconds(200);

    private ConnectForm(string authMode, IReadOnlyList<ConnectField> fields)
    {
        AuthMode = authMode;
        Fields = fields;
    }

    public string AuthMode { get; }

    /// <summary>Every field in display order, the hidden ones included.</summary>
    public IReadOnlyList<ConnectField> Fields { get; }

    public bool UsesPopup => _popupModes.Contains(AuthMode);

    public bool IsSupported => _supportedModes.Contains(AuthMode);

    /// <summary>The fields the user sees right now.</summary>
    public IEnumerable<ConnectField> VisibleFields => Fields.Where(IsVisible);

    /// <summary>The flow endpoint of a non-popup mode, relative to the server root.</summary>
    public string? FlowPath(string providerConfigKey) => AuthMode switch
    {
        "API_KEY" => "api-auth/api-key/" + Uri.EscapeDataString(providerConfigKey),
        "BASIC" => "api-auth/basic/" + Uri.EscapeDataString(providerConfigKey),
        "NONE" => "auth/unauthenticated/" + Uri.EscapeDataString(providerConfigKey),
        "OAUTH2_CC" => "oauth2/auth/" + Uri.EscapeDataString(providerConfigKey),
        "TBA" => "auth/tba/" + Uri.EscapeDataString(providerConfigKey),
        "JWT" => "auth/jwt/" + Uri.EscapeDataString(providerConfigKey),
        "TWO_STEP" => "auth/two-step/" + Uri.EscapeDataString(providerConfigKey),
        _ => null,
    };

    /// <param name="provider">The integration's catalog entry.</param>
    /// <param name="defaults">What the app pre-set for this integration in the connect session.</param>
    /// <param name="integrationCredentials">
    /// Credentials the integration itself already holds (an OAuth2 client-credentials integration with its own
    /// client id and secret): the end user is not asked for them, and the server uses the integration's.
    /// </param>
    public static ConnectForm For(ProviderDefinition provider, ConnectSessionIntegrationDefaults? defaults, IReadOnlySet<string>? integrationCredentials = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        integrationCredentials ??= new HashSet<string>();
        var preset = defaults?.ConnectionConfig ?? [];
        var fields = new List<ConnectField>();
        // Fields without an order go after the ones that have one, in catalog order: the mode's own
        // credentials, then the provider's credentials, then its connection config.
        var next = 1000;

        var catalogCredentials = provider.CredentialsFields.Where(f => !f.Automated).ToDictionary(f => f.Name, StringComparer.Ordinal);
        foreach (var name in integrationCredentials)
        {
            catalogCredentials.Remove(name);
        }
        foreach (var builtIn in BuiltInCredentials(provider).Where(b => !integrationCredentials.Contains(b.Name)))
        {
            catalogCredentials.Remove(builtIn.Name, out var definition);
            fields.Add(FromSchema(ConnectFieldGroup.Credentials, builtIn.Name, definition, builtIn, null, next++));
        }
        foreach (var definition in provider.CredentialsFields.Where(f => catalogCredentials.ContainsKey(f.Name)))
        {
            fields.Add(FromSchema(ConnectFieldGroup.Credentials, definition.Name, definition, null, null, next++));
        }
        foreach (var definition in provider.ConnectionConfigFields.Where(f => !f.Automated))
        {
            var presetValue = preset[definition.Name] is { } node ? Text(node) : null;
            fields.Add(FromSchema(ConnectFieldGroup.Params, definition.Name, definition, null, presetValue, definition.Order ?? next++));
        }
        return new ConnectForm(provider.AuthMode, [.. fields.OrderBy(f => f.Order)]);
    }

    /// <summary>
    /// Shown unless hidden or pre-set, and, for <c>visible_when</c>, while the named field (of the same group,
    /// else of the other) holds the stated value.
    /// </summary>
    public bool IsVisible(ConnectField field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return !field.Hidden && ConditionHolds(field);
    }

    /// <summary>The message to show under the field, or null. Fields that are not visible are not checked.</summary>
    public string? ErrorFor(ConnectField field, bool includeUntouched = false)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!IsVisible(field) || (!field.Touched && !includeUntouched))
        {
            return null;
        }
        return Validate(field);
    }

    /// <summary>True when every shown field passes its checks (untouched ones included): the Connect button's state.</summary>
    public bool IsValid => VisibleFields.All(f => Validate(f) is null);

    /// <summary>Marks every field touched so that all errors show (after a submit attempt).</summary>
    public void TouchAll()
    {
        foreach (var field in Fields)
        {
            field.Touched = true;
        }
    }

    public void SetValue(string key, string? value)
    {
        var field = Fields.FirstOrDefault(f => f.Key == key) ?? throw new ArgumentException($"No field {key}.", nameof(key));
        field.Value = value ?? "";
        field.Touched = true;
    }

    /// <summary>The credentials body: every sent credential field that has a value.</summary>
    public Dictionary<string, string> Credentials() => Values(ConnectFieldGroup.Credentials);

    /// <summary>The connection config sent as <c>params[…]</c>.</summary>
    public Dictionary<string, string> Params() => Values(ConnectFieldGroup.Params);

    private Dictionary<string, string> Values(ConnectFieldGroup group) => Fields
        .Where(f => f.Group == group && ConditionHolds(f) && f.Value.Length > 0)
        .ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);

    private bool ConditionHolds(ConnectField field)
    {
        if (field.VisibleWhen is not { } condition)
        {
            return true;
        }
        var other = Fields.FirstOrDefault(f => f.Group == field.Group && f.Name == condition.Field)
            ?? Fields.FirstOrDefault(f => f.Name == condition.Field);
        // A condition on a field that is itself switched off does not hold either.
        return other is not null && ConditionHolds(other) && string.Equals(other.Value, condition.Value ?? "", StringComparison.Ordinal);
    }

    private static string? Validate(ConnectField field)
    {
        var value = field.Value;
        if (value.Length == 0)
        {
            // Nango accepts an empty value for optional fields and for fields whose catalog default is empty.
            return field.Optional || field.HasDefault ? null : "This field is required";
        }
        var formatError = field.Format switch
        {
            "hostname" when !HostnamePattern().IsMatch(value) => "Invalid hostname",
            "uuid" when !Guid.TryParseExact(value, "D", out _) => "Invalid UUID",
            "uri" when !Uri.TryCreate(value, UriKind.Absolute, out _) => "Invalid URL",
            "email" when !MailAddress.TryCreate(value, out _) => "Invalid email address",
            _ => null,
        };
        if (formatError is not null)
        {
            return formatError;
        }
        if (field.Pattern is { Length: > 0 } pattern && !Matches(pattern, value))
        {
            return $"Incorrect {field.Title}";
        }
        return null;
    }

    private static bool Matches(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, pattern, RegexOptions.CultureInvariant, _patternTimeout);
        }
        catch (ArgumentException)
        {
            // A JavaScript pattern .NET cannot read: leave the check to the provider rather than block the user.
            return true;
        }
        catch (RegexMatchTimeoutException)
        {
            return true;
        }
    }

    private static ConnectField FromSchema(ConnectFieldGroup group, string name, ProviderField? definition, BuiltInField? builtIn, string? preset, int order)
    {
        var optional = definition?.Optional ?? builtIn?.Optional ?? false;
        var options = definition?.Enum ?? [];
        var initial = preset
            ?? definition?.DefaultValue
            ?? (options.Count > 0 && !optional && definition?.Hidden != true ? options[0] : "");
        var title = definition?.Title ?? builtIn?.Title ?? Humanize(name);
        return new ConnectField
        {
            Group = group,
            Name = name,
            Title = title,
            Description = definition?.Description,
            Placeholder = definition?.Example ?? builtIn?.Placeholder ?? definition?.Title,
            Pattern = definition?.Pattern,
            Format = definition?.Format,
            Optional = optional,
            Secret = definition?.Secret == true || builtIn?.Secret == true,
            Hidden = definition?.Hidden == true || preset is not null,
            Preconfigured = preset is not null,
            HasDefault = definition?.DefaultValue is not null,
            Prefix = definition?.Prefix,
            Suffix = definition?.Suffix,
            DocSection = definition?.DocSection,
            Options = options,
            VisibleWhen = definition?.VisibleWhen,
            Order = order,
            Value = initial,
        };
    }

    /// <summary>The credentials each mode's flow takes, with the labels Nango's Connect UI gives them when the catalog does not.</summary>
    private static IEnumerable<BuiltInField> BuiltInCredentials(ProviderDefinition provider) => provider.AuthMode switch
    {
        "API_KEY" => [new("apiKey", "API Key", "Your API Key", Secret: true)],
        "BASIC" => [new("username", "User Name", "Your user name"), new("password", "Password", "Your password", Secret: true)],
        "TBA" => [new("token_id", "Token ID", "Your token ID"), new("token_secret", "Token Secret", "Your token secret", Secret: true)],
        "OAUTH2_CC" => provider.RequireClientCertificate
            ? [new("client_id", "Client ID", "Your Client ID"), new("client_secret", "Client Secret", "Your Client Secret", Secret: true),
               new("client_certificate", "Client Certificate", "Your Client Certificate", Secret: true), new("client_private_key", "Private Key", "Your Private Key", Secret: true)]
            : [new("client_id", "Client ID", "Your Client ID"), new("client_secret", "Client Secret", "Your Client Secret", Secret: true)],
        _ => [],
    };

    /// <summary>A connection config value pre-set as JSON, as the text the form holds.</summary>
    private static string Text(JsonNode node) => node is JsonValue value && value.TryGetValue<string>(out var text)
        ? text
        : node.ToJsonString();

    private static string Humanize(string name) =>
        name.Length == 0 ? name : char.ToUpper(name[0], CultureInfo.InvariantCulture) + name[1..].Replace('_', ' ');

    [GeneratedRegex("^[a-zA-Z0-9.-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HostnamePattern();

    private sealed record BuiltInField(string Name, string Title, string Placeholder, bool Secret = false, bool Optional = false);
}
