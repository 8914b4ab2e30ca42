using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Nango.Core.Proxy;

public static class ProxyServiceCollectionExtensions
{
    /// <summary>The proxy; its HTTP handlers (and their connection pools) live as long as the application.</summary>
    public static IServiceCollection AddNangoProxy(this IServiceCollection services)
    {
        services.TryAddSingleton<ProxyService>();
        return services;
    }
}
