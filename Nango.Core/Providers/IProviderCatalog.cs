namespace Nango.Core.Providers;

public interface IProviderCatalog
{
    IReadOnlyList<ProviderDefinition> All { get; }

    ProviderDefinition? Find(string name);
}
