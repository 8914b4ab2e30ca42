using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Nango.Core.Common;

namespace Nango.Core.Logs;

internal sealed class LogService(LogBuffer buffer, IOptions<LogWriterOptions> options, TimeProvider clock) : ILogService
{
    private readonly int _maxBodyLength = options.Value.MaxBodyLength;

    public LogWriterStats Stats => buffer.Stats;

    public IOperationLog StartOperation(OperationStart start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var now = Now();
        var row = new LogOperationRow
        {
            Id = LogIds.Create(now),
            CreatedAt = now,
            UpdatedAt = now,
            Type = start.Kind.Type,
            Action = start.Kind.Action,
            State = start.State,
            AccountId = start.AccountId,
            AccountName = start.AccountName,
            EnvironmentId = start.EnvironmentId,
            EnvironmentName = start.EnvironmentName,
            IntegrationId = start.IntegrationId,
            IntegrationKey = start.IntegrationKey,
            Provider = start.Provider,
            ConnectionId = start.ConnectionId,
            ConnectionName = start.ConnectionName,
            FunctionName = start.FunctionName,
            JobId = start.JobId,
            Actor = start.Actor,
            Request = LogRedactor.Redact(start.Request, _maxBodyLength),
            Meta = LogRedactor.RedactJson(start.Meta),
            StartedAt = start.State == OperationStates.Running ? now : null,
            ExpiresAt = now + (start.ExpiresIn ?? LogOperationKinds.DefaultExpiry(start.Kind)),
        };
        buffer.Offer(row);
        return new OperationLog(this, row);
    }

    public IOperationLog ContinueOperation(Guid operationId, Environments.EnvironmentContext environment) =>
        HandleFor(operationId, CreatedAtOf(operationId), environment, owned: false);

    public IOperationLog ResumeOperation(Guid operationId, DateTimeOffset createdAt, Environments.EnvironmentContext environment) =>
        HandleFor(operationId, createdAt, environment, owned: true);

