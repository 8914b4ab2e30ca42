using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Options;

namespace Nango.Core.Functions.Store;

/// <summary>
/// Function files in <c>{Nango__DataPath}/functions</c>. Writes go to a temporary file first and are then moved
/// into place, so a reader (another instance on a shared volume, or the runner) never sees half a bundle.
/// </summary>
internal sealed class FileSystemFunctionStore(IOptions<NangoOptions> options) : IFunctionStore
{
    private readonly string _root = Path.GetFullPath(Path.Combine(options.Value.DataPath, "functions"));

    public async Task PutAsync(string key, string content, CancellationToken ct)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, content, new UTF8Encoding(false), ct);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public async Task<string?> GetAsync(string key, CancellationToken ct)
    {
        try
        {
            return await File.ReadAllTextAsync(PathOf(key), Encoding.UTF8, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken ct) => Task.FromResult(File.Exists(PathOf(key)));

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        var folder = PathOf(prefix.TrimEnd('/'));
        if (!Directory.Exists(folder))
        {
            yield break;
        }
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            if (file.EndsWith(".tmp", StringComparison.Ordinal))
            {
                continue;
            }
            yield return Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
        }
        await Task.CompletedTask;
    }

    private string PathOf(string key)
    {
        if (!FunctionStoreKeys.IsSafe(key))
        {
            throw new ArgumentException($"'{key}' is not a function store key.", nameof(key));
        }
        var path = Path.GetFullPath(Path.Combine(_root, key));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{key}' resolves outside the function store.", nameof(key));
        }
        return path;
    }
}
