using System.Text.Json;
using Nango.Core.Common;

namespace Nango.Core.Records;

/// <summary>How a sync's <c>batchSave</c> treats records changed since the run started (Nango's <c>setMergingStrategy</c>).</summary>
public enum MergingStrategy
{
    Override,
    IgnoreIfModifiedAfter,
}

public sealed record RecordWriteOptions
{
    public string? SyncName { get; init; }

    /// <summary>
    /// When set every written-or-unchanged record gets <c>seen_at = SeenAt</c> (trackDeletesStart is active).
    /// When null an unchanged record is not touched at all (that is what makes an unchanged re-run fast).
    /// </summary>
    public DateTimeOffset? SeenAt { get; init; }

    public MergingStrategy Strategy { get; init; } = MergingStrategy.Override;

    /// <summary>With <see cref="MergingStrategy.IgnoreIfModifiedAfter"/>: records whose updated_at is later than this are skipped.</summary>
    public DateTimeOffset? ModifiedAfter { get; init; }

    /// <summary>
    /// The sync run the write belongs to. Its deletion-tracking mark (<c>trackDeletesStart</c>), when there is one, is
    /// read under the model's lock and used as <see cref="SeenAt"/>, and the write's counts are added to the run's
    /// per-model counts, both in the write's own transaction: a chunk of a sync is one transaction, not three.
    /// </summary>
    public RecordWriteRun? Run { get; init; }
}

/// <summary>A sync run's task, its sync and the model name its counts are kept under (the name the script used).</summary>
public sealed record RecordWriteRun(Guid TaskId, string SyncName, string CountedModel);

/// <summary>A record as a save by keys names it (<see cref="RecordStore.SaveUnchangedAsync"/>): its id as sent, the XxHash128 of its
/// JSON text as sent, and that text's size in bytes.</summary>
public sealed record RecordKey(string Id, byte[] Hash, int Size);

/// <summary>
/// What a save by keys counted (the unchanged records), the positions of the records to send in full, and the model's
/// generation the lookup was made at (null when the model has none yet): the records not to send are stored with the
/// hashes sent at that generation.
/// </summary>
public sealed record RecordKeysResult(RecordWriteResult Counts, IReadOnlyList<int> Send, long? Generation = null);

public sealed record RecordWriteResult(int Added, int Updated, int Unchanged, int Deleted)
{
    public static readonly RecordWriteResult None = new(0, 0, 0, 0);

    /// <summary>A save's generations of the model (<see cref="RecordGeneration"/>); null for other writes.</summary>
    public RecordGeneration? Generation { get; init; }
}

/// <summary>
/// A model's generation (migration RecordGenerations) before a save and after it, both read under the model's lock, so
/// nothing else changed the model's records between them: <see cref="Before"/> is null when the model had none, and
/// <see cref="After"/> equals it when the save wrote nothing. A caller that knew the records at <see cref="Before"/>
/// knows them at <see cref="After"/> with the save's applied; one that did not knows only the save's.
/// </summary>
public readonly record struct RecordGeneration(long? Before, long After);

/// <summary>The <c>filter</c> of <c>GET /records</c>: the last actions asked for.</summary>
[Flags]
public enum RecordActions
{
    None = 0,
    Added = 1,
    Updated = 2,
    Deleted = 4,
}

/// <summary>One page request of <c>GET /records</c> (reference §1.7); <see cref="Model"/> already carries <c>::variant</c>.</summary>
public sealed record RecordQuery
{
    public required int ConnectionId { get; init; }

    public required string Model { get; init; }

    /// <summary><c>updated_at &gt;= ModifiedAfter</c>.</summary>
    public DateTimeOffset? ModifiedAfter { get; init; }

    public int Limit { get; init; } = RecordStore.DefaultPageSize;

    public RecordActions Filter { get; init; }

    /// <summary>The opaque cursor of the last record already read (see <see cref="RecordCursor"/>).</summary>
    public string? Cursor { get; init; }

    public IReadOnlyCollection<string>? ExternalIds { get; init; }
}

/// <summary>
/// One stored record as read: the payload is the record's JSON text as the sync sent it, without its <c>id</c> key (the external id replaces it
/// on output, as Nango does), kept as UTF-8 so a page goes from Postgres to the response without re-parsing.
/// </summary>
public sealed record RecordRow(
    Guid Id,
    string ExternalId,
    ReadOnlyMemory<byte> PayloadWithoutId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    DateTimeOffset? PrunedAt)
{
    /// <summary>Nango's <c>last_action</c>: DELETED when deleted, ADDED while first seen = last modified, else UPDATED.</summary>
    public string LastAction => DeletedAt is not null ? "DELETED" : CreatedAt == UpdatedAt ? "ADDED" : "UPDATED";

    public string Cursor => RecordCursor.Encode(UpdatedAt, Id);

    /// <summary>The record as the API returns it (payload, <c>id</c>, <c>_nango_metadata</c>), parsed.</summary>
    public JsonElement ToJson()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(PayloadWithoutId.Length + 300);
        RecordJson.Write(buffer, this);
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}

public sealed record RecordPage(IReadOnlyList<RecordRow> Records, string? NextCursor);

public sealed record PruneResult(int Count, bool HasMore);

/// <summary>A batch that cannot be stored; nothing of it was written.</summary>
public sealed class RecordValidationException : Exception
{
    public RecordValidationException()
    {
        Code = ErrorCodes.InvalidSyncRecord;
    }

    public RecordValidationException(string message) : base(message)
    {
        Code = ErrorCodes.InvalidSyncRecord;
    }

    public RecordValidationException(string message, Exception innerException) : base(message, innerException)
    {
        Code = ErrorCodes.InvalidSyncRecord;
    }

    public RecordValidationException(string code, string message, int index) : base(message)
    {
        Code = code;
        Index = index;
    }

    public string Code { get; }

    /// <summary>Position of the offending record in the batch.</summary>
    public int Index { get; }
}
