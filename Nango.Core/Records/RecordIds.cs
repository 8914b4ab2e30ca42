using System.Security.Cryptography;
using System.Text;

namespace Nango.Core.Records;

/// <summary>
/// Nango's stable record ids (reference §4.3): uuidv5(<c>{connectionId}{model}{externalId}</c>) in the namespace
/// uuidv5(<c>{connectionId}{model}</c>, NIL), so a record keeps its id across runs and re-syncs.
/// </summary>
public static class RecordIds
{
    public static Guid Namespace(int connectionId, string model) =>
        UuidV5(Guid.Empty, string.Concat(connectionId.ToString(System.Globalization.CultureInfo.InvariantCulture), model));

    public static Guid For(Guid @namespace, int connectionId, string model, string externalId) =>
        UuidV5(@namespace, string.Concat(connectionId.ToString(System.Globalization.CultureInfo.InvariantCulture), model, externalId));

    public static Guid For(int connectionId, string model, string externalId) =>
        For(Namespace(connectionId, model), connectionId, model, externalId);

    /// <summary>RFC 4122 name-based (SHA-1) UUID, as the <c>uuid</c> npm package computes it.</summary>
    public static Guid UuidV5(Guid @namespace, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var nameLength = Encoding.UTF8.GetByteCount(name);
        var input = nameLength <= 1024 ? stackalloc byte[16 + nameLength] : new byte[16 + nameLength];
        @namespace.TryWriteBytes(input[..16], bigEndian: true, out _);
        Encoding.UTF8.GetBytes(name, input[16..]);
        Span<byte> hash = stackalloc byte[20];
        // SHA-1 is what RFC 4122 prescribes for v5 ids; it names records, it protects nothing.
#pragma warning disable CA5350
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
