using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Nango.Core;
using Nango.Core.Connections;
using Nango.Core.Environments;
using Nango.Core.Integrations;
using Nango.Core.Secrets;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Secrets;

/// <summary>Every kind of secret the database holds, read back through the Core services of one key ring.</summary>
internal sealed record SecretInventory(
    IReadOnlyList<string> Integrations,
    IReadOnlyList<string> Connections,
    IReadOnlyList<string> Variables,
    IReadOnlyList<string> SecretKeys,
    IReadOnlyList<string> SigningKeys)
{
    public static async Task<SecretInventory> ReadAsync(IServiceProvider services, IReadOnlyList<string> secretKeys, CancellationToken ct)
    {
        var environments = services.GetRequiredService<EnvironmentService>();
        var integrations = services.GetRequiredService<IntegrationService>();
        var connections = services.GetRequiredService<ConnectionService>();
        List<string> integrationSecrets = [], connectionSecrets = [], variables = [], keys = [], signingKeys = [];
        foreach (var key in secretKeys)
        {
            var env = await environments.FindBySecretKeyAsync(key, ct) ?? throw new InvalidOperationException("A secret key no longer authenticates.");
            keys.Add(await environments.RevealSecretKeyAsync(env, ct));
            signingKeys.Add(await environments.RevealWebhookSigningKeyAsync(env, ct));
            variables.AddRange((await environments.GetVariablesAsync(env, ct)).Select(v => $"{env.EnvironmentName}:{v.Name}={v.Value}"));
            foreach (var summary in await integrations.ListAsync(env, ct))
            {
                var details = await integrations.GetAsync(env, summary.UniqueKey, ct);
                integrationSecrets.Add($"{summary.UniqueKey}: {details!.Credentials}");
                foreach (var connection in await connections.ListAsync(env, new ConnectionQuery { IntegrationKeys = [summary.UniqueKey] }, ct))
                {
                    var full = await connections.GetAsync(env, summary.UniqueKey, connection.ConnectionId, markFetched: false, ct);
                    connectionSecrets.Add($"{summary.UniqueKey}/{connection.ConnectionId}: {full.Connection!.Credentials.ToJsonString()}");
                }
            }
        }
        return new SecretInventory(integrationSecrets, connectionSecrets, variables, keys, signingKeys);
    }

    /// <summary>Guards against a vacuous comparison: what <see cref="RotationData.SeedAsync"/> wrote is all there.</summary>
    public void AssertHoldsTheSeededSecrets(IReadOnlyList<string> secretKeys)
    {
        Assert.Equal(secretKeys, SecretKeys);
        Assert.Equal(secretKeys.Count, SigningKeys.Distinct().Count());
        Assert.Contains(Integrations, i => i.Contains("client-secret-1", StringComparison.Ordinal) && i.Contains("hook-secret-1", StringComparison.Ordinal));
        Assert.Contains(Integrations, i => i.Contains("BEGIN PRIVATE KEY", StringComparison.Ordinal));
        Assert.Equal(4, Connections.Count);
        Assert.Contains(Connections, c => c.Contains("refresh-rotate-conn-1", StringComparison.Ordinal));
        Assert.Equal(["dev:DEV_TOKEN=dev-secret", "dev:EMPTY=", "prod:PROD_TOKEN=prod-secret ✓"], Variables);
    }

    public void AssertSameAs(SecretInventory expected)
    {
        Assert.Equal(expected.Integrations, Integrations);
        Assert.Equal(expected.Connections, Connections);
        Assert.Equal(expected.Variables, Variables);
        Assert.Equal(expected.SecretKeys, SecretKeys);
        Assert.Equal(expected.SigningKeys, SigningKeys);
    }
}

