using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Runners;
using Nango.Runner.Protocol;

namespace Nango.Core.Functions.Tasks;

/// <summary>
/// The tasks this instance has handed to runners and not yet seen end. The dispatcher takes a slot per task; a result
/// arriving on the internal API, or the pool reporting the task lost with its runner, gives it back and wakes the
/// dispatcher. Kept apart from the dispatcher so the runner pool can report losses without depending on it.
/// </summary>
public sealed class TaskSlots(TaskStore store, IServiceProvider services) : IRunnerTaskFailureSink
{
    private readonly ConcurrentDictionary<Guid, FunctionTask> _inFlight = new();
    private readonly Channel<bool> _freed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public int InFlight => _inFlight.Count;

    public ChannelReader<bool> Freed => _freed.Reader;

    public void Take(FunctionTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        _inFlight[task.Id] = task;
    }

    /// <summary>
    /// The task as this instance claimed it, while its slot is held: what never changes while a task runs (its account,
    /// environment, kind, payload) without a read. Its state is the claim's; callers that need the current one read it.
    /// </summary>
    public FunctionTask? Claimed(Guid taskId) => _inFlight.TryGetValue(taskId, out var task) ? task : null;

    public void Release(Guid taskId)
    {
        if (_inFlight.TryRemove(taskId, out _))
        {
            _freed.Writer.TryWrite(true);
        }
    }

    public async Task TaskLostAsync(RunnerLostTask task, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (Guid.TryParse(task.TaskId, out var id) && await store.GetAsync(id, ct) is { } running)
        {
            var error = ErrorJson(task.Error);
            var failed = await store.FailAsync(id, error, ct);
            Release(id);
            if (failed)
            {
                await Endings.AttemptEndedAsync(running, null, error, null, ct);
            }
        }
    }

    /// <summary>A runner error as stored on the task (<c>{type, message, status, payload?, upstream?}</c>).</summary>
    /// <summary>Resolved when first needed: the runner pool depends on this class, and the endings' dependencies must not be built under it.</summary>
    public TaskEndings Endings => services.GetRequiredService<TaskEndings>();

    public static JsonObject ErrorJson(RunnerError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var json = new JsonObject { ["type"] = error.Type, ["message"] = error.Message, ["status"] = error.Status };
        if (error.Payload is { } payload)
        {
            json["payload"] = JsonNode.Parse(payload.GetRawText());
        }
        if (error.AdditionalProperties is { } extra && JsonNode.Parse(extra.GetRawText()) is JsonObject properties)
        {
            json["upstream"] = properties["upstream_response"]?.DeepClone();
        }
        return json;
    }
}
