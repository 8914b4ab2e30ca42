using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions.Support;

/// <summary>Nango.Web with <c>Nango__Functions__Store=AzureBlob</c> on Azurite, in a container of its own.</summary>
public sealed class AzuriteWebFactory : NangoWebFactory
{
    public string Container { get; } = "functions-" + Guid.NewGuid().ToString("N")[..12];

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        // Without Azurite the tests skip (or fail in CI); the app still has to start, on its default store.
        Azurite.ConnectionString is { } connectionString
            ?
            [
                new("Nango:Functions:Store", "AzureBlob"),
                new("Nango:Functions:AzureBlobConnectionString", connectionString),
                new("Nango:Functions:AzureBlobContainer", Container),
            ]
            : [];
}
