using Microsoft.EntityFrameworkCore;
using Nango.Core;
using Nango.Core.Persistence;
using Nango.Core.Secrets;

namespace Nango.Web.Maintenance;

/// <summary>
/// One-shot commands run against the same configuration as the server, e.g.
/// <c>dotnet Nango.Web.dll reencrypt-secrets</c> after a key rotation. They run beside live instances:
/// the scheduler is off and nothing listens on a port.
/// </summary>
internal static class MaintenanceCommands
{
    private const string ReEncryptSecrets = "reencrypt-secrets";

    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] == ReEncryptSecrets;

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args[1..]);
        builder.Configuration["Nango:Scheduling:Enabled"] = "false";
        builder.Services.AddNangoCore(builder.Configuration);
        using var host = builder.Build();
        // Migrations only; the bootstrap owner and the scheduler are the server's business.
        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<NangoDbContext>>().CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }

        var service = host.Services.GetRequiredService<SecretReEncryptionService>();
        var before = await service.CountNotUnderPrimaryAsync(CancellationToken.None);
        var report = await service.ReEncryptAllAsync(CancellationToken.None);
        var after = await service.CountNotUnderPrimaryAsync(CancellationToken.None);
        var keyId = host.Services.GetRequiredService<KeyRing>().PrimaryKeyId;
        await Console.Out.WriteLineAsync($"Primary key {keyId}: {before} secret(s) were under older keys, {report.Rewritten} re-encrypted, {after} left.");
        return after == 0 ? 0 : 1;
    }
}
