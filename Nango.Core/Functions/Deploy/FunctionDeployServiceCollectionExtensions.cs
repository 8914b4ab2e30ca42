using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Nango.Core.Functions.Store;

namespace Nango.Core.Functions.Deploy;

public static class FunctionDeployServiceCollectionExtensions
{
    /// <summary>Deploys, deployed-function queries and the function store chosen by <c>Nango__Functions__Store</c>.</summary>
    public static IServiceCollection AddNangoFunctionDeploy(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var store = configuration[$"{NangoOptions.SectionName}:Functions:Store"] ?? "FileSystem";
        // The choice is made once at start-up; the options validator has already refused anything but these two.
        if (store == "AzureBlob")
        {
            services.TryAddSingleton<IFunctionStore, AzureBlobFunctionStore>();
        }
        else
        {
            services.TryAddSingleton<IFunctionStore, FileSystemFunctionStore>();
        }
        services.TryAddSingleton<IFunctionBundleReader, FunctionBundleReader>();
        services.TryAddSingleton<DeployLock>();
        services.TryAddSingleton<FunctionDeployService>();
        services.TryAddSingleton<FunctionService>();
        return services;
    }
}
