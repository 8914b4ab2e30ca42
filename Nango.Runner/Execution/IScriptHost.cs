using Nango.Runner.Host;

namespace Nango.Runner.Execution;

/// <summary>What a running function can reach outside its engine: the internal API for its task. Both calls answer the
/// runtime's JSON envelope (<c>{"ok":true,"value":…}</c> or <c>{"ok":false,"error":…}</c>) and never throw.</summary>
internal interface IScriptHost
{
    /// <summary>One operation of <c>host(op, json)</c>.</summary>
    Task<string> CallAsync(string operation, string json);

    /// <summary>One record chunk of <c>batchSave</c>, <c>batchUpdate</c> or <c>batchDelete</c>.</summary>
    Task<string> SendRecordsAsync(RecordChunk chunk);
}
