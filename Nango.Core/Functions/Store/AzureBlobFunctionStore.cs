using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;

namespace Nango.Core.Functions.Store;

/// <summary>
/// Function files as block blobs in one container (<c>Nango__Functions__AzureBlobContainer</c>), created on first use.
/// Blobs are written whole, so readers see the old file or the new one, never a mix.
/// </summary>
internal sealed class AzureBlobFunctionStore : IFunctionStore, IDisposable
{
    private readonly BlobContainerClient _container;
    private readonly SemaphoreSlim _createLock = new(1, 1);
    private volatile bool _created;

    public AzureBlobFunctionStore(IOptions<NangoOptions> options)
    {
        var functions = options.Value.Functions;
        var clientOptions = new BlobClientOptions(ParseServiceVersion(functions.AzureBlobServiceVersion));
        var service = new BlobServiceClient(functions.AzureBlobConnectionString, clientOptions);
        _container = service.GetBlobContainerClient(functions.AzureBlobContainer);
    }

    /// <summary>
    /// The client's newest API version can be ahead of what a storage emulator accepts (Azurite 3.37.0 refuses
    /// 2026-10-06 with 400 InvalidHeaderValue), and a fixed version keeps the wire behaviour from moving under us
    /// with a package upgrade; Azure itself serves every published version.
    /// </summary>
    internal static BlobClientOptions.ServiceVersion ParseServiceVersion(string? value) =>
        Enum.TryParse<BlobClientOptions.ServiceVersion>(value, ignoreCase: false, out var version) && Enum.IsDefined(version)
            ? version
            : throw new InvalidOperationException($"Nango__Functions__AzureBlobServiceVersion '{value}' is not a version this build knows (for example V2026_06_06).");

    public async Task PutAsync(string key, string content, CancellationToken ct)
    {
        await EnsureContainerAsync(ct);
        await _container.GetBlobClient(Checked(key)).UploadAsync(
            BinaryData.FromString(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypeOf(key) } },
            ct);
    }

    public async Task<string?> GetAsync(string key, CancellationToken ct)
    {
        try
        {
            var result = await _container.GetBlobClient(Checked(key)).DownloadContentAsync(ct);
            return result.Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct)
    {
        try
        {
            return (await _container.GetBlobClient(Checked(key)).ExistsAsync(ct)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        if (!(await _container.ExistsAsync(ct)).Value)
        {
            yield break;
        }
        await foreach (var blob in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct))
        {
            yield return blob.Name;
        }
    }

    private async Task EnsureContainerAsync(CancellationToken ct)
    {
        if (_created)
        {
            return;
        }
        await _createLock.WaitAsync(ct);
        try
        {
            if (!_created)
            {
                await _container.CreateIfNotExistsAsync(cancellationToken: ct);
                _created = true;
            }
        }
        finally
        {
            _createLock.Release();
        }
    }

    public void Dispose() => _createLock.Dispose();

    private static string Checked(string key) =>
        FunctionStoreKeys.IsSafe(key) ? key : throw new ArgumentException($"'{key}' is not a function store key.", nameof(key));

    private static string ContentTypeOf(string key) =>
        key.EndsWith(".js", StringComparison.Ordinal) ? "application/javascript; charset=utf-8" : "text/plain; charset=utf-8";
}
