using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Webhooks;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>
/// An async action's end is announced to the app (reference §4.5, <c>on_async_action_completion</c>): one signed
/// <c>async_action</c> webhook naming the action's id and where to read its result, whether it succeeded or failed.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ActionCompletionWebhookTests(NangoWebFactory web) : IClassFixture<NangoWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_ended_async_action_sends_one_signed_async_action_webhook_pointing_at_its_result()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (client, env) = await web.NewAccountWithActionsAsync(new Dictionary<string, string>
        {
            ["echo"] = "async (nango, input) => ({ echo: input })",
            ["fail"] = "async () => { throw new Error('upstream said no'); }",
        });
        var environments = web.Services.GetRequiredService<EnvironmentService>();
        await environments.UpdateWebhookSettingsAsync(env, new WebhookSettingsUpdate(receiver.Url.ToString(), null, true, true, true, false, true), Ct);

        var succeeded = await AcceptedIdAsync(await client.TriggerAsync("echo", new JsonObject { ["n"] = 1 }, async: true));
        var first = await receiver.NextAsync(TimeSpan.FromSeconds(60));
        var failed = await AcceptedIdAsync(await client.TriggerAsync("fail", async: true, maxRetries: 0));
        var second = await receiver.NextAsync(TimeSpan.FromSeconds(60));

        var signingKey = await environments.RevealWebhookSigningKeyAsync(env, Ct);
        foreach (var (arrived, id) in new[] { (first, succeeded), (second, failed) })
        {
            Assert.Equal(WebhookSigner.NangoHmac(signingKey, arrived.Body), arrived.Header("x-nango-hmac-sha256"));
            var body = JsonNode.Parse(arrived.BodyText)!;
            Assert.Equal(("nango", "async_action", "conn-1", "github"),
                ((string?)body["from"], (string?)body["type"], (string?)body["connectionId"], (string?)body["providerConfigKey"]));
            Assert.Equal(id, (string?)body["payload"]!["id"]);
            Assert.Equal($"/action/{id}", (string?)body["payload"]!["statusUrl"]);
        }
        using var result = await client.GetAsync(new Uri($"/action/{succeeded}", UriKind.Relative), Ct);
        Assert.Equal("""{"echo":{"n":1}}""", (await result.ReadJsonAsync()).ToJsonString());
        using var failure = await client.GetAsync(new Uri($"/action/{failed}", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.InternalServerError, failure.StatusCode);
        Assert.Equal(2, receiver.All.Count);
    }

    private static async Task<string> AcceptedIdAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.ReadJsonAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, body.ToJsonString());
            return (string)body["id"]!;
        }
    }
}
