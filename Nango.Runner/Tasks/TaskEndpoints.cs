using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Nango.Runner.Protocol;

namespace Nango.Runner.Tasks;

/// <summary>The runner's HTTP API (RunnerRoutes): start, abort, health; every call carries the runner's token.</summary>
internal static class TaskEndpoints
{
    public static void MapTaskEndpoints(this WebApplication app, RunnerSettings settings)
    {
        var expected = Encoding.UTF8.GetBytes("Bearer " + settings.Token);
        app.Use(async (context, next) =>
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, expected))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });

        app.MapPost(RunnerRoutes.Tasks, StartTask);
        app.MapPost(RunnerRoutes.Abort, AbortTask);
        app.MapGet(RunnerRoutes.Health, Health);
    }

    private static Results<Accepted<RunnerTaskAccepted>, BadRequest<RunnerError>, Conflict<RunnerError>, JsonHttpResult<RunnerError>> StartTask(
        RunnerTaskRequest request, TaskRegistry tasks, RunnerSettings settings)
    {
        if (string.IsNullOrWhiteSpace(request.TaskId) || !RunnerTaskKinds.IsKnown(request.Kind) || !Uri.TryCreate(request.CallbackUrl, UriKind.Absolute, out _))
        {
            return TypedResults.BadRequest(new RunnerError
            {
                Type = "invalid_task",
                Message = "A task needs a taskId, a kind (action, sync, webhook, on-event) and an absolute callbackUrl",
                Status = 400,
            });
        }
        return tasks.Start(request) switch
        {
            StartOutcome.Started => TypedResults.Accepted((string?)null, new RunnerTaskAccepted(request.TaskId, settings.RunnerId)),
            StartOutcome.AlreadyRunning => TypedResults.Conflict(new RunnerError { Type = "task_running", Message = $"Task {request.TaskId} is already running", Status = 409 }),
            _ => TypedResults.Json(new RunnerError { Type = "runner_full", Message = $"This runner already runs {settings.MaxConcurrentTasks} tasks", Status = 503 },
                RunnerJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable),
        };
    }

    private static Results<Accepted, NotFound> AbortTask(string taskId, TaskRegistry tasks)
        => tasks.Abort(taskId) ? TypedResults.Accepted((string?)null) : TypedResults.NotFound();

    private static Ok<RunnerHealth> Health(TaskRegistry tasks, RunnerSettings settings)
    {
        using var process = Process.GetCurrentProcess();
        return TypedResults.Ok(new RunnerHealth
        {
            Status = "ok",
            RunnerId = settings.RunnerId,
            RunningTasks = tasks.RunningTaskIds,
            MaxConcurrentTasks = settings.MaxConcurrentTasks,
            WorkingSetBytes = process.WorkingSet64,
            ManagedHeapBytes = GC.GetTotalMemory(forceFullCollection: false),
            UptimeMs = (long)(DateTime.Now - process.StartTime).TotalMilliseconds,
        });
    }
}
