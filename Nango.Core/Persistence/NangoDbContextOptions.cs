using Microsoft.EntityFrameworkCore;

namespace Nango.Core.Persistence;

internal static class NangoDbContextOptions
{
    public static void Configure(DbContextOptionsBuilder builder, string connectionString) =>
        builder
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();
}
