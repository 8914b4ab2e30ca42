using System.Text.Json.Nodes;

namespace Nango.Core.Logs;

/// <summary>
/// The write side of Logs for the rest of the code. Every call only enqueues into a bounded in-process
/// buffer and returns at once: logging never waits for the database, and a full buffer drops (and counts)
/// instead of blocking. Rows are written in batches about every 200 ms, so a crash loses at most the
/// writes of the last flush interval; a normal shutdown flushes everything.
/// </summary>
public interface ILogService
{
    IOperationLog StartOperation(OperationStart start);

    /// <summary>
    /// Adds messages to an operation another part opened (Nango's <c>Nango-Activity-Log-Id</c>: a function's proxy
    /// calls land in the function's operation). The handle cannot end that operation; its owner does. Messages carry
    /// the caller's own environment, so naming another tenant's operation shows that tenant nothing.
    /// </summary>
    IOperationLog ContinueOperation(Guid operationId, Environments.EnvironmentContext environment);

    /// <summary>
    /// Takes over an operation this code opened earlier, possibly on another instance (an action ends when its runner
    /// reports): the handle writes messages and can end it. <paramref name="createdAt"/> is <see cref="IOperationLog.CreatedAt"/>
    /// as it was when the operation started; it locates the row.
    /// </summary>
    IOperationLog ResumeOperation(Guid operationId, DateTimeOffset createdAt, Environments.EnvironmentContext environment);

    LogWriterStats Stats { get; }
}

/// <summary>One open operation. Ending it is idempotent: the first of Succeed/Fail/Cancel wins.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716", Justification = "C#-only API; Error matches the log level it writes.")]
public interface IOperationLog
{
    Guid Id { get; }

    DateTimeOffset CreatedAt { get; }

    void Debug(string message, JsonObject? meta = null);

    void Info(string message, JsonObject? meta = null);

    void Warn(string message, JsonObject? meta = null);

    void Error(string message, LogError? error = null, JsonObject? meta = null);

    void Write(LogEntry entry);

    /// <summary>An HTTP exchange; headers, query string and body are redacted before they are buffered.</summary>
    void Http(LogHttpRequest request, LogHttpResponse? response, string? message = null, TimeSpan? duration = null, LogRetry? retry = null, LogError? error = null, string? context = null);

    /// <summary>Moves a <c>waiting</c> operation to <c>running</c>.</summary>
    void MarkRunning();

    void Succeed(LogHttpResponse? response = null);

    void Fail(LogError? error = null, LogHttpResponse? response = null);

    void Cancel();
}

/// <summary>Counters of the write path since start-up.</summary>
/// <param name="Offered">Writes handed to the buffer (operations, messages and state changes).</param>
/// <param name="Dropped">Writes lost because the buffer was full or already closed for shutdown.</param>
/// <param name="Written">Writes the store has accepted.</param>
/// <param name="Failed">Writes lost because the store refused them (after one retry).</param>
/// <param name="Buffered">Writes waiting in the buffer now.</param>
public sealed record LogWriterStats(long Offered, long Dropped, long Written, long Failed, int Buffered);
