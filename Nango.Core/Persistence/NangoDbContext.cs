using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Accounts;
using Nango.Core.Auth;
using Nango.Core.Connections;
using Nango.Core.ConnectSessions;
using Nango.Core.Environments;
using Nango.Core.Functions.Tasks;
using Nango.Core.Integrations;
using Nango.Core.Webhooks;

namespace Nango.Core.Persistence;

public sealed class NangoDbContext(DbContextOptions<NangoDbContext> options)
    : IdentityDbContext<NangoUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    /// <summary>Cookie and antiforgery keys, shared by every Nango.Web instance on this database.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Account> Accounts => Set<Account>();

    public DbSet<NangoEnvironment> Environments => Set<NangoEnvironment>();

    public DbSet<EnvironmentVariable> EnvironmentVariables => Set<EnvironmentVariable>();

    public DbSet<Integration> Integrations => Set<Integration>();

    public DbSet<Connection> Connections => Set<Connection>();

    public DbSet<OAuthSession> OAuthSessions => Set<OAuthSession>();

    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();

    public DbSet<WebhookTarget> WebhookTargets => Set<WebhookTarget>();

    public DbSet<ConnectSession> ConnectSessions => Set<ConnectSession>();

    public DbSet<FunctionTask> FunctionTasks => Set<FunctionTask>();

    public DbSet<Syncs.Schedules.SyncSchedule> SyncSchedules => Set<Syncs.Schedules.SyncSchedule>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        // Identity names its tables AspNet*; keep the whole schema snake_case.
        builder.Entity<NangoUser>().ToTable("users");
        builder.Entity<IdentityRole<Guid>>().ToTable("roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
        builder.ApplyConfigurationsFromAssembly(typeof(NangoDbContext).Assembly);
    }
}
