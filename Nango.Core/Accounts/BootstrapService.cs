using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Nango.Core.Accounts;

/// <summary>
/// On a database with no user yet, creates the configured owner with fixed keys, so an unattended start
/// (the run script, CI, a container) knows its login and secret key up front.
/// </summary>
internal sealed class BootstrapService(IServiceScopeFactory scopes, IOptions<NangoOptions> options, ILogger<BootstrapService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var bootstrap = options.Value.Bootstrap;
        if (string.IsNullOrWhiteSpace(bootstrap.AdminEmail) || string.IsNullOrWhiteSpace(bootstrap.AdminPassword))
        {
            return;
        }
        await using var scope = scopes.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        if (await accounts.AnyUserAsync(cancellationToken))
        {
            return;
        }
        var keys = new Dictionary<string, string>();
        if (bootstrap.SecretKey is { } dev)
        {
            keys["dev"] = dev;
        }
        if (bootstrap.ProdSecretKey is { } prod)
        {
            keys["prod"] = prod;
        }
        var account = await accounts.CreateAccountAsync("Default", keys, bootstrap.WebhookSigningKey, cancellationToken);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<NangoUser>>();
        var user = new NangoUser { UserName = bootstrap.AdminEmail, Email = bootstrap.AdminEmail, EmailConfirmed = true, AccountId = account.Id };
        var result = await users.CreateAsync(user, bootstrap.AdminPassword);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("Nango__Bootstrap__AdminPassword was refused: " + string.Join(" ", result.Errors.Select(e => e.Description)));
        }
        logger.LogInformation("Created the first account owner {Email}", bootstrap.AdminEmail);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
