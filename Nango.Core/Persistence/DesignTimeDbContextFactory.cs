using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Nango.Core.Persistence;

/// <summary>Lets <c>dotnet ef</c> build the context without starting the web host.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<NangoDbContext>
{
    public NangoDbContext CreateDbContext(string[] args)
    {
        var connectionString = System.Environment.GetEnvironmentVariable("ConnectionStrings__Nango")
            ?? "Host=127.0.0.1;Port=55432;Database=nango;Username=postgres";
        var builder = new DbContextOptionsBuilder<NangoDbContext>();
        NangoDbContextOptions.Configure(builder, connectionString);
        return new NangoDbContext(builder.Options);
    }
}
