using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Nango.Core.Common;
using Nango.Core.Environments;
using Nango.Core.Persistence;
using Nango.Core.Secrets;

namespace Nango.Core.Accounts;

public sealed record SignUpResult(bool Succeeded, NangoUser? User, IReadOnlyList<string> Errors);

/// <summary>Creates accounts with their <c>dev</c> and <c>prod</c> environments, and their first user.</summary>
public sealed class AccountService(
    IDbContextFactory<NangoDbContext> contextFactory,
    UserManager<NangoUser> userManager,
    SecretProtector protector,
    TimeProvider clock)
{
    public static readonly string[] DefaultEnvironments = ["dev", "prod"];

    /// <summary>Fixed keys (for unattended starts) may be given per environment name; others are random.</summary>
    public async Task<Account> CreateAccountAsync(string name, IReadOnlyDictionary<string, string>? secretKeys = null, string? devWebhookSigningKey = null, CancellationToken ct = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var now = clock.GetUtcNow();
        var account = new Account { Name = name, Uuid = Guid.NewGuid(), CreatedAt = now };
        db.Accounts.Add(account);
        await db.SaveChangesAsync(ct);
        foreach (var envName in DefaultEnvironments)
        {
            var secretKey = secretKeys?.GetValueOrDefault(envName) ?? SecretKeyFormat.NewKey();
            var signingKey = envName == "dev" && devWebhookSigningKey is not null ? devWebhookSigningKey : EnvironmentService.NewWebhookSigningKey();
            db.Environments.Add(new NangoEnvironment
            {
                AccountId = account.Id,
                Name = envName,
                Uuid = Guid.NewGuid(),
                PublicKey = Guid.NewGuid(),
                SecretKeyHash = SecretHasher.Hash(secretKey),
                SecretKeyCiphertext = protector.Protect(secretKey),
                WebhookSigningKeyCiphertext = protector.Protect(signingKey),
                CreatedAt = now,
                UpdatedAt = now,
            });
        }
        await db.SaveChangesAsync(ct);
        return account;
    }

    /// <summary>Signs up a new owner: a new account, its environments and the user, or nothing at all.</summary>
    public async Task<SignUpResult> SignUpAsync(string email, string password, string? accountName = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(email);
        if (await userManager.FindByEmailAsync(email) is not null)
        {
            return new SignUpResult(false, null, ["An account with this email already exists."]);
        }
        // Check the password before creating the account, so a weak password leaves nothing behind.
        foreach (var validator in userManager.PasswordValidators)
        {
            var check = await validator.ValidateAsync(userManager, new NangoUser(), password);
            if (!check.Succeeded)
            {
                return new SignUpResult(false, null, check.Errors.Select(e => e.Description).ToList());
            }
        }
        var account = await CreateAccountAsync(accountName ?? email, ct: ct);
        var user = new NangoUser { UserName = email, Email = email, EmailConfirmed = true, AccountId = account.Id };
        var result = await userManager.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            await using var db = await contextFactory.CreateDbContextAsync(ct);
            await db.Accounts.Where(a => a.Id == account.Id).ExecuteDeleteAsync(ct);
            return new SignUpResult(false, null, result.Errors.Select(e => e.Description).ToList());
        }
        return new SignUpResult(true, user, []);
    }

    public async Task<bool> AnyUserAsync(CancellationToken ct)
    {
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }
}