/// <summary>Live data written under the factory's key K1: integrations with app secrets, connections, variables, keys.</summary>
internal static class RotationData
{
    public static async Task<IReadOnlyList<string>> SeedAsync(NangoWebFactory factory)
    {
        var ct = TestContext.Current.CancellationToken;
        var otherKey = await factory.CreateOtherAccountAsync();
        using var dev = factory.CreateApiClient();
        using var prod = factory.CreateApiClient(factory.ProdSecretKey);
        using var other = factory.CreateApiClient(otherKey);
        var oauth = await dev.PostAsJsonAsync("/integrations", new
        {
            provider = "github",
            unique_key = "rotate-oauth",
            credentials = new { type = "OAUTH2", client_id = "cid", client_secret = "client-secret-1", scopes = "repo", webhook_secret = "hook-secret-1" },
        }, ct);
        var app = await dev.PostAsJsonAsync("/integrations", new
        {
            provider = "github-app",
            unique_key = "rotate-app",
            credentials = new { type = "APP", app_id = "42", app_link = "https://github.com/apps/rotate", private_key = "-----BEGIN PRIVATE KEY-----\nrotate\n-----END PRIVATE KEY-----" },
        }, ct);
        Assert.Equal(HttpStatusCode.OK, oauth.StatusCode);
        Assert.Equal(HttpStatusCode.OK, app.StatusCode);
        await dev.ImportConnectionAsync("rotate-oauth", "rotate-conn-1");
        await dev.ImportConnectionAsync("rotate-oauth", "rotate-conn-2");
        await prod.CreateIntegrationAsync("rotate-prod");
        await prod.ImportConnectionAsync("rotate-prod", "rotate-prod-conn");
        await other.CreateIntegrationAsync("rotate-other");
        await other.ImportConnectionAsync("rotate-other", "rotate-other-conn");
        var environments = factory.Services.GetRequiredService<EnvironmentService>();
        Assert.Empty(await environments.ReplaceVariablesAsync(await factory.GetEnvironmentAsync(factory.SecretKey), [new("DEV_TOKEN", "dev-secret"), new("EMPTY", "")], ct));
        Assert.Empty(await environments.ReplaceVariablesAsync(await factory.GetEnvironmentAsync(factory.ProdSecretKey), [new("PROD_TOKEN", "prod-secret ✓")], ct));
        return [factory.SecretKey, factory.ProdSecretKey, otherKey];
    }

