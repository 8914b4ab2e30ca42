using System.Text.Json.Nodes;
using Bunit;
using Nango.Core.ConnectSessions;
using Nango.Core.Providers;
using Nango.Tests.Infrastructure;
using Nango.Web.Components.Connect;

namespace Nango.Tests.Components.Connect;

/// <summary>The Connect UI form as generated from catalog field schemas, rendered by <see cref="ConnectFields"/>.</summary>
public sealed class ConnectUiFormTests : MudTestContext
{
    private static ProviderDefinition Provider(string authMode, string? credentials = null, string? connectionConfig = null)
    {
        var raw = new JsonObject { ["display_name"] = "Acme", ["auth_mode"] = authMode };
        if (credentials is not null)
        {
            raw["credentials"] = JsonNode.Parse(credentials);
        }
        if (connectionConfig is not null)
        {
            raw["connection_config"] = JsonNode.Parse(connectionConfig);
        }
        return new ProviderDefinition { Name = "acme", DisplayName = "Acme", AuthMode = authMode, Raw = raw };
    }

    private IRenderedComponent<ConnectFields> RenderForm(ConnectForm form, string? docs = null, bool docsOverridden = false)
    {
        Render<MudBlazor.MudPopoverProvider>();
        return Render<ConnectFields>(p => p
            .Add(x => x.Form, form)
            .Add(x => x.DocsUrl, docs)
            .Add(x => x.DocsOverridden, docsOverridden));
    }

    private static List<string> FieldKeys(IRenderedComponent<ConnectFields> cut) =>
        cut.FindAll(".connect-field").Select(f => f.GetAttribute("data-testid")!["field-".Length..]).ToList();

