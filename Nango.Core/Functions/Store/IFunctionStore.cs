namespace Nango.Core.Functions.Store;

/// <summary>
/// Where deployed function files (compiled bundles and TypeScript sources) live: a folder under
/// <c>Nango__DataPath</c> by default, Azure Blob Storage with <c>Nango__Functions__Store=AzureBlob</c>.
/// Keys are relative, '/'-separated paths made by <see cref="FunctionStoreKeys"/>; content is UTF-8 text.
/// </summary>
public interface IFunctionStore
{
    /// <summary>Writes (or overwrites) the file under <paramref name="key"/>.</summary>
    Task PutAsync(string key, string content, CancellationToken ct);

    /// <summary>The file's content, or null when no file has that key.</summary>
    Task<string?> GetAsync(string key, CancellationToken ct);

    Task<bool> ExistsAsync(string key, CancellationToken ct);

    /// <summary>Every key under a prefix (a folder), for maintenance and tests.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken ct);
}
