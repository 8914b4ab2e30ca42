using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Providers;

namespace Nango.Tests.Unit.Providers;

public sealed class ProviderCatalogTests
{
    private static readonly string[] _requiredProviders =
    [
        "github", "github-app", "github-app-oauth", "google", "google-calendar", "google-drive", "google-mail", "salesforce",
        "hubspot", "slack", "notion", "jira", "confluence", "linear", "zendesk", "shopify", "stripe", "quickbooks", "xero",
        "microsoft", "microsoft-teams", "outlook", "airtable", "asana", "trello", "monday", "clickup", "intercom", "pipedrive",
        "zoom", "dropbox", "box", "gitlab", "bitbucket", "discord", "twitter-v2", "linkedin", "figma", "calendly", "docusign",
        "mailchimp", "sendgrid", "twilio", "openai", "anthropic", "pagerduty", "datadog", "sentry", "gong", "greenhouse",
        "workday", "bamboohr", "netsuite-tba", "attio", "freshdesk", "typeform", "miro", "segment", "okta", "unauthenticated",
    ];

    private static readonly string[] _allAuthModes =
    [
        "OAUTH1", "OAUTH2", "OAUTH2_CC", "BASIC", "API_KEY", "CUSTOM", "APP", "NONE", "TBA", "JWT", "BILL", "TWO_STEP",
        "SIGNATURE", "MCP_OAUTH2", "MCP_OAUTH2_GENERIC", "INSTALL_PLUGIN", "AWS_SIGV4",
    ];

    private static ProviderCatalog BuiltIn(params string[] extraFiles) =>
        new(Options.Create(new NangoOptions { Catalog = new CatalogOptions { ExtraFiles = [.. extraFiles] } }));

    [Fact]
    public void Built_in_catalog_has_the_widely_used_providers_under_Nango_keys()
    {
        var catalog = BuiltIn();

        Assert.True(catalog.All.Count >= 60, $"only {catalog.All.Count} providers");
        Assert.Equal(Array.Empty<string>(), _requiredProviders.Where(name => catalog.Find(name) is null).ToArray());
        Assert.Equal("NONE", catalog.Find("unauthenticated")!.AuthMode);
    }

    [Fact]
    public void Built_in_catalog_covers_every_auth_mode()
    {
        var modes = BuiltIn().All.Select(p => p.AuthMode).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(Array.Empty<string>(), _allAuthModes.Where(mode => !modes.Contains(mode)).ToArray());
    }

    [Fact]
    public void Built_in_entries_are_complete_and_their_aliases_resolve()
    {
        var catalog = BuiltIn();

        Assert.All(catalog.All, provider =>
        {
            Assert.NotNull(ProviderJsonString(provider.Raw["display_name"]));
            Assert.NotNull(ProviderJsonString(provider.Raw["auth_mode"]));
            Assert.NotEmpty(provider.Categories);
            Assert.NotNull(provider.Docs);
            Assert.False(provider.Raw.ContainsKey("alias"));
            if (provider.Alias is { } alias)
            {
                Assert.NotNull(catalog.Find(alias));
            }
        });
    }

    [Fact]
    public void Alias_inherits_the_target_entry_and_keeps_its_own_keys()
    {
        var catalog = BuiltIn();
        var google = catalog.Find("google")!;

        var calendar = catalog.Find("google-calendar")!;
        var githubApp = catalog.Find("github-app")!;

        Assert.Equal("google", calendar.Alias);
        Assert.Equal("Google Calendar", calendar.DisplayName);
        Assert.Equal("OAUTH2", calendar.AuthMode);
        Assert.Equal(google.AuthorizationUrl, calendar.AuthorizationUrl);
        Assert.Equal("offline", calendar.AuthorizationParams["access_type"]);
        Assert.Equal("github", githubApp.Alias);
        Assert.Equal("APP", githubApp.AuthMode);
        Assert.Equal("https://api.github.com", githubApp.Proxy!.BaseUrl);
        Assert.Null(catalog.Find("github")!.Alias);
    }

