using Microsoft.Extensions.Options;

namespace Nango.Core.Records;

/// <summary>The records store (<c>Nango__Records__*</c>).</summary>
public sealed class RecordsOptions
{
    /// <summary>Largest record (its JSON text, UTF-8) a sync may save; a batch holding a larger one is refused whole.</summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>Payloads not updated for this many days are emptied (metadata kept, <c>pruned_at</c> set). Nango Cloud: 30.</summary>
    public int PruneAfterDays { get; set; } = 30;

    /// <summary>Records of a connection whose syncs have not run for this many days are deleted. Nango Cloud: 60.</summary>
    public int DeleteAfterDays { get; set; } = 60;
}

/// <summary>Adds the records settings' problems to the one start-up report of invalid configuration.</summary>
internal sealed class RecordsOptionsValidator : IValidateOptions<NangoOptions>
{
    public ValidateOptionsResult Validate(string? name, NangoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var records = options.Records;
        var failures = new List<string>();
        if (records.MaxRecordBytes < 1)
        {
            failures.Add("Nango__Records__MaxRecordBytes must be at least 1.");
        }
        if (records.PruneAfterDays < 1)
        {
            failures.Add("Nango__Records__PruneAfterDays must be at least 1.");
        }
        if (records.DeleteAfterDays < 1)
        {
            failures.Add("Nango__Records__DeleteAfterDays must be at least 1.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