    /// <summary>
    /// A handle on an operation whose row exists already. The row built here is never written: messages and the end
    /// only need its id, creation time (the row's key) and tenant; its type stands in for the unknown real one.
    /// </summary>
    private OperationLog HandleFor(Guid operationId, DateTimeOffset createdAt, Environments.EnvironmentContext environment, bool owned)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var row = new LogOperationRow
        {
            Id = operationId,
            CreatedAt = createdAt,
            Type = LogOperationKinds.ProxyCall.Type,
            Action = LogOperationKinds.ProxyCall.Action,
            State = OperationStates.Running,
            AccountId = environment.AccountId,
            EnvironmentId = environment.EnvironmentId,
            StartedAt = createdAt,
        };
        return new OperationLog(this, row, owned);
    }

    /// <summary>The creation time a version 7 id carries (its first 48 bits), so messages are never dated before their operation.</summary>
    private DateTimeOffset CreatedAtOf(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        long milliseconds = 0;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }
        var at = (bytes[6] >> 4) == 7 ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : Now();
        return at > Now() ? Now() : at;
    }

    private DateTimeOffset Now() => Clock.ToMicroseconds(clock.GetUtcNow());

    private sealed class OperationLog(LogService service, LogOperationRow row, bool owned = true) : IOperationLog
    {
        private int _ended;
        private DateTimeOffset? _startedAt = row.StartedAt;

        public Guid Id => row.Id;

        public DateTimeOffset CreatedAt => row.CreatedAt;

        public void Debug(string message, JsonObject? meta = null) => Write(new LogEntry { Level = MessageLevels.Debug, Message = message, Meta = meta });

        public void Info(string message, JsonObject? meta = null) => Write(new LogEntry { Level = MessageLevels.Info, Message = message, Meta = meta });

        public void Warn(string message, JsonObject? meta = null) => Write(new LogEntry { Level = MessageLevels.Warn, Message = message, Meta = meta });

        public void Error(string message, LogError? error = null, JsonObject? meta = null) =>
            Write(new LogEntry { Level = MessageLevels.Error, Message = message, Error = error, Meta = meta });

        public void Write(LogEntry entry)
        {
            ArgumentNullException.ThrowIfNull(entry);
            var now = service.Now();
            service.Offer(new LogMessageRow
            {
                Id = LogIds.Create(now),
                CreatedAt = now,
                OperationId = row.Id,
                AccountId = row.AccountId,
                EnvironmentId = row.EnvironmentId,
                Level = entry.Level,
                Type = MessageTypes.Log,
                Source = entry.Source,
                Message = entry.Message,
                Context = entry.Context,
                Error = RedactError(entry.Error),
                Meta = LogRedactor.RedactJson(entry.Meta),
                PersistResults = entry.PersistResults,
                Retry = entry.Retry,
            });
        }

        public void Http(LogHttpRequest request, LogHttpResponse? response, string? message = null, TimeSpan? duration = null, LogRetry? retry = null, LogError? error = null, string? context = null)
        {
            ArgumentNullException.ThrowIfNull(request);
            var now = service.Now();
            var redacted = LogRedactor.Redact(request, service._maxBodyLength)!;
            var level = error is not null || response is null || response.Code >= 500 ? MessageLevels.Error
                : response.Code >= 400 ? MessageLevels.Warn
                : MessageLevels.Info;
            service.Offer(new LogMessageRow
            {
                Id = LogIds.Create(now),
                // Dated when the request started, but never before its operation (messages are looked up from there).
                CreatedAt = duration is { } d && now - d > row.CreatedAt ? Clock.ToMicroseconds(now - d) : (duration is null ? now : row.CreatedAt),
                OperationId = row.Id,
                AccountId = row.AccountId,
                EnvironmentId = row.EnvironmentId,
                Level = level,
                Type = MessageTypes.Http,
                Source = MessageSources.Internal,
                Message = message ?? $"{redacted.Method} {redacted.Url}" + (response is null ? "" : $" → {response.Code}"),
                Context = context,
                Error = RedactError(error),
                Request = redacted,
                Response = LogRedactor.Redact(response, service._maxBodyLength),
                Retry = retry,
                EndedAt = duration is null ? null : now,
                DurationMs = duration is { } ms ? (long)ms.TotalMilliseconds : null,
            });
        }

        public void MarkRunning()
        {
            if (!owned || Volatile.Read(ref _ended) != 0 || _startedAt is not null)
            {
                return;
            }
            var now = service.Now();
            _startedAt = now;
            service.Offer(new LogOperationUpdate { Id = row.Id, CreatedAt = row.CreatedAt, State = OperationStates.Running, UpdatedAt = now, StartedAt = now });
        }

        public void Succeed(LogHttpResponse? response = null) => End(OperationStates.Success, null, response);

        public void Fail(LogError? error = null, LogHttpResponse? response = null) => End(OperationStates.Failed, error, response);

        public void Cancel() => End(OperationStates.Cancelled, null, null);

        private void End(string state, LogError? error, LogHttpResponse? response)
        {
            if (!owned || Interlocked.Exchange(ref _ended, 1) != 0)
            {
                return;
            }
            var now = service.Now();
            var started = _startedAt ?? row.CreatedAt;
            service.Offer(new LogOperationUpdate
            {
                Id = row.Id,
                CreatedAt = row.CreatedAt,
                State = state,
                UpdatedAt = now,
                StartedAt = started,
                EndedAt = now,
                DurationMs = (long)(now - started).TotalMilliseconds,
                Error = RedactError(error),
                Response = LogRedactor.Redact(response, service._maxBodyLength),
            });
        }

        private static LogError? RedactError(LogError? error) =>
            error is null ? null : error with { Payload = LogRedactor.RedactJson(error.Payload) };
    }

    private void Offer(object item) => buffer.Offer(item);
}