    [Fact]
    public void Typed_view_reads_oauth_fields()
    {
        var catalog = BuiltIn();

        var githubAppOauth = catalog.Find("github-app-oauth")!;
        var slack = catalog.Find("slack")!;
        var salesforce = catalog.Find("salesforce")!;
        var exact = catalog.Find("exact-online")!;
        var trello = catalog.Find("trello")!;

        Assert.Null(githubAppOauth.TokenUrl!.Url);
        Assert.Equal("https://github.com/login/oauth/access_token", githubAppOauth.TokenUrl.For("OAUTH2"));
        Assert.StartsWith("https://api.github.com/app/installations/", githubAppOauth.TokenUrl.For("APP"), StringComparison.Ordinal);
        Assert.Equal(["base_url"], githubAppOauth.AuthorizationUrlSkipEncode);
        Assert.Equal("https://slack.com/api/oauth.v2.access", slack.TokenUrl!.For("OAUTH2"));
        Assert.Equal(",", slack.ScopeSeparator);
        Assert.Equal("authed_user", slack.AlternateAccessTokenResponsePath);
        Assert.True(slack.DisablePkce);
        Assert.Contains("team.id", slack.TokenResponseMetadata);
        Assert.Equal("slackWebhookRouting", slack.WebhookRoutingScript);
        Assert.Equal(["offline_access"], salesforce.DefaultScopes);
        Assert.Equal(["instance_url"], salesforce.TokenResponseMetadata);
        Assert.Null(salesforce.ScopeSeparator);
        Assert.Contains("||", salesforce.AuthorizationUrl, StringComparison.Ordinal);
        Assert.Equal(30, exact.TokenExpirationBuffer);
        Assert.Equal(TimeSpan.FromSeconds(30), exact.RefreshBuffer);
        Assert.Equal(TimeSpan.FromMinutes(15), slack.RefreshBuffer);
        Assert.Equal("header", exact.AuthorizationMethod);
        Assert.Equal("refresh_token", exact.RefreshParams["grant_type"]!.GetValue<string>());
        Assert.Equal("OAUTH1", trello.AuthMode);
        Assert.Equal("https://trello.com/1/OAuthGetRequestToken", trello.RequestUrl);
        Assert.Equal("HMAC-SHA1", trello.SignatureMethod);
    }

    [Fact]
    public void Typed_view_reads_field_schemas()
    {
        var catalog = BuiltIn();

        var zendeskSubdomain = Assert.Single(catalog.Find("zendesk")!.ConnectionConfigFields);
        var twilioPassword = catalog.Find("twilio")!.CredentialsFields.Single(f => f.Name == "password");
        var salesforceHostname = catalog.Find("salesforce")!.ConnectionConfigFields.Single(f => f.Name == "hostname");
        var sigv4 = catalog.Find("aws-sigv4")!;
        var sentryInstallation = catalog.Find("sentry-oauth")!.ConnectionConfigFields.Single(f => f.Name == "installation.uuid");
        var exactExtension = Assert.Single(catalog.Find("exact-online")!.ConnectionConfigFields);

        Assert.Equal("subdomain", zendeskSubdomain.Name);
        Assert.Equal("string", zendeskSubdomain.Type);
        Assert.Equal("Zendesk Domain", zendeskSubdomain.Title);
        Assert.Equal("https://", zendeskSubdomain.Prefix);
        Assert.Equal(".zendesk.com", zendeskSubdomain.Suffix);
        Assert.Equal("^[a-z0-9_-]+$", zendeskSubdomain.Pattern);
        Assert.Equal("#step-1-finding-your-subdomain", zendeskSubdomain.DocSection);
        Assert.False(zendeskSubdomain.Optional);
        Assert.True(twilioPassword.Secret);
        Assert.True(salesforceHostname.Optional);
        Assert.Equal("acme.my.salesforce.com", salesforceHostname.Example);
        Assert.True(sentryInstallation.Automated);
        Assert.Contains("co.uk", exactExtension.Enum);
        Assert.Equal(1, sigv4.IntegrationConfigFields.Single(f => f.Name == "service").Order);
        Assert.Contains(sigv4.IntegrationConfigFields, f => f.VisibleWhen == new ProviderFieldCondition("stsMode", "builtin"));
        Assert.Equal(["installation.uuid"], catalog.Find("sentry-oauth")!.WebhookResponseMetadata);
        Assert.Equal("outbound", catalog.Find("sentry-oauth")!.Installation);
    }

