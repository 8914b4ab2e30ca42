using System.Text.Json;
using Nango.Runner.Execution;
using Nango.Runner.Protocol;

namespace Nango.Runner.Host;

/// <summary>
/// What the `host(op, json)` function of one task's nango object reaches, and its record chunks
/// (<see cref="SendRecordsAsync"/>): each operation is one call to the internal API for this task. Answers a JSON
/// envelope and never throws, so a refusal becomes a JavaScript error the function can catch. After the task ends
/// every call is refused without leaving the process.
/// </summary>
internal sealed class TaskHost(HostClient client, string callbackUrl, string taskId, StoredRecordHashes storedHashes, string recordsScope,
    CancellationToken taskCancellation) : IScriptHost
{
    private readonly RecordChunkSender _records = new(client, callbackUrl, taskId, storedHashes, recordsScope);
    private volatile bool _closed;

    public void Close() => _closed = true;

    /// <summary>After the task ended (closed or stopped), every call is refused.</summary>
    private bool Ended => _closed || taskCancellation.IsCancellationRequested;

    public async Task<string> CallAsync(string operation, string json)
    {
        if (Ended)
        {
            return EndedRefusal();
        }
        (HttpMethod Method, string Route, bool HasBody)? target = operation switch
        {
            "proxy" => (HttpMethod.Post, RunnerRoutes.CallbackProxy, true),
            "getConnection" => (HttpMethod.Post, RunnerRoutes.CallbackConnection, true),
            "setMetadata" => (HttpMethod.Put, RunnerRoutes.CallbackMetadata, true),
            "updateMetadata" => (HttpMethod.Patch, RunnerRoutes.CallbackMetadata, true),
            "getEnvironmentVariables" => (HttpMethod.Get, RunnerRoutes.CallbackEnvironmentVariables, false),
            "log" => (HttpMethod.Post, RunnerRoutes.CallbackLogs, true),
            "triggerAction" => (HttpMethod.Post, RunnerRoutes.CallbackTriggerAction, true),
            "getCheckpoint" => (HttpMethod.Get, RunnerRoutes.CallbackCheckpoint, false),
            "saveCheckpoint" => (HttpMethod.Put, RunnerRoutes.CallbackCheckpoint, true),
            "clearCheckpoint" => (HttpMethod.Delete, RunnerRoutes.CallbackCheckpoint, false),
            "getRecordsByIds" => (HttpMethod.Post, RunnerRoutes.CallbackRecordsByIds, true),
            "listRecords" => (HttpMethod.Post, RunnerRoutes.CallbackRecordsList, true),
            "trackDeletes" => (HttpMethod.Post, RunnerRoutes.CallbackTrackDeletes, true),
            _ => null,
        };
        if (target is not { } call)
        {
            return Refusal(RunnerErrorTypes.ScriptInternalError, $"Unknown host operation '{operation}'", 500);
        }
        return await AnswerAsync(() => client.SendAsync(call.Method, callbackUrl, call.Route, taskId, call.HasBody ? json : null, taskCancellation));
    }

    /// <summary>A record chunk's call (batchSave, batchUpdate, batchDelete), answered as <see cref="CallAsync"/> answers.</summary>
    public async Task<string> SendRecordsAsync(RecordChunk chunk)
    {
        using (chunk)
        {
            if (Ended)
            {
                return EndedRefusal();
            }
            return await AnswerAsync(() => _records.SendAsync(chunk, taskCancellation));
        }
    }

    private async Task<string> AnswerAsync(Func<Task<HostReply>> send)
    {
        try
        {
            var reply = await send();
            if (reply.IsSuccess)
            {
                var value = string.IsNullOrWhiteSpace(reply.Body) ? "null"
                    : reply.IsJson ? reply.Body
                    : JsonSerializer.Serialize(reply.Body);
                return "{\"ok\":true,\"value\":" + value + "}";
            }
            return "{\"ok\":false,\"error\":" + JsonSerializer.Serialize(ErrorOf(reply), RunnerJson.Options) + "}";
        }
        catch (OperationCanceledException) when (taskCancellation.IsCancellationRequested)
        {
            return Refusal(RunnerErrorTypes.ScriptAborted, "The task was stopped during a call to the internal API", 410);
        }
        catch (HttpRequestException e)
        {
            return Refusal(RunnerErrorTypes.RuntimeOther, $"The internal API could not be reached: {e.Message}", 500);
        }
    }

    internal static RunnerError ErrorOf(HostReply reply)
    {
        if (reply.IsJson)
        {
            try
            {
                var error = JsonSerializer.Deserialize<RunnerError>(reply.Body, RunnerJson.Options);
                if (error is not null && !string.IsNullOrEmpty(error.Type))
                {
                    return error with { Status = (int)reply.Status };
                }
            }
            catch (JsonException)
            {
                // Not a RunnerError; described below.
            }
        }
        return new RunnerError
        {
            Type = RunnerErrorTypes.RuntimeOther,
            Message = $"The internal API answered {(int)reply.Status}",
            Status = (int)reply.Status,
        };
    }

    private static string EndedRefusal() => Refusal(RunnerErrorTypes.ScriptAborted, "The task has ended; no more calls are accepted", 410);

    private static string Refusal(string type, string message, int status)
        => "{\"ok\":false,\"error\":" + JsonSerializer.Serialize(new RunnerError { Type = type, Message = message, Status = status }, RunnerJson.Options) + "}";
}
