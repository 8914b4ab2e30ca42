using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Providers;

namespace Nango.Tests.Unit.Providers;

public sealed class ProviderInterpolationTests
{
    private const string SalesforceStyle = "https://${connectionConfig.instance_url} || https://login.salesforce.com";

    [Fact]
    public void Fallback_takes_the_first_branch_when_its_config_is_set()
    {
        var context = new InterpolationContext { ConnectionConfig = new JsonObject { ["instance_url"] = "acme.my.salesforce.com" } };

        var result = ProviderInterpolation.Resolve(SalesforceStyle, context);

        Assert.Equal("https://acme.my.salesforce.com", result.Value);
        Assert.True(result.IsComplete);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Fallback_takes_the_second_branch_when_the_config_is_missing_or_empty(string? instanceUrl)
    {
        var config = new JsonObject { ["other"] = "x" };
        if (instanceUrl is not null)
        {
            config["instance_url"] = instanceUrl;
        }

        var value = ProviderInterpolation.InterpolateWithFallback(SalesforceStyle, new InterpolationContext { ConnectionConfig = config });

        Assert.Equal("https://login.salesforce.com", value);
    }

    [Fact]
    public void Catalog_salesforce_authorization_url_picks_its_branch_by_hostname()
    {
        var salesforce = new ProviderCatalog(Options.Create(new NangoOptions())).Find("salesforce")!;

        var custom = ProviderInterpolation.InterpolateWithFallback(
            salesforce.AuthorizationUrl!, new InterpolationContext { ConnectionConfig = new JsonObject { ["hostname"] = "acme.my.salesforce.com" } });
        var standard = ProviderInterpolation.InterpolateWithFallback(salesforce.AuthorizationUrl!, InterpolationContext.Empty);

        Assert.Equal("https://acme.my.salesforce.com/services/oauth2/authorize", custom);
        Assert.Equal("https://login.salesforce.com/services/oauth2/authorize", standard);
    }

    [Fact]
    public void When_no_branch_resolves_the_last_one_is_returned_with_its_missing_placeholders()
    {
        const string okta = "https://${connectionConfig.hostname} || https://${connectionConfig.subdomain}.okta.com";

        var result = ProviderInterpolation.Resolve(okta, InterpolationContext.Empty);

        Assert.False(result.IsComplete);
        Assert.Equal("https://${connectionConfig.subdomain}.okta.com", result.Value);
        Assert.Equal(["connectionConfig.subdomain"], result.Missing);
    }

    [Fact]
    public void Api_key_templates_use_the_api_key_or_the_credentials()
    {
        var explicitKey = new InterpolationContext { ApiKey = "sk-123" };
        var fromCredentials = new InterpolationContext { Credentials = new JsonObject { ["type"] = "API_KEY", ["apiKey"] = "sk-456" } };

        Assert.Equal("Bearer sk-123", ProviderInterpolation.Interpolate("Bearer ${apiKey}", explicitKey));
        Assert.Equal("Bearer sk-456", ProviderInterpolation.Interpolate("Bearer ${apiKey}", fromCredentials));
    }

    [Fact]
    public void Credentials_connection_config_and_metadata_placeholders_are_filled()
    {
        var context = new InterpolationContext
        {
            Credentials = new JsonObject { ["username"] = "AC0123", ["password"] = "secret" },
            ConnectionConfig = new JsonObject { ["subdomain"] = "acme", ["port"] = 8443, ["installation.uuid"] = "inst-1", ["team"] = new JsonObject { ["id"] = "T1" } },
            Metadata = new JsonObject { ["region"] = "eu" },
        };

        Assert.Equal("/2010-04-01/Accounts/AC0123/Messages.json", ProviderInterpolation.Interpolate("/2010-04-01/Accounts/${credentials.username}/Messages.json", context));
        Assert.Equal("https://acme.example.com:8443", ProviderInterpolation.Interpolate("https://${connectionConfig.subdomain}.example.com:${connectionConfig.port}", context));
        Assert.Equal("/installations/inst-1", ProviderInterpolation.Interpolate("/installations/${connectionConfig.installation.uuid}", context));
        Assert.Equal("T1", ProviderInterpolation.Interpolate("${connectionConfig.team.id}", context));
        Assert.Equal("eu", ProviderInterpolation.Interpolate("${metadata.region}", context));
    }

    [Fact]
    public void Token_and_client_placeholders_are_filled()
    {
        var oauth = new InterpolationContext { Credentials = new JsonObject { ["access_token"] = "at-1" }, ClientId = "cid", ClientSecret = "cs" };
        var twoStep = new InterpolationContext { Credentials = new JsonObject { ["token"] = "tk-1" } };
        var explicitToken = new InterpolationContext { AccessToken = "at-2", Credentials = new JsonObject { ["access_token"] = "at-1" } };

        Assert.Equal("Bearer at-1 cid:cs", ProviderInterpolation.Interpolate("Bearer ${accessToken} ${clientId}:${clientSecret}", oauth));
        Assert.Equal("Bearer tk-1", ProviderInterpolation.Interpolate("Bearer ${accessToken}", twoStep));
        Assert.Equal("Bearer at-2", ProviderInterpolation.Interpolate("Bearer ${accessToken}", explicitToken));
    }

    [Fact]
    public void Missing_and_unknown_placeholders_stay_detectable()
    {
        var context = new InterpolationContext { ConnectionConfig = new JsonObject { ["nested"] = new JsonObject { ["a"] = 1 } } };

        var value = ProviderInterpolation.Interpolate("https://${connectionConfig.subdomain}.x.com/${connectionConfig.nested}?r=${random}&k=${apiKey}", context);

        Assert.Equal("https://${connectionConfig.subdomain}.x.com/${connectionConfig.nested}?r=${random}&k=${apiKey}", value);
        Assert.True(ProviderInterpolation.HasUnresolvedPlaceholders(value));
        Assert.Equal(["connectionConfig.subdomain", "connectionConfig.nested", "random", "apiKey"], ProviderInterpolation.Placeholders(value));
        Assert.False(ProviderInterpolation.HasUnresolvedPlaceholders("https://api.github.com"));
        Assert.False(ProviderInterpolation.HasUnresolvedPlaceholders(null));
    }

    [Fact]
    public void Other_placeholders_come_from_values_and_objects()
    {
        var context = new InterpolationContext
        {
            Values = new Dictionary<string, string> { ["now"] = "1700000000", ["step1.token"] = "s1" },
            Objects = new Dictionary<string, JsonObject> { ["assertionOption"] = new JsonObject { ["kid"] = "key-1" } },
        };

        Assert.Equal("1700000000/s1/key-1", ProviderInterpolation.Interpolate("${now}/${step1.token}/${assertionOption.kid}", context));
    }

    [Fact]
    public void Values_are_inserted_verbatim_and_not_scanned_again()
    {
        var context = new InterpolationContext { ApiKey = "${clientSecret} || x", ClientSecret = "leak" };

        var result = ProviderInterpolation.Resolve("Bearer ${apiKey}", context);

        Assert.Equal("Bearer ${clientSecret} || x", result.Value);
        Assert.True(result.IsComplete);
    }

    [Fact]
    public void Empty_alternatives_are_ignored()
    {
        Assert.Equal("https://api.example.com", ProviderInterpolation.InterpolateWithFallback("${connectionConfig.host} || || https://api.example.com", InterpolationContext.Empty));
        Assert.Equal("", ProviderInterpolation.InterpolateWithFallback("||", InterpolationContext.Empty));
    }

    [Fact]
    public void Plain_interpolation_keeps_the_fallback_text()
    {
        Assert.Equal("a || b", ProviderInterpolation.Interpolate("a || b", InterpolationContext.Empty));
        Assert.Equal("a", ProviderInterpolation.InterpolateWithFallback("a || b", InterpolationContext.Empty));
    }

    [Fact]
    public void Header_maps_use_the_fallback_rule()
    {
        var headers = new Dictionary<string, string>
        {
            ["x-github-api-version"] = "${connectionConfig.version} || 2022-11-28",
            ["authorization"] = "Bearer ${apiKey}",
        };

        var result = ProviderInterpolation.InterpolateAll(headers, new InterpolationContext { ApiKey = "k" });

        Assert.Equal("2022-11-28", result["x-github-api-version"]);
        Assert.Equal("Bearer k", result["authorization"]);
    }

    [Fact]
    public void Nested_parameters_are_interpolated_and_other_values_kept()
    {
        var parameters = new JsonObject
        {
            ["grant_type"] = "client_credentials",
            ["expiring"] = 1,
            ["control"] = new JsonObject { ["senderid"] = "${credentials.senderId}", ["list"] = new JsonArray("${clientId}", true) },
        };
        var context = new InterpolationContext { Credentials = new JsonObject { ["senderId"] = "S-1" }, ClientId = "cid" };

        var result = (JsonObject)ProviderInterpolation.InterpolateNode(parameters, context)!;

        Assert.Equal("""{"grant_type":"client_credentials","expiring":1,"control":{"senderid":"S-1","list":["cid",true]}}""", result.ToJsonString());
        Assert.Equal("${credentials.senderId}", parameters["control"]!["senderid"]!.GetValue<string>());
    }
}