    [Fact]
    public void Typed_view_reads_proxy_rules()
    {
        var catalog = BuiltIn();

        var github = catalog.Find("github")!.Proxy!;
        var google = catalog.Find("google")!.Proxy!;
        var openai = catalog.Find("openai")!.Proxy!;
        var hubspot = catalog.Find("hubspot")!;

        Assert.Equal("x-ratelimit-remaining", github.Retry!.Remaining);
        Assert.Equal(["x-ratelimit-reset"], github.Retry.At);
        Assert.Contains("5xx", github.Retry.ErrorCode);
        Assert.Equal("link", github.Paginate!.Type);
        Assert.Equal("next", github.Paginate.LinkRelInResponseHeader);
        Assert.Equal(new ProviderRetryInBody("error.message", @"/User-rate limit exceeded\. +Retry after (.+)/", "at"), google.Retry!.InBody);
        Assert.Equal("pageToken", google.Paginate!.CursorNameInRequest);
        Assert.Equal("Bearer ${apiKey}", openai.Headers["authorization"]);
        Assert.Equal("GET", openai.Verification!.Method);
        Assert.Equal(["/v1/models"], openai.Verification.Endpoints);
        Assert.True(hubspot.Proxy!.Decompress);
        Assert.Equal(["portalId"], hubspot.LegacyConnectionConfiguration);
        Assert.Equal("hubspotPostConnection", hubspot.PostConnectionScript);
    }

    [Fact]
    public void Plain_scalars_are_typed_like_Nango_reads_them_and_quoted_ones_stay_text()
    {
        var yaml = """
            acme:
              display_name: Acme
              auth_mode: API_KEY
              values:
                integer: 42
                quoted: '403'
                decimal: 1.5
                flag: True
                yes_is_text: yes
                nothing: ~
                infinity: .inf
                version: 2025-05-05
            """;

        var values = (JsonObject)ProviderCatalog.Parse(new StringReader(yaml))["acme"]["values"]!;

        Assert.Equal(42L, values["integer"]!.GetValue<long>());
        Assert.Equal("403", values["quoted"]!.GetValue<string>());
        Assert.Equal(1.5, values["decimal"]!.GetValue<double>());
        Assert.True(values["flag"]!.GetValue<bool>());
        Assert.Equal("yes", values["yes_is_text"]!.GetValue<string>());
        Assert.True(values.ContainsKey("nothing"));
        Assert.Null(values["nothing"]);
        Assert.Equal(".inf", values["infinity"]!.GetValue<string>());
        Assert.Equal("2025-05-05", values["version"]!.GetValue<string>());
    }

    [Fact]
    public void Typed_view_tolerates_values_of_the_wrong_shape()
    {
        var yaml = """
            odd:
              display_name: Odd
              auth_mode: OAUTH2
              categories: single
              token_url: [1, 2]
              disable_pkce: 'true'
              scope_separator: 7
              default_scopes: read
              token_expiration_buffer: soon
              connection_config:
                plain: text
                numbered:
                  example: 12345
                  order: '2'
                  enum: [1, two]
              proxy: https://example.com
            """;

        var odd = ProviderCatalog.FromYaml(new StringReader(yaml)).Find("odd")!;

        Assert.Equal(["single"], odd.Categories);
        Assert.Null(odd.TokenUrl);
        Assert.True(odd.DisablePkce);
        Assert.Equal("7", odd.ScopeSeparator);
        Assert.Equal(["read"], odd.DefaultScopes);
        Assert.Null(odd.TokenExpirationBuffer);
        Assert.Equal(["plain", "numbered"], odd.ConnectionConfigFields.Select(f => f.Name));
        Assert.Equal("12345", odd.ConnectionConfigFields[1].Example);
        Assert.Equal(2, odd.ConnectionConfigFields[1].Order);
        Assert.Equal(["1", "two"], odd.ConnectionConfigFields[1].Enum);
        Assert.Null(odd.Proxy);
    }

