using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Nango.Core.Accounts;
using Nango.Core.Auth;
using Nango.Core.Caching;
using Nango.Core.Connections;
using Nango.Core.ConnectSessions;
using Nango.Core.Environments;
using Nango.Core.Functions;
using Nango.Core.Functions.Deploy;
using Nango.Core.Functions.Runners;
using Nango.Core.Integrations;
using Nango.Core.Logs;
using Nango.Core.Persistence;
using Nango.Core.Proxy;
using Nango.Core.Providers;
using Nango.Core.Records;
using Nango.Core.Scheduling;
using Nango.Core.Secrets;
using Nango.Core.Syncs.Schedules;
using Nango.Core.Webhooks;

namespace Nango.Core;

public static class CoreServiceCollectionExtensions
{
    public const string ConnectionStringName = "Nango";

    public static IServiceCollection AddNangoCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<NangoOptions>().Bind(configuration.GetSection(NangoOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NangoOptions>, NangoOptionsValidator>());

        var connectionString = NangoConnectionStrings.WithDefaults(configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException("ConnectionStrings__Nango is not set: point it at the Postgres database."));

        // Short-lived contexts everywhere: Blazor circuits, Quartz jobs and requests each create their own.
        // Pooled: every request and job makes short-lived contexts, and building one from scratch (its service scope,
        // the options comparison) cost more than the query on the proxy's hot path.
        // The interceptor tells this instance's caches about its own writes at once (see ChangeSignals).
        services.TryAddSingleton<ChangeSignals>();
        services.TryAddSingleton<ChangeSignalInterceptor>();
        services.AddHostedService<ChangeListener>();
        services.AddPooledDbContextFactory<NangoDbContext>((sp, builder) =>
        {
            NangoDbContextOptions.Configure(builder, connectionString);
            builder.AddInterceptors(sp.GetRequiredService<ChangeSignalInterceptor>());
        });

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(KeyRingFactory.Create);
        services.TryAddSingleton<SecretProtector>();
        services.TryAddSingleton<SecretReEncryptionService>();
        services.TryAddSingleton<IProviderCatalog, ProviderCatalog>();
        services.TryAddSingleton<EnvironmentService>();
        services.TryAddSingleton<IntegrationService>();
        services.TryAddSingleton<ConnectionService>();
        services.TryAddSingleton<ConnectSessionService>();
        services.TryAddScoped<AccountService>();

        // Identity's EF store wants a scoped DbContext; it gets one from the same factory.
        services.TryAddScoped(sp => sp.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContext());
        services.AddIdentityCore<NangoUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
            })
            .AddRoles<IdentityRole<Guid>>()
            .AddEntityFrameworkStores<NangoDbContext>()
            .AddClaimsPrincipalFactory<NangoUserClaimsPrincipalFactory>()
            .AddSignInManager()
            .AddDefaultTokenProviders();

        // Order matters: migrations first, then the bootstrap owner, then the scheduler (which validates its tables).
        services.AddHostedService<DatabaseMigrator>();
        services.AddHostedService<BootstrapService>();
        services.AddNangoLogs(configuration);
        services.AddNangoScheduling(configuration, connectionString);
        services.AddNangoWebhooks(connectionString);
        services.AddNangoAuth();
        services.AddNangoProxy();
        services.AddNangoFunctionDeploy(configuration);
        services.AddNangoRunners();
        services.AddNangoFunctions();
        services.AddNangoRecords(connectionString);
        services.AddNangoSyncSchedules();
        return services;
    }
}
