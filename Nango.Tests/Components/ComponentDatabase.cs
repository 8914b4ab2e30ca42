using Nango.Tests.Infrastructure;

namespace Nango.Tests.Components;

/// <summary>A fresh migrated database per test class; each test signs in to its own new account in it.</summary>
public sealed class ComponentDatabase : IAsyncLifetime
{
    public string Name { get; private set; } = "";

    public string ConnectionString => TestPostgres.ConnectionStringFor(Name);

    public string EncryptionKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public string DataPath { get; } = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));

    public async ValueTask InitializeAsync() => Name = await TestPostgres.CreateDatabaseAsync();

    public async ValueTask DisposeAsync()
    {
        await TestPostgres.DropDatabaseAsync(Name);
        if (Directory.Exists(DataPath))
        {
            Directory.Delete(DataPath, recursive: true);
        }
    }
}