    [Fact]
    public void Extra_files_override_built_in_entries_and_add_providers()
    {
        var file = Path.Combine(Path.GetTempPath(), $"nango-catalog-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, """
            google:
              display_name: Google (on-premises mirror)
              categories: [productivity]
              auth_mode: OAUTH2
              authorization_url: https://accounts.example.test/auth
              token_url: https://accounts.example.test/token
              docs: https://example.test/docs/google
            acme-crm:
              display_name: Acme CRM
              categories: [crm]
              auth_mode: API_KEY
              proxy:
                base_url: https://${connectionConfig.tenant}.acme.test/api
                headers:
                  x-api-key: ${apiKey}
              docs: https://example.test/docs/acme-crm
              credentials:
                apiKey:
                  type: string
                  title: API Key
                  secret: true
            acme-crm-eu:
              alias: acme-crm
              display_name: Acme CRM (EU)
            """);
        try
        {
            var defaults = BuiltIn();

            var catalog = BuiltIn(file);

            Assert.Equal(defaults.All.Count + 2, catalog.All.Count);
            Assert.Equal("Google (on-premises mirror)", catalog.Find("google")!.DisplayName);
            Assert.Null(catalog.Find("google")!.Proxy);
            Assert.Equal("https://accounts.example.test/auth", catalog.Find("google-calendar")!.AuthorizationUrl);
            Assert.Equal("Google Calendar", catalog.Find("google-calendar")!.DisplayName);
            var acme = catalog.Find("acme-crm")!;
            Assert.Equal("API_KEY", acme.AuthMode);
            Assert.Equal(["crm"], acme.Categories);
            Assert.Equal("${apiKey}", acme.Proxy!.Headers["x-api-key"]);
            Assert.True(Assert.Single(acme.CredentialsFields).Secret);
            var eu = catalog.Find("acme-crm-eu")!;
            Assert.Equal("Acme CRM (EU)", eu.DisplayName);
            Assert.Equal("API_KEY", eu.AuthMode);
            Assert.Equal(acme.Proxy.BaseUrl, eu.Proxy!.BaseUrl);
            Assert.Equal(defaults.Find("slack")!.Raw.ToJsonString(), catalog.Find("slack")!.Raw.ToJsonString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_broken_extra_file_is_named_in_the_error()
    {
        var file = Path.Combine(Path.GetTempPath(), $"nango-catalog-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, "acme:\n  display_name: [unclosed\n");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => BuiltIn(file));

            Assert.Contains(file, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Built_in_entries_state_the_same_facts_as_Nango_catalog()
    {
        var referencePath = ReferenceCatalogFile.FindOrSkip();
        Dictionary<string, JsonObject> reference;
        using (var reader = File.OpenText(referencePath))
        {
            reference = ProviderCatalog.Parse(reader);
        }

        var builtIn = BuiltInEntries();

        Assert.All(builtIn, entry =>
        {
            Assert.True(reference.ContainsKey(entry.Key), $"{entry.Key} is not a Nango provider key");
            Assert.True(JsonNode.DeepEquals(WithoutFieldDescriptions(reference[entry.Key]), WithoutFieldDescriptions(entry.Value)), $"{entry.Key} differs from Nango's entry");
        });
    }

    /// <summary>
    /// Field help texts are written in our own words and our own keys (<see cref="ProviderDefinition.OwnFields"/>)
    /// are not Nango's; every other fact must match Nango's.
    /// </summary>
    private static JsonObject WithoutFieldDescriptions(JsonObject entry)
    {
        var copy = (JsonObject)entry.DeepClone();
        foreach (var own in ProviderDefinition.OwnFields)
        {
            copy.Remove(own);
        }
        foreach (var section in new[] { "connection_config", "credentials", "integration_config", "assertion_option" })
        {
            if (copy[section] is JsonObject fields)
            {
                foreach (var (_, field) in fields)
                {
                    (field as JsonObject)?.Remove("description");
                }
            }
        }
        return copy;
    }

    private static Dictionary<string, JsonObject> BuiltInEntries()
    {
        using var stream = typeof(ProviderCatalog).Assembly.GetManifestResourceStream("Nango.Core.Providers.providers.yaml")!;
        using var reader = new StreamReader(stream);
        return ProviderCatalog.Parse(reader);
    }

    private static string? ProviderJsonString(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
