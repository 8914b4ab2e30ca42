using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Providers;
using Nango.Core.Webhooks;
using Nango.Core.Webhooks.Incoming;

namespace Nango.Tests.Unit.Webhooks;

public sealed class WebhookRoutingTests
{
    private static readonly ProviderCatalog _catalog = new(Options.Create(new NangoOptions()));

    private static IncomingWebhookRequestParts Request(string body, string contentType = "application/json", Dictionary<string, string>? headers = null, Dictionary<string, string>? query = null) =>
        new(IncomingWebhookBody.Parse(Encoding.UTF8.GetBytes(body), contentType),
            new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase),
            query ?? new Dictionary<string, string>());

    private static WebhookRouteMatch? Route(string provider, IncomingWebhookRequestParts request) =>
        WebhookRouting.Evaluate(_catalog.Find(provider)!.WebhookRouting, request);

    [Fact]
    public void GitHub_App_routes_by_installation_id_to_the_installation_id_in_connection_config()
    {
        var match = Route("github-app", Request("""{"action":"opened","installation":{"id":38631545}}"""));

        Assert.NotNull(match);
        Assert.Equal((WebhookConnectionField.ConnectionConfig, "installation_id"), (match.Route.Field, match.Route.Key));
        Assert.Equal(["38631545"], match.Values);
        Assert.Null(Route("github-app", Request("""{"zen":"no installation here"}""")));
    }

    [Fact]
    public void Slack_routes_by_team_id_or_team_dot_id_from_json_or_from_the_json_in_a_form_payload()
    {
        var eventCallback = Route("slack", Request("""{"type":"event_callback","team_id":"T1","event":{}}"""));
        var interaction = Route("slack", Request("payload=" + Uri.EscapeDataString("""{"type":"block_actions","team":{"id":"T2"}}"""), "application/x-www-form-urlencoded"));
        var slashCommand = Route("slack", Request("token=x&team_id=T3&command=%2Fdeploy&text=hello+world", "application/x-www-form-urlencoded; charset=utf-8"));

        Assert.Equal(["T1"], eventCallback!.Values);
        Assert.Equal(["T2"], interaction!.Values);
        Assert.Equal(["T3"], slashCommand!.Values);
        Assert.All(new[] { eventCallback!, interaction!, slashCommand! }, m => Assert.Equal("connection_config.team.id", m.Route.MatchText));
    }

    [Fact]
    public void HubSpot_batch_gives_each_portal_once()
    {
        var match = Route("hubspot", Request("""[{"portalId":1,"subscriptionType":"a"},{"portalId":2},{"portalId":1},{"objectId":9}]"""));

        Assert.Equal(["1", "2"], match!.Values);
        Assert.Equal(["a"], WebhookRouting.Read(_catalog.Find("hubspot")!.WebhookEventType!, Request("""[{"portalId":1,"subscriptionType":"a"}]""")));
    }

    [Fact]
    public void Paths_read_literal_dotted_keys_array_indexes_and_headers_in_any_case()
    {
        var body = JsonNode.Parse("""{"team.id":"flat","team":{"id":"nested"},"items":[{"id":5}]}""");

        Assert.Equal("flat", (string?)WebhookRouting.Get(body, "team.id"));
        Assert.Equal(5, (int?)WebhookRouting.Get(body, "items.0.id"));
        Assert.Null(WebhookRouting.Get(body, "items.3.id"));
        Assert.Equal(["push"], WebhookRouting.Read(_catalog.Find("github-app")!.WebhookEventType!, Request("{}", headers: new() { ["x-github-event"] = "push" })));
        Assert.Equal(["q1"], WebhookRouting.Read(new ProviderWebhookSource(WebhookValueOrigin.Query, "account"), Request("", query: new() { ["account"] = "q1" })));
    }

    [Fact]
    public void Bodies_are_read_as_nango_reads_them()
    {
        var empty = IncomingWebhookBody.Parse([], "application/json");
        var text = IncomingWebhookBody.Parse(Encoding.UTF8.GetBytes("not json"), "text/plain");
        var jsonAsText = IncomingWebhookBody.Parse(Encoding.UTF8.GetBytes("""{"a":1}"""), "text/plain");
        var form = IncomingWebhookBody.Parse(Encoding.UTF8.GetBytes("a=1&a=2&b=x%20y&c"), "application/x-www-form-urlencoded");
        var duplicateKeys = IncomingWebhookBody.Parse(Encoding.UTF8.GetBytes("""{"a":1,"a":2}"""), "application/json");

        Assert.Equal(("empty", "{}"), (empty.Kind, empty.Payload.ToJsonString()));
        Assert.Equal(("text", "not json"), (text.Kind, (string?)text.Payload));
        Assert.Equal("json", jsonAsText.Kind);
        Assert.Equal("""{"a":["1","2"],"b":"x y","c":""}""", form.Payload.ToJsonString());
        Assert.Equal(("text", """{"a":1,"a":2}"""), (duplicateKeys.Kind, (string?)duplicateKeys.Payload));
    }

    [Fact]
    public void Passed_on_headers_leave_out_credentials_transport_and_our_own_signature_names()
    {
        var passed = WebhookPayloads.PassThroughHeaders(
        [
            new("X-GitHub-Event", "push"), new("Authorization", "Bearer t"), new("Cookie", "a=b"), new("Host", "nango"),
            new("Content-Type", "application/json"), new("Content-Length", "2"), new("User-Agent", "GitHub-Hookshot"),
            new("X-Forwarded-For", "1.2.3.4"), new("Sec-Fetch-Mode", "cors"), new("Proxy-Authorization", "x"),
            new("X-Nango-Hmac-Sha256", "forged"), new("webhook-signature", "forged"), new("Transfer-Encoding", "chunked"),
            new("X-Custom", "1"), new("x-custom", "2"),
        ]);

        Assert.Equal(["X-GitHub-Event", "X-Custom"], passed.Keys);
        Assert.Equal("1, 2", passed["X-Custom"]);
    }
}
