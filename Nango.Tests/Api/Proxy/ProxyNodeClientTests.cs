using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Nango.Tests.Api.Proxy.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// Runs <c>node/proxy.mjs</c> once: the official <c>@nangohq/node</c> 0.71.10 client's <c>proxy</c>, <c>get</c>,
/// <c>post</c>, <c>patch</c>, <c>put</c> and <c>delete</c> against the loopback upstream through an API-key connection.
/// Each test checks one group of calls, from what the client handed back and what the upstream received.
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyNodeClientTests(ProxyWorld world)
{
    private static readonly SemaphoreSlim _runLock = new(1, 1);
    private static (string Base, JsonNode Result)? _run;

    private static string Upstream(string @base, string path) => "/api-key" + @base + path;

    /// <summary>The script's output, produced once for all the tests of this class.</summary>
    private async Task<(string Base, JsonNode Result)> RunAsync()
    {
        await _runLock.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_run is null)
            {
                var @base = ProxyCalls.UniquePath("node");
                world.Upstream.On(Upstream(@base, "/flaky"), ProxyUpstream.FailThenEcho(503, 503));
                world.Upstream.On(Upstream(@base, "/conflict"), ProxyUpstream.FailThenEcho(409));
                world.Upstream.On(Upstream(@base, "/unavailable"), (context, _, _) => ProxyUpstream.JsonAsync(context, 503, new { message = "down for maintenance" }));
                world.Upstream.On(Upstream(@base, "/missing"), (context, _, _) => ProxyUpstream.JsonAsync(context, 404, new { message = "no such item" }));
                var result = await Infrastructure.NodeClient.RunAsync("proxy.mjs", world.Web.ServerUrl, world.Web.SecretKey, new Dictionary<string, string>
                {
                    ["NANGO_ARGS"] = JsonSerializer.Serialize(new { key = ProxyCatalog.ApiKey, connectionId = ProxyWorld.ConnectionId, @base }),
                }, TestContext.Current.CancellationToken);
                _run = (@base, result);
            }
            return _run.Value;
        }
        finally
        {
            _runLock.Release();
        }
    }

    /// <summary>The upstream's echo of one call, as the client returned it.</summary>
    private static JsonNode Echo(JsonNode result, string step)
    {
        Assert.Equal(200, (int)result[step]!["status"]!);
        return result[step]!["data"]!;
    }

    [Fact]
    public async Task Get_sends_params_as_the_query_and_headers_with_the_nango_proxy_prefix()
    {
        var (@base, result) = await RunAsync();

        var echo = Echo(result, "get");
        Assert.Equal("GET", (string?)echo["method"]);
        Assert.Equal(Upstream(@base, "/items"), (string?)echo["path"]);
        var query = QueryHelpers.ParseQuery((string?)echo["query"]);
        Assert.Equal(("2", "a b&c"), (query["page"].ToString(), query["q"].ToString()));
        Assert.Equal("custom-1", (string?)echo["headers"]!["x-custom"]);
        Assert.Equal("Bearer " + ProxyWorld.ApiKeyValue, (string?)echo["headers"]!["authorization"]);
        Assert.Equal("provider-value", (string?)echo["headers"]!["x-provider-header"]);
        Assert.StartsWith("application/json", (string?)result["get"]!["contentType"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("post", "POST", "/items", """{"name":"widget","count":2,"tags":["a","b"]}""")]
    [InlineData("patch", "PATCH", "/items/7", """{"name":"patched"}""")]
    [InlineData("put", "PUT", "/items/7", """{"name":"replaced","count":3}""")]
    public async Task Post_patch_and_put_send_their_json_body(string step, string method, string path, string body)
    {
        var (@base, result) = await RunAsync();

        var echo = Echo(result, step);
        Assert.Equal(method, (string?)echo["method"]);
        Assert.Equal(Upstream(@base, path), (string?)echo["path"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), JsonNode.Parse((string)echo["body"]!)), $"Body sent: {echo["body"]}");
        Assert.StartsWith("application/json", (string?)echo["headers"]!["content-type"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_reaches_the_provider_as_a_delete()
    {
        var (@base, result) = await RunAsync();

        var echo = Echo(result, "delete");
        Assert.Equal("DELETE", (string?)echo["method"]);
        Assert.Equal(Upstream(@base, "/items/7"), (string?)echo["path"]);
    }

    [Fact]
    public async Task Proxy_keeps_a_query_written_in_the_endpoint_and_a_custom_content_type()
    {
        var (@base, result) = await RunAsync();

        var raw = Echo(result, "proxyGet");
        var text = Echo(result, "proxyText");

        Assert.Equal(Upstream(@base, "/raw"), (string?)raw["path"]);
        Assert.Equal("?x=1&y=two", (string?)raw["query"]);
        Assert.Equal("POST", (string?)text["method"]);
        Assert.Equal("plain text body", (string?)text["body"]);
        Assert.StartsWith("text/plain", (string?)text["headers"]!["content-type"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retries_and_retry_on_make_the_proxy_try_again()
    {
        var (@base, result) = await RunAsync();

        Assert.Equal(Upstream(@base, "/flaky"), (string?)Echo(result, "retries")["path"]);
        Assert.Equal(Upstream(@base, "/conflict"), (string?)Echo(result, "retryOn")["path"]);
        Assert.Equal(3, world.Upstream.Received(Upstream(@base, "/flaky")).Count);
        Assert.Equal(2, world.Upstream.Received(Upstream(@base, "/conflict")).Count);
        // Without retries, one attempt and the provider's own answer.
        Assert.Equal(503, (int)result["noRetries"]!["status"]!);
        Assert.Equal("down for maintenance", (string?)result["noRetries"]!["data"]!["message"]);
        Assert.Single(world.Upstream.Received(Upstream(@base, "/unavailable")));
    }

    [Fact]
    public async Task Errors_reach_the_client_with_the_providers_status_and_body_or_nangos_envelope()
    {
        var (@base, result) = await RunAsync();

        Assert.Equal(404, (int)result["upstreamError"]!["status"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"message":"no such item"}"""), result["upstreamError"]!["data"]));
        Assert.Equal(404, (int)result["unknownConnection"]!["status"]!);
        Assert.Equal("unknown_connection", (string?)result["unknownConnection"]!["data"]!["error"]!["code"]);
        Assert.DoesNotContain(world.Upstream.ReceivedUnder(Upstream(@base, "/items")), r => r.Method == "GET" && r.RawQuery.Length == 0);
    }
}
