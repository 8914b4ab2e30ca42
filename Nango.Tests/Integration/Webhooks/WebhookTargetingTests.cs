using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Webhooks;
using static Nango.Tests.Integration.Webhooks.WebhookHarness;

namespace Nango.Tests.Integration.Webhooks;

/// <summary>Which events are queued, and to which URLs: the environment's toggles, its two URLs, and a connection's override.</summary>
[Trait("Category", "Integration")]
public sealed class WebhookTargetingTests : IAsyncLifetime
{
    private const string Primary = "http://127.0.0.1:9/primary";
    private const string Secondary = "http://127.0.0.1:9/secondary";
    private const string Override = "http://127.0.0.1:9/override";

    // Delivery off: these tests read the outbox, not a receiver.
    private readonly WebhookFactory _web = new(("Nango:Webhooks:DeliveryEnabled", "false"));

    public ValueTask InitializeAsync() => _web.InitializeAsync();

    public ValueTask DisposeAsync() => _web.DisposeAsync();

    [Fact]
    public async Task Each_event_goes_to_the_primary_and_the_secondary_url_once_with_one_event_id()
    {
        var env = await SetAsync(new WebhookSettingsUpdate(Primary, Secondary, true, true, true, false, true));

        var rows = await PublishAsync(_web, Unordered(env, "one"));

        Assert.Equal([Primary, Secondary], rows.Select(r => r.TargetUrl).Order().ToArray());
        Assert.Single(rows.Select(r => r.EventId).Distinct());
    }

    [Fact]
    public async Task A_secondary_url_equal_to_the_primary_gets_one_delivery()
    {
        var env = await SetAsync(new WebhookSettingsUpdate(Primary, Primary, true, true, true, false, true));

        var rows = await PublishAsync(_web, Unordered(env, "one"));

        Assert.Equal(Primary, Assert.Single(rows).TargetUrl);
    }

    [Fact]
    public async Task A_connection_override_replaces_the_environment_urls()
    {
        var env = await SetAsync(new WebhookSettingsUpdate(Primary, Secondary, true, true, true, false, true));
        var connection = (await CreateConnectionsAsync(_web, "github", "c-1"))[0];
        await using (var db = await CreateDbAsync(_web))
        {
            await db.Connections.Where(c => c.Id == connection.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.WebhookUrlOverride, Override), Ct);
        }
        connection.WebhookUrlOverride = Override;

        var rows = await PublishAsync(_web, Sequenced(env, connection, 1));

        var row = Assert.Single(rows);
        Assert.Equal(Override, row.TargetUrl);
        Assert.Equal(connection.Id, row.ConnectionId);
    }

    [Fact]
    public async Task Toggles_that_are_off_queue_nothing_and_forwards_ignore_them()
    {
        var env = await SetAsync(new WebhookSettingsUpdate(Primary, null, SendAuthWebhook: false, SendRefreshFailedWebhook: false,
            SendSyncErrorWebhook: false, AlwaysSendSyncCompletionWebhook: false, SendAsyncActionWebhook: false));
        var body = new JsonObject { ["from"] = "nango", ["type"] = "auth" };

        var rows = await PublishAsync(_web,
            new WebhookMessage(env.EnvironmentId, WebhookTopic.AuthCreation, body),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.AuthRefreshError, body),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.SyncError, new JsonObject { ["type"] = "sync" }),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.SyncSuccess, new JsonObject { ["type"] = "sync" }, HasChanges: false),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.AsyncAction, new JsonObject { ["type"] = "async_action" }),
            new WebhookMessage(env.EnvironmentId, WebhookTopic.Forward, new JsonObject { ["type"] = "forward" }));

        Assert.Equal("forward", Assert.Single(rows).EventType);
    }

    [Fact]
    public async Task A_sync_without_changes_is_sent_only_when_on_sync_completion_always_is_on()
    {
        var quiet = await SetAsync(new WebhookSettingsUpdate(Primary, null, true, true, true, AlwaysSendSyncCompletionWebhook: false, true));
        var withChanges = new WebhookMessage(quiet.EnvironmentId, WebhookTopic.SyncSuccess, new JsonObject { ["type"] = "sync" }, HasChanges: true);
        var withoutChanges = withChanges with { HasChanges = false };

        Assert.Single(await PublishAsync(_web, withChanges, withoutChanges));

        await SetAsync(new WebhookSettingsUpdate(Primary, null, true, true, true, AlwaysSendSyncCompletionWebhook: true, true));
        Assert.Equal(2, (await PublishAsync(_web, withChanges, withoutChanges)).Count);
    }

    [Fact]
    public async Task Without_any_url_nothing_is_queued()
    {
        var env = await SetAsync(new WebhookSettingsUpdate(null, null, true, true, true, true, true));

        Assert.Empty(await PublishAsync(_web, Unordered(env, "one")));
    }

    private async Task<EnvironmentContext> SetAsync(WebhookSettingsUpdate update)
    {
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        await _web.Services.GetRequiredService<EnvironmentService>().UpdateWebhookSettingsAsync(env, update, Ct);
        return env;
    }
}
