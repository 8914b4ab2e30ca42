using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Nango.Core.Persistence;

namespace Nango.Core.Secrets;

public sealed record ReEncryptionReport(int Rewritten, int Remaining);

/// <summary>
/// Re-encrypts every stored secret that is not under the primary key, online: rows are rewritten in small
/// batches, each update guarded by the old ciphertext so a concurrent write by the app is never overwritten
/// (a row changed meanwhile was already written under the primary key).
/// </summary>
public sealed class SecretReEncryptionService(
    IDbContextFactory<NangoDbContext> contextFactory,
    SecretProtector protector,
    ILogger<SecretReEncryptionService> logger)
{
    private const int BatchSize = 200;

    /// <summary>Each encrypted column: table, key column, secret column (snake_case, as migrated).</summary>
    private static readonly (string Table, string Column)[] _secretColumns =
    [
        ("environments", "secret_key_ciphertext"),
        ("environments", "webhook_signing_key_ciphertext"),
        ("environments", "previous_webhook_signing_key_ciphertext"),
        ("environment_variables", "value_ciphertext"),
        ("integrations", "client_secret_ciphertext"),
        ("integrations", "webhook_secret_ciphertext"),
        ("integrations", "private_key_ciphertext"),
        ("connections", "credentials_ciphertext"),
    ];

    public async Task<ReEncryptionReport> ReEncryptAllAsync(CancellationToken ct)
    {
        var primaryPrefix = $"v1:{protector.KeyRing.PrimaryKeyId}:";
        var rewritten = 0;
        var remaining = 0;
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        foreach (var (table, column) in _secretColumns)
        {
            var lastId = 0;
            while (true)
            {
                // Table and column names come from the fixed list above, never from input.
#pragma warning disable EF1002
                var batch = await db.Database
                    .SqlQueryRaw<SecretRow>(
                        $"SELECT id AS \"Id\", {column} AS \"Ciphertext\" FROM {table} WHERE id > {{0}} AND {column} IS NOT NULL AND {column} NOT LIKE {{1}} ORDER BY id LIMIT {BatchSize}",
                        lastId, primaryPrefix + "%")
                    .ToListAsync(ct);
#pragma warning restore EF1002
                if (batch.Count == 0)
                {
                    break;
                }
                foreach (var row in batch)
                {
                    lastId = row.Id;
                    string plaintext;
                    try
                    {
                        plaintext = protector.Unprotect(row.Ciphertext);
                    }
                    catch (System.Security.Cryptography.CryptographicException e)
                    {
                        remaining++;
                        logger.LogError("Cannot decrypt {Table}.{Column} row {Id}: {Reason}", table, column, row.Id, e.Message);
                        continue;
                    }
#pragma warning disable EF1002
                    var updated = await db.Database.ExecuteSqlRawAsync(
                        $"UPDATE {table} SET {column} = {{0}} WHERE id = {{1}} AND {column} = {{2}}",
                        [protector.Protect(plaintext), row.Id, row.Ciphertext], ct);
#pragma warning restore EF1002
                    rewritten += updated;
                }
            }
        }
        if (rewritten > 0 || remaining > 0)
        {
            logger.LogInformation("Re-encrypted {Rewritten} secret(s) under key {KeyId}; {Remaining} could not be read", rewritten, protector.KeyRing.PrimaryKeyId, remaining);
        }
        return new ReEncryptionReport(rewritten, remaining);
    }

    /// <summary>How many secrets are still under a key other than the primary one.</summary>
    public async Task<int> CountNotUnderPrimaryAsync(CancellationToken ct)
    {
        var primaryPrefix = $"v1:{protector.KeyRing.PrimaryKeyId}:%";
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var total = 0;
        foreach (var (table, column) in _secretColumns)
        {
#pragma warning disable EF1002
            total += await db.Database
                .SqlQueryRaw<int>($"SELECT count(*)::int AS \"Value\" FROM {table} WHERE {column} IS NOT NULL AND {column} NOT LIKE {{0}}", primaryPrefix)
                .SingleAsync(ct);
#pragma warning restore EF1002
        }
        return total;
    }

    private sealed record SecretRow(int Id, string Ciphertext);
}
