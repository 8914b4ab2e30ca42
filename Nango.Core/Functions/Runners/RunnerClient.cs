using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Nango.Runner.Protocol;

namespace Nango.Core.Functions.Runners;

/// <summary>Sends tasks and aborts to the account's runner (POST /tasks, POST /tasks/{id}/abort).</summary>
public sealed class RunnerClient(RunnerPool pool, IOptions<NangoOptions> options, InternalApiAddress internalApi)
{
    private readonly string? _configuredCallbackUrl = options.Value.Runner.CallbackUrl is { Length: > 0 } url ? url : null;
    private readonly RunnerLimitOptions _limits = options.Value.Runner.Limits;

    /// <summary>The base URL runners call back on (Nango__Runner__CallbackUrl, else Nango__InternalUrl).</summary>
    /// <remarks>Read when a task starts: with Nango__InternalUrl on port 0 the address exists only once the internal API listens.</remarks>
    public string CallbackUrl => _configuredCallbackUrl ?? internalApi.Url ?? options.Value.InternalUrl;

    /// <summary>
    /// Starts the task on a runner of the account and returns once the runner accepted it; the result arrives on
    /// the internal API. An empty <see cref="RunnerTaskRequest.CallbackUrl"/> is filled in, and missing limits
    /// come from Nango__Runner__Limits. Throws <see cref="RunnerUnavailableException"/> when no runner takes it.
    /// </summary>
    public async Task<RunnerEndpoint> StartTaskAsync(int accountId, RunnerTaskRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = request with
        {
            CallbackUrl = string.IsNullOrEmpty(request.CallbackUrl) ? CallbackUrl : request.CallbackUrl,
            Limits = _limits.Apply(request.Limits),
        };
        for (var attempt = 0; ; attempt++)
        {
            var endpoint = await pool.AcquireAsync(accountId, ct);
            // Recorded before sending: if the runner dies while the request is in the air, the task is reported lost.
            pool.TaskDispatched(endpoint, request.TaskId);
            HttpStatusCode status;
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl, RunnerRoutes.Tasks))
                {
                    Content = JsonContent.Create(request, options: RunnerJson.Options),
                };
                message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.Token);
                using var response = await pool.Http.SendAsync(message, ct);
                status = response.StatusCode;
                if (status == HttpStatusCode.Accepted)
                {
                    return endpoint;
                }
            }
            catch (HttpRequestException e)
            {
                pool.TaskFinished(request.TaskId);
                if (attempt == 0)
                {
                    continue;
                }
                throw new RunnerUnavailableException($"Runner {endpoint.RunnerId} could not be reached: {e.Message}", e);
            }
            catch
            {
                pool.TaskFinished(request.TaskId);
                throw;
            }
            pool.TaskFinished(request.TaskId);
            if (status == HttpStatusCode.ServiceUnavailable && attempt == 0)
            {
                continue;
            }
            throw new RunnerUnavailableException($"Runner {endpoint.RunnerId} refused task {request.TaskId}: {(int)status} {status}.");
        }
    }

    /// <summary>Asks the task's runner to stop it; false when no runner of this instance runs it.</summary>
    public async Task<bool> AbortTaskAsync(string taskId, CancellationToken ct)
    {
        if (pool.FindTask(taskId) is not { } endpoint)
        {
            return false;
        }
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.BaseUrl, RunnerRoutes.ForTask(RunnerRoutes.Abort, taskId)));
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.Token);
        try
        {
            using var response = await pool.Http.SendAsync(message, ct);
            return response.StatusCode == HttpStatusCode.Accepted;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
