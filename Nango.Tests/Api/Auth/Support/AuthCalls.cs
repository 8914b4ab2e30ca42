using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Auth.Support;

/// <summary>Reading back what an auth flow left behind: connections, webhooks, log operations; and the node client's steps.</summary>
public static class AuthCalls
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs one step of <c>node/auth.mjs</c> against <paramref name="web"/> with the dev secret key.</summary>
    public static Task<JsonNode> NodeAsync(NangoWebFactory web, string step, object args, string? secretKey = null)
    {
        ArgumentNullException.ThrowIfNull(web);
        return Infrastructure.NodeClient.RunAsync("auth.mjs", web.ServerUrl, secretKey ?? web.SecretKey, new Dictionary<string, string>
        {
            ["NANGO_STEP"] = step,
            ["NANGO_ARGS"] = JsonSerializer.Serialize(args),
        }, Ct);
    }

    /// <summary><c>GET /connections/:id</c> with the refresh token included; asserts 200.</summary>
    public static async Task<JsonObject> GetConnectionAsync(this HttpClient api, string key, string connectionId, bool forceRefresh = false)
    {
        var response = await api.GetConnectionResponseAsync(key, connectionId, forceRefresh);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /connections/{connectionId} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static Task<HttpResponseMessage> GetConnectionResponseAsync(this HttpClient api, string key, string connectionId, bool forceRefresh = false) =>
        api.GetAsync($"/connections/{connectionId}?provider_config_key={key}&force_refresh={(forceRefresh ? "true" : "false")}&refresh_token=true", Ct);

    /// <summary>The connection list item (errors included) of one connection.</summary>
    public static async Task<JsonObject> ListItemAsync(this HttpClient api, string key, string connectionId)
    {
        var list = await (await api.GetAsync($"/connections?connectionId={connectionId}&integrationId={key}", Ct)).ReadJsonAsync();
        return Assert.Single(list["connections"]!.AsArray())!.AsObject();
    }

    /// <summary>Connection ids of an end user (flows through a connect session choose the id themselves).</summary>
    public static async Task<IReadOnlyList<string>> ConnectionIdsOfAsync(this HttpClient api, string endUserId)
    {
        var list = await (await api.GetAsync($"/connections?endUserId={endUserId}", Ct)).ReadJsonAsync();
        return list["connections"]!.AsArray().Select(c => (string)c!["connection_id"]!).ToList();
    }

    /// <summary>Waits for a webhook whose JSON body matches; earlier and unrelated deliveries are skipped, not consumed.</summary>
    public static async Task<(ReceivedWebhook Request, JsonObject Body)> WaitForWebhookAsync(this WebhookReceiver receiver, Func<ReceivedWebhook, JsonObject, bool> match)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        ArgumentNullException.ThrowIfNull(match);
        for (var attempt = 0; attempt < 400; attempt++)
        {
            foreach (var request in receiver.All)
            {
                if (JsonNode.Parse(request.BodyText) is JsonObject body && match(request, body))
                {
                    return (request, body);
                }
            }
            await Task.Delay(50, Ct);
        }
        throw new TimeoutException("No matching webhook arrived within 20 s. Received: " + string.Join("\n", receiver.All.Select(r => r.Path + " " + r.BodyText)));
    }

    /// <summary>Auth webhooks about one connection, in arrival order.</summary>
    public static IReadOnlyList<JsonObject> AuthWebhooksFor(this WebhookReceiver receiver, string connectionId)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        return receiver.All
            .Select(r => JsonNode.Parse(r.BodyText) as JsonObject)
            .Where(b => b is not null && (string?)b["type"] == "auth" && (string?)b["connectionId"] == connectionId)
            .ToList()!;
    }

    /// <summary>
    /// Waits until the logs hold an operation of <paramref name="kind"/> on this connection in <paramref name="state"/>
    /// whose messages satisfy <paramref name="messages"/> (any, when null); returns it with its messages, oldest first.
    /// </summary>
    public static async Task<(LogOperationRow Operation, IReadOnlyList<LogMessageRow> Messages)> WaitForOperationAsync(
        NangoWebFactory web, EnvironmentContext environment, string kind, string integration, string connection, string state,
        Func<IReadOnlyList<LogMessageRow>, bool>? messages = null)
    {
        ArgumentNullException.ThrowIfNull(web);
        var query = web.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var page = await query.SearchOperationsAsync(environment, new LogOperationSearch
            {
                Types = [kind],
                States = [state],
                Integrations = [integration],
                Connections = [connection],
            }, Ct);
            foreach (var operation in page.Items)
            {
                var found = await MessagesAsync(web, environment, operation.Id);
                if (messages is null || messages(found))
                {
                    return (operation, found);
                }
            }
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"No {state} {kind} operation (with the expected messages) was logged for {integration}/{connection}.");
    }

    /// <summary>The messages of an operation, oldest first.</summary>
    public static async Task<IReadOnlyList<LogMessageRow>> MessagesAsync(NangoWebFactory web, EnvironmentContext environment, Guid operationId)
    {
        ArgumentNullException.ThrowIfNull(web);
        var page = await web.Services.GetRequiredService<LogQueryService>().SearchMessagesAsync(environment, new LogMessageSearch { OperationId = operationId }, Ct);
        return page.Items.OrderBy(m => m.CreatedAt).ToList();
    }
}

