using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Nango.Core.Environments;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Api.Functions.Support;

/// <summary>One function task row as the tests read it.</summary>
public sealed record TaskRow(Guid Id, string State, string? RunnerId, int RetryCount, string? Error, Guid? LogOperationId);

/// <summary>
/// Actions deployed and triggered through the public API, without the CLI: hand-written CommonJS bundles in the shape
/// the CLI emits, posted as a deploy body; <c>POST /action/trigger</c> with the secret key.
/// </summary>
public static class ActionHarness
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A CommonJS bundle as the CLI compiles it: <c>module.exports.default</c> holds the action.</summary>
    public static string Bundle(string exec) => $$"""
        "use strict";
        var __defProp = Object.defineProperty;
        var action_exports = {};
        module.exports = action_exports;
        __defProp(action_exports, "default", { enumerable: true, get: () => action_default });
        var action_default = { type: "action", description: "test action", version: "1.0.0", exec: {{exec}} };
        """;

    /// <summary>
    /// Deploys these actions (name → the <c>exec</c> function's source) as the environment's whole project, for
    /// integration <paramref name="integration"/>; their input is any object, their output anything.
    /// </summary>
    public static async Task DeployActionsAsync(this HttpClient client, string integration, IReadOnlyDictionary<string, string> actions)
    {
        var flows = actions.Select(a =>
        {
            var flow = DeployBodies.Action(a.Key, integration, js: Bundle(a.Value));
            flow["models_json_schema"] = new JsonObject
            {
                ["definitions"] = new JsonObject
                {
                    [$"Input_{a.Key}"] = new JsonObject { ["type"] = "object" },
                    [$"Output_{a.Key}"] = new JsonObject(),
                },
            };
            return flow;
        }).ToList();
        using var response = await client.DeployAsync(DeployBodies.Body(flows));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    /// <summary>An account ready to run actions: integration <c>github</c>, connection <c>conn-1</c>, these actions deployed (none: no deploy).</summary>
    public static async Task SetUpAsync(this HttpClient client, IReadOnlyDictionary<string, string> actions)
    {
        await client.CreateIntegrationAsync("github");
        await client.ImportConnectionAsync("github", "conn-1");
        if (actions.Count > 0)
        {
            await client.DeployActionsAsync("github", actions);
        }
    }

    /// <summary>
    /// A new tenant (its own account, so its own runner process) set up by <see cref="SetUpAsync"/>: a client with its
    /// secret key and its environment.
    /// </summary>
    public static async Task<(HttpClient Client, EnvironmentContext Environment)> NewAccountWithActionsAsync(this NangoWebFactory web, IReadOnlyDictionary<string, string> actions)
    {
        ArgumentNullException.ThrowIfNull(web);
        var key = await web.CreateOtherAccountAsync();
        var client = web.CreateApiClient(key);
        await client.SetUpAsync(actions);
        return (client, await web.GetEnvironmentAsync(key));
    }

    public static async Task<HttpResponseMessage> TriggerAsync(this HttpClient client, string action, JsonNode? input = null, bool async = false, int? maxRetries = null, string connectionId = "conn-1")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/action/trigger")
        {
            Content = new StringContent(new JsonObject { ["action_name"] = action, ["input"] = input ?? new JsonObject() }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Connection-Id", connectionId);
        request.Headers.Add("Provider-Config-Key", "github");
        if (async)
        {
            request.Headers.Add("X-Async", "true");
        }
        if (maxRetries is { } retries)
        {
            request.Headers.Add("X-Max-Retries", retries.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return await client.SendAsync(request, Ct);
    }

    /// <summary>Triggers synchronously and asserts 200; returns the output.</summary>
    public static async Task<JsonNode?> RunAsync(this HttpClient client, string action, JsonNode? input = null)
    {
        using var response = await client.TriggerAsync(action, input);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text);
    }

    /// <summary>The tasks of an action in one environment, oldest first.</summary>
    public static async Task<List<TaskRow>> TasksAsync(string connectionString, int environmentId, string action)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "SELECT id, state, runner_id, retry_count, error::text, log_operation_id FROM function_tasks WHERE environment_id = @env AND function_name = @name ORDER BY created_at, retry_count",
            connection);
        command.Parameters.AddWithValue("env", environmentId);
        command.Parameters.AddWithValue("name", action);
        var rows = new List<TaskRow>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(new TaskRow(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetGuid(5)));
        }
        return rows;
    }

    /// <summary>Polls until <paramref name="condition"/> holds for the action's tasks (a runner reports asynchronously).</summary>
    public static async Task<List<TaskRow>> WaitForTasksAsync(string connectionString, int environmentId, string action, Func<List<TaskRow>, bool> condition, TimeSpan? timeout = null)
    {
        // Generous: on a loaded machine a runner can take many seconds to start and accept a task.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            var rows = await TasksAsync(connectionString, environmentId, action);
            if (condition(rows))
            {
                return rows;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Tasks of {action} never got there: {string.Join("; ", rows)}");
            await Task.Delay(50, Ct);
        }
    }
}
