using Microsoft.EntityFrameworkCore;
using Nango.Core.Environments;
using Nango.Core.Functions.Tasks;
using Nango.Core.Persistence;
using Nango.Core.Webhooks;

namespace Nango.Core.Functions.Actions;

/// <summary>The <c>async_action</c> webhook (reference §4.5): tells the app an async action ended and where its result is.</summary>
public sealed class ActionWebhooks(IDbContextFactory<NangoDbContext> contextFactory, WebhookPublisher publisher)
{
    public async Task AsyncActionEndedAsync(EnvironmentContext env, FunctionTask task, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(task);
        await using var db = await contextFactory.CreateDbContextAsync(ct);
        var connection = await db.Connections.AsNoTracking().SingleOrDefaultAsync(c => c.Id == task.ConnectionId, ct);
        var integration = await db.Integrations.AsNoTracking().SingleOrDefaultAsync(i => i.Id == task.IntegrationId, ct);
        if (connection is null || integration is null)
        {
            return;
        }
        var id = task.RetryKey.ToString();
        var body = WebhookPayloads.AsyncAction(connection.ConnectionId, integration.UniqueKey, id, ActionPaths.Status(task.RetryKey));
        await publisher.PublishAsync(db, new WebhookMessage(env.EnvironmentId, WebhookTopic.AsyncAction, body, connection), ct);
        await db.SaveChangesAsync(ct);
    }
}

public static class ActionPaths
{
    /// <summary>Where an async action's result is read (<c>GET /action/:id</c>).</summary>
    public static string Status(Guid id) => $"/action/{id}";
}
