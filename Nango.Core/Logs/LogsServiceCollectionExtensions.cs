using Elastic.Clients.Elasticsearch;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Core.Logs;

public static class LogsServiceCollectionExtensions
{
    /// <summary>
    /// Logs: the write path (<see cref="ILogService"/>, buffer, flusher), the store chosen by
    /// <c>Nango:Logs:Store</c>, the query service and the maintenance used by the Quartz jobs. Call after the
    /// database migrator is registered: the start-up partition step needs the tables.
    /// </summary>
    public static IServiceCollection AddNangoLogs(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(NangoOptions.SectionName).GetSection("Logs");
        services.AddOptions<LogWriterOptions>().Bind(section).ValidateDataAnnotations()
            .Validate(o => o.FlushInterval > TimeSpan.Zero, "Nango__Logs__FlushInterval must be positive.")
            .ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LogBuffer>();
        services.TryAddSingleton<ILogService, LogService>();
        services.TryAddSingleton<LogQueryService>();
        services.TryAddSingleton<LogMaintenance>();
        services.TryAddSingleton<ApiAuthFailures>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NangoOptions>, LogsOptionsValidator>());

        var logs = section.Get<LogsOptions>() ?? new LogsOptions();
        if (logs.Store == "Elasticsearch")
        {
            // A missing or bad URL is reported by LogsOptionsValidator at start-up, before this is resolved.
            services.TryAddSingleton(_ => new ElasticsearchClient(new ElasticsearchClientSettings(new Uri(logs.ElasticsearchUrl!))));
            services.TryAddSingleton<ILogStore>(sp => new ElasticsearchLogStore(sp.GetRequiredService<ElasticsearchClient>()));
        }
        else
        {
            var connectionString = NangoConnectionStrings.WithDefaults(configuration.GetConnectionString(CoreServiceCollectionExtensions.ConnectionStringName)
                ?? throw new InvalidOperationException("ConnectionStrings__Nango is not set: point it at the Postgres database."));
            services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
            services.TryAddSingleton<PostgresLogPartitions>();
            services.TryAddSingleton<ILogStore, PostgresLogStore>();
        }

        // Hosted services start in registration order: partitions first, then the flusher that writes into them.
        services.AddHostedService<LogStoreInitializer>();
        services.AddSingleton<LogFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<LogFlusher>());
        return services;
    }
}
