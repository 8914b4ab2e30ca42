using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Nango.Core.Records;

public static class RecordsServiceCollectionExtensions
{
    /// <summary>The records store, with its own connection pool (see <see cref="RecordStore"/>), and its settings' checks.</summary>
    public static IServiceCollection AddNangoRecords(this IServiceCollection services, string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NangoOptions>, RecordsOptionsValidator>());
        services.TryAddSingleton(sp => new RecordStore(connectionString, sp.GetRequiredService<IOptions<NangoOptions>>().Value.Records));
        services.TryAddSingleton<RecordRetention>();
        return services;
    }
}