/// <summary>Row fingerprints of the tables an auth flow writes, so a refused request can be shown to have changed nothing.</summary>
public static class AuthTables
{
    /// <summary>Connections and OAuth sessions (with the result stored for the popup's socket), row by row.</summary>
    private static readonly string[] _tables = ["connections", "oauth_sessions"];

    /// <summary>Also counts queued webhooks (their rows change as earlier deliveries complete, so only the count is stable).</summary>
    public static async Task<string> FingerprintAsync(string connectionString)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        var parts = new List<string>();
        foreach (var table in _tables)
        {
            // Table names come from the fixed list above; rows are ordered by their whole text, whatever the key.
            await using var command = new Npgsql.NpgsqlCommand(
                $"SELECT count(*)::text || ' rows, ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') FROM {table} t", connection);
            parts.Add($"{table}: {await command.ExecuteScalarAsync(TestContext.Current.CancellationToken)}");
        }
        await using (var webhooks = new Npgsql.NpgsqlCommand("SELECT count(*) FROM webhook_deliveries", connection))
        {
            parts.Add($"webhook_deliveries: {await webhooks.ExecuteScalarAsync(TestContext.Current.CancellationToken)} rows");
        }
        return string.Join("; ", parts);
    }
}

/// <summary>Connections made through the popup with the legacy public key, for tests that need one quickly.</summary>
public static class AuthConnections
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs the OAuth popup on <paramref name="web"/> for <paramref name="connectionId"/> and asserts it succeeded.</summary>
    public static async Task ConnectAsync(AuthWorld world, Infrastructure.NangoWebFactory web, string key, string connectionId)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(web);
        var publicKey = (await web.Services.GetRequiredService<EnvironmentService>().GetSettingsAsync(world.Environment, Ct)).PublicKey;
        using var popup = new AuthPopup();
        var (page, _) = await popup.RunAsync(AuthPopup.ConnectUrl(web.ServerUrl, key, $"public_key={publicKey}&connection_id={connectionId}"));
        Assert.True(page.Succeeded, $"{page.Status} {page.ErrorType}: {page.ErrorMessage}");
    }

    /// <summary>The credentials as stored, read without going through the refresh that <c>GET /connections/:id</c> does.</summary>
    public static async Task<JsonObject> StoredCredentialsAsync(AuthWorld world, string key, string connectionId)
    {
        ArgumentNullException.ThrowIfNull(world);
        var result = await world.Web.Services.GetRequiredService<Nango.Core.Connections.ConnectionService>()
            .GetAsync(world.Environment, key, connectionId, markFetched: false, Ct);
        Assert.NotNull(result.Connection);
        return result.Connection.Credentials;
    }
}
