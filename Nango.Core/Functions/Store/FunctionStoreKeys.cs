using System.Globalization;

namespace Nango.Core.Functions.Store;

/// <summary>
/// Store keys are content-addressed: <c>environments/{env uuid}/integrations/{integration id}/{type}/{name}/{sha256}.js</c>.
/// The integration's id (not its unique key, which can be renamed) and the hash make a key stable, so a
/// redeploy of unchanged code writes nothing, every version keeps its own file, and a deploy that fails after
/// uploading leaves only files that a retry reuses.
/// </summary>
public static class FunctionStoreKeys
{
    public static string Folder(Guid environmentUuid, int integrationId, string type, string name) =>
        string.Create(CultureInfo.InvariantCulture, $"environments/{environmentUuid:D}/integrations/{integrationId}/{type}/{name}/");

    public static string Bundle(Guid environmentUuid, int integrationId, string type, string name, string codeHash) =>
        Folder(environmentUuid, integrationId, type, name) + codeHash + ".js";

    public static string Source(Guid environmentUuid, int integrationId, string type, string name, string sourceHash) =>
        Folder(environmentUuid, integrationId, type, name) + sourceHash + ".ts";

    public static string Environment(Guid environmentUuid) => $"environments/{environmentUuid:D}/";

    /// <summary>
    /// Keys only ever come from the methods above (names pass Nango's <c>^[a-zA-Z0-9_-]+$</c>), but a store must never
    /// resolve a key outside its root, whoever built it.
    /// </summary>
    public static bool IsSafe(string key) =>
        !string.IsNullOrEmpty(key)
        && !key.StartsWith('/')
        && !key.Contains('\\', StringComparison.Ordinal)
        && key.Split('/').All(segment => segment.Length > 0 && segment != "." && segment != "..");
}