    /// <summary>Core services as another instance would build them, against the same database.</summary>
    public static IHost BuildCore(NangoWebFactory factory, string primaryKey, string? oldKey)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Nango"] = factory.ConnectionString,
            ["Nango:EncryptionKey"] = primaryKey,
            ["Nango:Scheduling:Enabled"] = "false",
        };
        if (oldKey is not null)
        {
            settings["Nango:EncryptionKeys:old"] = oldKey;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddNangoCore(builder.Configuration);
        return builder.Build();
    }

    /// <summary>Every non-null encrypted cell, whatever its key.</summary>
    public static async Task<int> CountSecretsAsync(NangoWebFactory factory)
    {
        await using var connection = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new Npgsql.NpgsqlCommand(
            """
            SELECT (SELECT count(secret_key_ciphertext) + count(webhook_signing_key_ciphertext) FROM environments)
                 + (SELECT count(value_ciphertext) FROM environment_variables)
                 + (SELECT count(client_secret_ciphertext) + count(webhook_secret_ciphertext) + count(private_key_ciphertext) FROM integrations)
                 + (SELECT count(credentials_ciphertext) FROM connections)
            """, connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

[Trait("Category", "Integration")]
public sealed class KeyRotationTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    [Fact]
    public async Task Re_encryption_moves_every_secret_to_the_new_key_and_every_secret_reads_back_unchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        var secretKeys = await RotationData.SeedAsync(factory);
        var original = await SecretInventory.ReadAsync(factory.Services, secretKeys, ct);
        original.AssertHoldsTheSeededSecrets(secretKeys);
        var k2 = RotationData.NewKey();
        using var rotated = RotationData.BuildCore(factory, k2, oldKey: factory.EncryptionKey);
        var service = rotated.Services.GetRequiredService<SecretReEncryptionService>();
        var pending = await service.CountNotUnderPrimaryAsync(ct);

        var report = await service.ReEncryptAllAsync(ct);

        Assert.Equal(await RotationData.CountSecretsAsync(factory), pending);
        Assert.Equal(new ReEncryptionReport(pending, 0), report);
        Assert.Equal(0, await service.CountNotUnderPrimaryAsync(ct));
        (await SecretInventory.ReadAsync(rotated.Services, secretKeys, ct)).AssertSameAs(original);
        using var k2Only = RotationData.BuildCore(factory, k2, oldKey: null);
        (await SecretInventory.ReadAsync(k2Only.Services, secretKeys, ct)).AssertSameAs(original);
        Assert.Equal(KeyRing.IdOf(Convert.FromBase64String(k2)), k2Only.Services.GetRequiredService<KeyRing>().PrimaryKeyId);
        using var api = factory.CreateApiClient();
        var list = await api.GetAsync("/integrations", ct);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task Without_the_old_key_secrets_written_under_it_cannot_be_read()
    {
        var ct = TestContext.Current.CancellationToken;
        using var api = factory.CreateApiClient();
        await api.CreateIntegrationAsync("unreadable-" + Guid.NewGuid().ToString("N")[..6]);
        using var stranger = RotationData.BuildCore(factory, RotationData.NewKey(), oldKey: null);
        var env = await factory.GetEnvironmentAsync(factory.SecretKey);

        var error = await Assert.ThrowsAsync<CryptographicException>(() => stranger.Services.GetRequiredService<EnvironmentService>().RevealSecretKeyAsync(env, ct));

        Assert.Contains("which is not in the key ring", error.Message, StringComparison.Ordinal);
    }
}

/// <summary><c>dotnet Nango.Web.dll reencrypt-secrets</c> as an operator runs it, beside a live instance.</summary>
[Trait("Category", "Integration")]
public sealed class ReEncryptCommandTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    [Fact]
    public async Task Reencrypt_secrets_command_rewrites_every_secret_under_the_new_key_while_the_server_runs()
    {
        var ct = TestContext.Current.CancellationToken;
        var secretKeys = await RotationData.SeedAsync(factory);
        var original = await SecretInventory.ReadAsync(factory.Services, secretKeys, ct);
        original.AssertHoldsTheSeededSecrets(secretKeys);
        var k2 = RotationData.NewKey();
        int pending;
        using (var before = RotationData.BuildCore(factory, k2, oldKey: factory.EncryptionKey))
        {
            pending = await before.Services.GetRequiredService<SecretReEncryptionService>().CountNotUnderPrimaryAsync(ct);
        }
        var keyId = KeyRing.IdOf(Convert.FromBase64String(k2));

        var (exitCode, output) = await RunCommandAsync(k2, factory.EncryptionKey);
        var (againExitCode, againOutput) = await RunCommandAsync(k2, factory.EncryptionKey);

        Assert.True(exitCode == 0, output);
        Assert.Contains($"Primary key {keyId}: {pending} secret(s) were under older keys, {pending} re-encrypted, 0 left.", output, StringComparison.Ordinal);
        Assert.True(againExitCode == 0, againOutput);
        Assert.Contains($"Primary key {keyId}: 0 secret(s) were under older keys, 0 re-encrypted, 0 left.", againOutput, StringComparison.Ordinal);
        using var k2Only = RotationData.BuildCore(factory, k2, oldKey: null);
        (await SecretInventory.ReadAsync(k2Only.Services, secretKeys, ct)).AssertSameAs(original);
        using var api = factory.CreateApiClient();
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/integrations", ct)).StatusCode);
    }

    [Fact]
    public async Task Reencrypt_secrets_command_without_the_old_key_reports_what_it_cannot_read_and_fails()
    {
        using var api = factory.CreateApiClient();
        await api.CreateIntegrationAsync("unreadable-" + Guid.NewGuid().ToString("N")[..6]);

        var (exitCode, output) = await RunCommandAsync(RotationData.NewKey(), oldKey: null);

        Assert.Equal(1, exitCode);
        var summary = Regex.Match(output, @": (\d+) secret\(s\) were under older keys, 0 re-encrypted, (\d+) left\.");
        Assert.True(summary.Success, output);
        Assert.Equal(await RotationData.CountSecretsAsync(factory), int.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(summary.Groups[1].Value, summary.Groups[2].Value);
        Assert.Contains("which is not in the key ring", output, StringComparison.Ordinal);
    }

    private Task<(int ExitCode, string Output)> RunCommandAsync(string primaryKey, string? oldKey)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Nango"] = factory.ConnectionString,
            ["Nango__EncryptionKey"] = primaryKey,
        };
        if (oldKey is not null)
        {
            environment["Nango__EncryptionKeys__old"] = oldKey;
        }
        return WebProcess.RunAsync(["reencrypt-secrets"], environment, TimeSpan.FromSeconds(90));
    }
}