    [Fact]
    public void Fields_follow_the_catalog_order_built_in_credentials_first_and_ordered_config_before_everything()
    {
        var provider = Provider("API_KEY",
            credentials: """{"apiKey": {"type": "string", "title": "Token"}, "account": {"type": "string", "title": "Account"}}""",
            connectionConfig: """{"subdomain": {"type": "string", "title": "Subdomain", "order": 1}, "region": {"type": "string", "title": "Region"}, "tenant_id": {"type": "string", "automated": true}}""");

        var cut = RenderForm(ConnectForm.For(provider, null));

        Assert.Equal(["params-subdomain", "credentials-apiKey", "credentials-account", "params-region"], FieldKeys(cut));
        // The catalog's title wins over the built-in label.
        Assert.Contains("Token", cut.Find("[data-testid=field-credentials-apiKey] label").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Basic_and_client_credentials_modes_ask_for_their_own_credentials_with_secrets_masked()
    {
        var basic = RenderForm(ConnectForm.For(Provider("BASIC"), null));
        Assert.Equal(["credentials-username", "credentials-password"], FieldKeys(basic));
        Assert.Equal("text", basic.Find("#connect-input-credentials-username").GetAttribute("type"));
        Assert.Equal("password", basic.Find("#connect-input-credentials-password").GetAttribute("type"));

        var clientCredentials = ConnectForm.For(Provider("OAUTH2_CC"), null);
        Assert.Equal(["client_id", "client_secret"], clientCredentials.Fields.Select(f => f.Name));
        // An integration holding its own client id and secret does not ask for them.
        Assert.Empty(ConnectForm.For(Provider("OAUTH2_CC"), null, new HashSet<string> { "client_id", "client_secret" }).Fields);
    }

    [Fact]
    public async Task A_secret_is_masked_until_revealed()
    {
        var cut = RenderForm(ConnectForm.For(Provider("API_KEY"), null));
        Assert.Equal("password", cut.Find("#connect-input-credentials-apiKey").GetAttribute("type"));

        await cut.Find("[data-testid=field-credentials-apiKey] button").ClickAsync(new());

        Assert.Equal("text", cut.Find("#connect-input-credentials-apiKey").GetAttribute("type"));
    }

    [Fact]
    public async Task A_value_that_breaks_the_pattern_is_refused_before_submit_and_a_matching_one_accepted()
    {
        var form = ConnectForm.For(Provider("API_KEY", credentials: """{"apiKey": {"type": "string", "title": "API Key", "pattern": "^key-[a-z0-9]+$"}}"""), null);
        var cut = RenderForm(form);
        Assert.Empty(cut.FindAll(".mud-input-error"));
        Assert.False(form.IsValid);

        await cut.Find("#connect-input-credentials-apiKey").InputAsync(new() { Value = "KEY 1" });

        cut.WaitForAssertion(() => Assert.Contains("Incorrect API Key", cut.Find("[data-testid=field-credentials-apiKey]").TextContent, StringComparison.Ordinal));
        Assert.False(form.IsValid);

        await cut.Find("#connect-input-credentials-apiKey").InputAsync(new() { Value = "key-abc1" });

        cut.WaitForAssertion(() => Assert.DoesNotContain("Incorrect", cut.Find("[data-testid=field-credentials-apiKey]").TextContent, StringComparison.Ordinal));
        Assert.True(form.IsValid);
        Assert.Equal(new Dictionary<string, string> { ["apiKey"] = "key-abc1" }, form.Credentials());
    }

    [Fact]
    public void Required_fields_are_flagged_once_touched_and_optional_or_defaulted_ones_may_stay_empty()
    {
        var form = ConnectForm.For(Provider("NONE", connectionConfig: """
            {"required": {"type": "string", "title": "Required"},
             "optional": {"type": "string", "title": "Optional", "optional": true},
             "defaulted": {"type": "string", "title": "Defaulted", "default_value": ""}}
            """), null);

        Assert.Null(form.ErrorFor(form.Fields[0]));
        form.TouchAll();

        Assert.Equal("This field is required", form.ErrorFor(form.Fields[0]));
        Assert.Null(form.ErrorFor(form.Fields[1]));
        Assert.Null(form.ErrorFor(form.Fields[2]));
        var cut = RenderForm(form);
        Assert.Contains("optional", cut.Find("[data-testid=field-params-optional]").TextContent, StringComparison.Ordinal);
        Assert.Contains("*", cut.Find("[data-testid=field-params-required] label").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hostname", "acme.example.com", "acme example", "Invalid hostname")]
    [InlineData("uri", "https://acme.example.com/api", "acme.example.com", "Invalid URL")]
    [InlineData("uuid", "0b9f6b1e-8a1f-4c1e-9d1e-2f5b0d3c4a5b", "0b9f6b1e", "Invalid UUID")]
    [InlineData("email", "ops@acme.example", "ops@", "Invalid email address")]
    public void Formats_are_checked(string format, string good, string bad, string message)
    {
        var form = ConnectForm.For(Provider("NONE", connectionConfig: $$$"""{"value": {"type": "string", "title": "Value", "format": "{{{format}}}"}}"""), null);

        form.SetValue("params-value", bad);
        Assert.Equal(message, form.ErrorFor(form.Fields[0]));
        form.SetValue("params-value", good);
        Assert.Null(form.ErrorFor(form.Fields[0]));
    }

    [Fact]
    public void Defaults_fill_the_form_an_enum_starts_on_its_first_option_and_prefix_and_suffix_frame_the_input()
    {
        var form = ConnectForm.For(Provider("NONE", connectionConfig: """
            {"host": {"type": "string", "title": "Host", "default_value": "api", "prefix": "https://", "suffix": ".acme.com", "description": "Your API host."},
             "plan": {"type": "string", "title": "Plan", "enum": ["team", "enterprise"]},
             "tier": {"type": "string", "title": "Tier", "enum": ["a", "b"], "optional": true}}
            """), null);

        var cut = RenderForm(form);

        Assert.Equal("api", cut.Find("#connect-input-params-host").GetAttribute("value"));
        Assert.Equal("https://", cut.Find("[data-testid=field-params-host] [data-testid=field-prefix]").TextContent);
        Assert.Equal(".acme.com", cut.Find("[data-testid=field-params-host] [data-testid=field-suffix]").TextContent);
        Assert.Equal("Your API host.", cut.Find("[data-testid=field-params-host] [data-testid=field-description]").TextContent);
        Assert.Contains("team", cut.Find("[data-testid=field-params-plan]").TextContent, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, string> { ["host"] = "api", ["plan"] = "team" }, form.Params());
        Assert.True(form.IsValid);
    }

    [Fact]
    public async Task A_visible_when_field_appears_with_its_condition_and_is_neither_checked_nor_sent_without_it()
    {
        var form = ConnectForm.For(Provider("NONE", connectionConfig: """
            {"mode": {"type": "string", "title": "Mode", "enum": ["builtin", "custom"], "default_value": "builtin"},
             "endpoint": {"type": "string", "title": "Endpoint", "format": "uri", "visible_when": {"field": "mode", "equals": "custom"}},
             "header": {"type": "string", "title": "Header", "visible_when": {"field": "endpoint", "equals": "https://sts.example.com"}}}
            """), null);
        var cut = RenderForm(form);
        Assert.Equal(["params-mode"], FieldKeys(cut));
        Assert.True(form.IsValid);

        form.SetValue("params-mode", "custom");
        cut.Render();

        Assert.Equal(["params-mode", "params-endpoint"], FieldKeys(cut));
        Assert.False(form.IsValid);
        await cut.Find("#connect-input-params-endpoint").InputAsync(new() { Value = "https://sts.example.com" });
        cut.WaitForAssertion(() => Assert.Equal(["params-mode", "params-endpoint", "params-header"], FieldKeys(cut)));

        // Switching the first field back hides the chain and drops its values from what is sent.
        form.SetValue("params-mode", "builtin");
        cut.Render();
        Assert.Equal(["params-mode"], FieldKeys(cut));
        Assert.Equal(new Dictionary<string, string> { ["mode"] = "builtin" }, form.Params());
    }

    [Fact]
    public void Hidden_and_preset_fields_are_sent_but_not_shown()
    {
        var defaults = new ConnectSessionIntegrationDefaults(ConnectionConfig: new JsonObject { ["subdomain"] = "preset-co", ["count"] = 3 });
        var form = ConnectForm.For(Provider("NONE", connectionConfig: """
            {"subdomain": {"type": "string", "title": "Subdomain"},
             "count": {"type": "string", "title": "Count"},
             "internal": {"type": "string", "title": "Internal", "hidden": true, "default_value": "x1"},
             "visible": {"type": "string", "title": "Visible", "optional": true}}
            """), defaults);

        var cut = RenderForm(form);

        Assert.Equal(["params-visible"], FieldKeys(cut));
        Assert.Equal(new Dictionary<string, string> { ["subdomain"] = "preset-co", ["count"] = "3", ["internal"] = "x1" }, form.Params());
        Assert.True(form.Fields.Single(f => f.Name == "subdomain").Preconfigured);
    }

    [Fact]
    public void Fields_link_to_their_section_of_the_connect_guide_or_to_an_overriding_guide_itself()
    {
        var form = ConnectForm.For(Provider("API_KEY", credentials: """{"apiKey": {"type": "string", "doc_section": "#step-2"}}"""), null);

        var catalogGuide = RenderForm(form, "https://docs.example.com/acme/connect");
        Assert.Equal("https://docs.example.com/acme/connect#step-2", catalogGuide.Find("[data-testid=field-docs]").GetAttribute("href"));

        var overridden = Render<ConnectFields>(p => p.Add(x => x.Form, form).Add(x => x.DocsUrl, "https://app.example.com/help").Add(x => x.DocsOverridden, true));
        Assert.Equal("https://app.example.com/help", overridden.Find("[data-testid=field-docs]").GetAttribute("href"));
    }

    [Fact]
    public void Tba_asks_for_the_token_id_and_secret()
    {
        var form = ConnectForm.For(Provider("TBA"), null);

        Assert.Equal(["credentials-token_id", "credentials-token_secret"], form.VisibleFields.Select(f => f.Key));
    }

    [Theory]
    [InlineData("OAUTH2", true, true, null)]
    [InlineData("OAUTH1", true, true, null)]
    [InlineData("API_KEY", false, true, "api-auth/api-key/my%20key")]
    [InlineData("BASIC", false, true, "api-auth/basic/my%20key")]
    [InlineData("NONE", false, true, "auth/unauthenticated/my%20key")]
    [InlineData("OAUTH2_CC", false, true, "oauth2/auth/my%20key")]
    [InlineData("APP", true, true, null)]
    [InlineData("TBA", false, true, "auth/tba/my%20key")]
    [InlineData("JWT", false, true, "auth/jwt/my%20key")]
    [InlineData("TWO_STEP", false, true, "auth/two-step/my%20key")]
    [InlineData("BILL", false, false, null)]
    public void Each_mode_runs_in_a_popup_or_posts_to_its_flow_endpoint(string mode, bool popup, bool supported, string? path)
    {
        var form = ConnectForm.For(Provider(mode), null);

        Assert.Equal(popup, form.UsesPopup);
        Assert.Equal(supported, form.IsSupported);
        Assert.Equal(path, form.FlowPath("my key"));
    }
}
