using System.Globalization;
using System.Security.Claims;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Accounts;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Providers;
using Nango.Tests.Infrastructure;
using Nango.Web.Components.Dashboard;

namespace Nango.Tests.Components;

/// <summary>
/// Dashboard pages against the real Core services on a real database: <c>AddNangoCore</c> from an in-memory
/// configuration, no hosted services started, and a signed-in user whose account the test creates.
/// </summary>
public abstract class DashboardTestContext : MudTestContext
{
    /// <summary>Parsing the 900-provider catalog takes a while; every test shares one read-only copy.</summary>
    private static readonly Lazy<ProviderCatalog> _catalog = new(() => new ProviderCatalog(Options.Create(new NangoOptions())));

    private readonly BunitAuthorizationContext _authorization;

    protected DashboardTestContext(ComponentDatabase database)
        : this(database.ConnectionString, database.EncryptionKey, database.DataPath)
    {
    }

    protected DashboardTestContext(string connectionString, string encryptionKey, string dataPath)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Nango"] = connectionString,
                ["Nango:EncryptionKey"] = encryptionKey,
                ["Nango:DataPath"] = dataPath,
                ["Nango:Scheduling:Enabled"] = "false",
            })
            .Build();
        Services.AddLogging();
        Services.AddSingleton<IHostEnvironment>(new TestHostEnvironment());
        // Identity's UserManager builds its token providers eagerly, and they need data protection.
        Services.AddSingleton<IDataProtectionProvider>(new EphemeralDataProtectionProvider());
        Services.AddSingleton<IProviderCatalog>(_catalog.Value);
        Services.AddNangoCore(configuration);
        Services.AddScoped<DashboardSession>();
        _authorization = AddAuthorization();
    }

    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    protected IntegrationService Integrations => Services.GetRequiredService<IntegrationService>();

    protected ConnectionService Connections => Services.GetRequiredService<ConnectionService>();

    protected EnvironmentService Environments => Services.GetRequiredService<EnvironmentService>();

    protected BunitNavigationManager Navigation => Services.GetRequiredService<BunitNavigationManager>();

    /// <summary>Creates an account (with its dev and prod environments) without signing in to it.</summary>
    protected async Task<Account> CreateAccountAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        return await accounts.CreateAccountAsync("Account " + Guid.NewGuid().ToString("N")[..8], ct: Ct);
    }

    protected void SignInTo(int accountId) =>
        _authorization.SetAuthorized("owner@example.com")
            .SetClaims(new Claim(NangoUserClaimsPrincipalFactory.AccountIdClaim, accountId.ToString(CultureInfo.InvariantCulture)));

    /// <summary>A new account, signed in; returns its <c>dev</c> environment.</summary>
    protected async Task<EnvironmentContext> SignInNewAccountAsync()
    {
        var account = await CreateAccountAsync();
        SignInTo(account.Id);
        return (await Environments.FindByNameAsync(account.Id, "dev", Ct))!;
    }

    protected async Task<IntegrationDetails> CreateIntegrationAsync(EnvironmentContext env, string provider, string key, IntegrationCredentials? credentials = null)
    {
        var result = await Integrations.CreateAsync(env, new CreateIntegration(provider, key, Credentials: credentials), Ct);
        Assert.Equal(IntegrationOutcome.Ok, result.Outcome);
        return result.Integration!;
    }

    protected async Task<ConnectionDetails> ImportConnectionAsync(EnvironmentContext env, ImportConnection connection)
    {
        var result = await Connections.ImportAsync(env, connection, Ct);
        Assert.Equal(ConnectionOutcome.Ok, result.Outcome);
        return result.Connection!;
    }

    /// <summary>Renders a page after the popover and dialog hosts, as the layout would.</summary>
    protected IRenderedComponent<TPage> RenderPage<TPage>(Action<ComponentParameterCollectionBuilder<TPage>> parameters)
        where TPage : IComponent
    {
        Render<MudBlazor.MudPopoverProvider>();
        return Render(parameters);
    }

    private sealed class TestHostEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Testing";

        public string ApplicationName { get; set; } = "Nango.Tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
