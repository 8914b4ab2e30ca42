using System.Text.Json.Nodes;
using Nango.Core.Providers;

namespace Nango.Tests.Unit.Providers;

/// <summary>Nango's whole catalog must load: operators may point Nango:Catalog:ExtraFiles at it as it is.</summary>
public sealed class ReferenceCatalogTests
{
    [Fact]
    public void Nango_catalog_loads_every_entry_with_aliases_resolved()
    {
        var path = ReferenceCatalogFile.FindOrSkip();
        Dictionary<string, JsonObject> entries;
        using (var reader = File.OpenText(path))
        {
            entries = ProviderCatalog.Parse(reader);
        }

        ProviderCatalog catalog;
        using (var reader = File.OpenText(path))
        {
            catalog = ProviderCatalog.FromYaml(reader);
        }

        Assert.Equal(981, entries.Count);
        Assert.Equal(981, catalog.All.Count);
        var aliases = entries.Where(e => e.Value.ContainsKey("alias")).ToList();
        Assert.Equal(67, aliases.Count);
        Assert.All(aliases, alias => Assert.NotNull(catalog.Find(alias.Value["alias"]!.GetValue<string>())));
        Assert.All(catalog.All, provider =>
        {
            Assert.True(provider.Raw["display_name"] is JsonValue, $"{provider.Name} has no display_name");
            Assert.True(provider.Raw["auth_mode"] is JsonValue, $"{provider.Name} has no auth_mode");
            Assert.False(provider.Raw.ContainsKey("alias"), $"{provider.Name} kept its alias key");
        });
    }

    [Fact]
    public void Nango_catalog_typed_view_matches_the_raw_entries()
    {
        var path = ReferenceCatalogFile.FindOrSkip();
        ProviderCatalog catalog;
        using (var reader = File.OpenText(path))
        {
            catalog = ProviderCatalog.FromYaml(reader);
        }

        Assert.All(catalog.All, provider =>
        {
            var raw = provider.Raw;
            Assert.Equal(raw["display_name"]!.GetValue<string>(), provider.DisplayName);
            Assert.Equal(raw["auth_mode"]!.GetValue<string>(), provider.AuthMode);
            Assert.Equal(raw.ContainsKey("token_url"), provider.TokenUrl is not null);
            Assert.Equal(raw.ContainsKey("proxy"), provider.Proxy is not null);
            Assert.Equal((raw["connection_config"] as JsonObject)?.Count ?? 0, provider.ConnectionConfigFields.Count);
            Assert.Equal((raw["credentials"] as JsonObject)?.Count ?? 0, provider.CredentialsFields.Count);
            Assert.Equal((raw["integration_config"] as JsonObject)?.Count ?? 0, provider.IntegrationConfigFields.Count);
            Assert.All(provider.ConnectionConfigFields.Concat(provider.CredentialsFields), field => Assert.Equal("string", field.Type));
            if (provider.Proxy is { } proxy && raw["proxy"] is JsonObject rawProxy)
            {
                Assert.Equal((rawProxy["headers"] as JsonObject)?.Count ?? 0, proxy.Headers.Count);
                Assert.Equal(rawProxy.ContainsKey("verification"), proxy.Verification is not null);
            }
        });
        var modes = catalog.All.GroupBy(p => p.AuthMode).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        Assert.Equal(17, modes.Count);
    }
}
