using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Providers;

namespace Nango.Web.Api.Providers;

public static class ProviderEndpoints
{
    public static RouteGroupBuilder MapProviderEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/providers").WithTags("Providers");
        group.MapGet("/", ListProviders).WithName("ListProviders").WithSummary("The provider catalog, optionally filtered by a search string.");
        group.MapGet("/{provider}", GetProvider).WithName("GetProvider").WithSummary("One provider of the catalog.");
        return api;
    }

    private static Ok<ProviderListResponse> ListProviders(IProviderCatalog catalog, IOptions<NangoOptions> options, string? search)
    {
        var providers = catalog.All.AsEnumerable();
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            providers = providers.Where(p =>
                p.Name.Contains(term, StringComparison.OrdinalIgnoreCase) || p.DisplayName.Contains(term, StringComparison.OrdinalIgnoreCase));
        }
        return TypedResults.Ok(new ProviderListResponse(providers.Select(p => ToApi(p, options.Value)).ToList()));
    }

    private static Results<Ok<ProviderResponse>, JsonHttpResult<ApiError>> GetProvider(string provider, IProviderCatalog catalog, IOptions<NangoOptions> options)
    {
        var found = catalog.Find(provider);
        return found is null
            ? ApiErrors.NotFound($"Unknown provider '{provider}'")
            : TypedResults.Ok(new ProviderResponse(ToApi(found, options.Value)));
    }

    /// <summary>The catalog entry as stated (without our own keys), plus <c>name</c> and <c>logo_url</c> (reference §1.2).</summary>
    private static JsonObject ToApi(ProviderDefinition provider, NangoOptions options)
    {
        var json = (JsonObject)provider.Raw.DeepClone();
        foreach (var own in ProviderDefinition.OwnFields)
        {
            json.Remove(own);
        }
        json["name"] = provider.Name;
        json["logo_url"] = ProviderLogos.Url(options, provider.Name);
        return json;
    }
}

public sealed record ProviderListResponse(IReadOnlyList<JsonObject> Data);

public sealed record ProviderResponse(JsonObject Data);
