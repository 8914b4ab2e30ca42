using System.Globalization;
using System.Net;
using Nango.Tests.Api.Proxy.Support;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// When the proxy tries again (<c>Retries</c>, <c>Retry-On</c>, the provider's <c>proxy.retry</c> rules) and how long it
/// waits: one test per rule. Backoff starts at 50 ms in this world, so a wait of a second or more can only come from
/// the rule under test. (The 401 rule, which refreshes credentials first, is in <see cref="ProxyCredentialRefreshTests"/>.)
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyRetryTests(ProxyWorld world) : IDisposable
{
    private readonly HttpClient _api = world.Web.CreateApiClient();

    public void Dispose() => _api.Dispose();

    /// <summary>Registers <paramref name="handler"/> on a fresh path of <paramref name="key"/>'s folder; returns the endpoint and the upstream path.</summary>
    private (string Endpoint, string UpstreamPath) Route(string key, string name, UpstreamHandler handler)
    {
        var endpoint = ProxyCalls.UniquePath(name);
        var upstreamPath = ProxyCatalog.Folder(key) + endpoint;
        world.Upstream.On(upstreamPath, handler);
        return (endpoint, upstreamPath);
    }

    private Task<HttpResponseMessage> CallAsync(string key, string endpoint, params (string, string)[] headers) =>
        _api.ProxyAsync(HttpMethod.Get, endpoint, key, ProxyWorld.ConnectionId, headers);

    private IReadOnlyList<UpstreamRequest> Attempts(string upstreamPath) => world.Upstream.Received(upstreamPath);

    /// <summary>Time between consecutive attempts as the upstream saw them arrive.</summary>
    private List<TimeSpan> Gaps(string upstreamPath)
    {
        var attempts = Attempts(upstreamPath);
        return attempts.Zip(attempts.Skip(1), (a, b) => b.ReceivedAt - a.ReceivedAt).ToList();
    }

    private static (int, (string, string)[], object?) Answer(int status, params (string, string)[] headers) => (status, headers, null);

    [Fact]
    public async Task Server_errors_are_retried_until_the_provider_answers()
    {
        var (endpoint, upstream) = Route(ProxyCatalog.ApiKey, "5xx", ProxyUpstream.FailThenEcho(503, 500, 502));

        var response = await CallAsync(ProxyCatalog.ApiKey, endpoint, ("Retries", "3"));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(4, Attempts(upstream).Count);
    }

    [Fact]
    public async Task A_429_is_retried_after_the_retry_after_seconds()
    {
        var (endpoint, upstream) = Route(ProxyCatalog.ApiKey, "429", ProxyUpstream.FailThenEcho(Answer(429, ("Retry-After", "1"))));

        var response = await CallAsync(ProxyCatalog.ApiKey, endpoint, ("Retries", "1"));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var gap = Assert.Single(Gaps(upstream));
        Assert.True(gap >= TimeSpan.FromMilliseconds(950), $"Retried {gap.TotalMilliseconds:0} ms after a Retry-After of 1 s.");
    }

    [Fact]
    public async Task Retry_on_makes_the_listed_statuses_retryable()
    {
        var (listed, listedUpstream) = Route(ProxyCatalog.ApiKey, "retry-on", ProxyUpstream.FailThenEcho(409, 410));
        var (unlisted, unlistedUpstream) = Route(ProxyCatalog.ApiKey, "retry-on-unlisted", ProxyUpstream.FailThenEcho(409));

        var retried = await CallAsync(ProxyCatalog.ApiKey, listed, ("Retries", "2"), ("Retry-On", "409,410"));
        var notRetried = await CallAsync(ProxyCatalog.ApiKey, unlisted, ("Retries", "2"));

        await retried.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(3, Attempts(listedUpstream).Count);
        await notRetried.AssertStatusAsync(HttpStatusCode.Conflict);
        Assert.Single(Attempts(unlistedUpstream));
    }

    [Fact]
    public async Task Provider_at_header_sets_the_instant_of_the_retry()
    {
        var at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 2;
        var (endpoint, upstream) = Route(ProxyCatalog.RetryAt, "at",
            ProxyUpstream.FailThenEcho(Answer(429, ("x-rate-reset", at.ToString(CultureInfo.InvariantCulture)))));

        var response = await CallAsync(ProxyCatalog.RetryAt, endpoint, ("Retries", "1"));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var retry = Attempts(upstream)[1].ReceivedAt;
        var instant = DateTimeOffset.FromUnixTimeSeconds(at);
        Assert.True(retry >= instant.AddMilliseconds(-50), $"Retried at {retry:HH:mm:ss.fff}, before the provider's reset at {instant:HH:mm:ss.fff}.");
    }

    [Fact]
    public async Task Provider_after_header_sets_the_wait()
    {
        var (endpoint, upstream) = Route(ProxyCatalog.RetryAfter, "after", ProxyUpstream.FailThenEcho(Answer(429, ("x-wait-seconds", "1"))));

        var response = await CallAsync(ProxyCatalog.RetryAfter, endpoint, ("Retries", "1"));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var gap = Assert.Single(Gaps(upstream));
        Assert.True(gap >= TimeSpan.FromMilliseconds(950), $"Retried {gap.TotalMilliseconds:0} ms after the provider asked for 1 s.");
    }

    [Fact]
    public async Task Provider_remaining_header_at_zero_makes_a_refusal_retryable()
    {
        var (exhausted, exhaustedUpstream) = Route(ProxyCatalog.RetryRemaining, "remaining-0", ProxyUpstream.FailThenEcho(Answer(403, ("x-rate-remaining", "0"))));
        var (left, leftUpstream) = Route(ProxyCatalog.RetryRemaining, "remaining-3", ProxyUpstream.FailThenEcho(Answer(403, ("x-rate-remaining", "3"))));

        var retried = await CallAsync(ProxyCatalog.RetryRemaining, exhausted, ("Retries", "1"));
        var refused = await CallAsync(ProxyCatalog.RetryRemaining, left, ("Retries", "1"));

        await retried.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(2, Attempts(exhaustedUpstream).Count);
        await refused.AssertStatusAsync(HttpStatusCode.Forbidden);
        Assert.Single(Attempts(leftUpstream));
    }

    [Fact]
    public async Task Provider_error_codes_replace_the_default_retryable_statuses()
    {
        // The provider lists 403 and the range 520-522; 503 and 429 are no longer retried for it.
        var (forbidden, forbiddenUpstream) = Route(ProxyCatalog.RetryErrorCode, "code-403", ProxyUpstream.FailThenEcho(403));
        var (ranged, rangedUpstream) = Route(ProxyCatalog.RetryErrorCode, "code-521", ProxyUpstream.FailThenEcho(521));
        var (unavailable, unavailableUpstream) = Route(ProxyCatalog.RetryErrorCode, "code-503", ProxyUpstream.FailThenEcho(503));
        var (limited, limitedUpstream) = Route(ProxyCatalog.RetryErrorCode, "code-429", ProxyUpstream.FailThenEcho(429));

        var results = new List<HttpResponseMessage>();
        foreach (var endpoint in new[] { forbidden, ranged, unavailable, limited })
        {
            results.Add(await CallAsync(ProxyCatalog.RetryErrorCode, endpoint, ("Retries", "2")));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.TooManyRequests], results.Select(r => r.StatusCode));
        Assert.Equal([2, 2, 1, 1], new[] { forbiddenUpstream, rangedUpstream, unavailableUpstream, limitedUpstream }.Select(p => Attempts(p).Count));
    }

    [Fact]
    public async Task Provider_in_body_rule_reads_the_wait_from_the_error_body()
    {
        var (endpoint, upstream) = Route(ProxyCatalog.RetryInBody, "in-body",
            ProxyUpstream.FailThenEcho((429, [], new { error = new { code = 42, message = "Too many requests, retry in 1 s" } })));

        var response = await CallAsync(ProxyCatalog.RetryInBody, endpoint, ("Retries", "1"));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var gap = Assert.Single(Gaps(upstream));
        Assert.True(gap >= TimeSpan.FromMilliseconds(950), $"Retried {gap.TotalMilliseconds:0} ms after the body asked for 1 s.");
    }

    [Fact]
    public async Task Retries_0_or_no_retries_header_means_a_single_attempt()
    {
        var (zero, zeroUpstream) = Route(ProxyCatalog.ApiKey, "retries-0", ProxyUpstream.FailThenEcho(503));
        var (absent, absentUpstream) = Route(ProxyCatalog.ApiKey, "retries-absent", ProxyUpstream.FailThenEcho(503));

        var withZero = await CallAsync(ProxyCatalog.ApiKey, zero, ("Retries", "0"));
        var withoutHeader = await CallAsync(ProxyCatalog.ApiKey, absent);

        await withZero.AssertStatusAsync(HttpStatusCode.ServiceUnavailable);
        await withoutHeader.AssertStatusAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Single(Attempts(zeroUpstream));
        Assert.Single(Attempts(absentUpstream));
    }

    [Fact]
    public async Task When_the_retries_run_out_the_last_answer_is_returned_as_it_came()
    {
        var (endpoint, upstream) = Route(ProxyCatalog.ApiKey, "exhausted", (context, _, attempt) =>
            ProxyUpstream.JsonAsync(context, 503, new { attempt }, ("X-Attempt", attempt.ToString(CultureInfo.InvariantCulture))));

        var response = await CallAsync(ProxyCatalog.ApiKey, endpoint, ("Retries", "2"));

        Assert.Equal("""{"attempt":2}""", await response.AssertStatusAsync(HttpStatusCode.ServiceUnavailable));
        Assert.Equal("2", response.Header("X-Attempt"));
        Assert.Equal(3, Attempts(upstream).Count);
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        var (endpoint, upstream) = Route(ProxyCatalog.ApiKey, "dropped", async (context, request, attempt) =>
        {
            if (attempt == 0)
            {
                context.Abort();
                return;
            }
            await ProxyUpstream.EchoAsync(context, request);
        });

        var response = await CallAsync(ProxyCatalog.ApiKey, endpoint, ("Retries", "1"));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Equal(2, Attempts(upstream).Count);
    }

    [Fact]
    public async Task An_unreachable_provider_is_502_proxy_request_failed_after_the_retries()
    {
        var closed = Infrastructure.NangoWebFactory.FreePort().ToString(CultureInfo.InvariantCulture);

        var response = await CallAsync(ProxyCatalog.ApiKey, "/unreachable", ("Retries", "1"), ("Base-Url-Override", $"http://127.0.0.1:{closed}"));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadGateway, "proxy_request_failed");
        Assert.False(string.IsNullOrEmpty((string?)error["message"]));
    }

    [Fact]
    public async Task Backoff_doubles_from_the_base_delay()
    {
        var (endpoint, upstream) = Route(ProxyCatalog.ApiKey, "backoff", ProxyUpstream.FailThenEcho(503, 503, 503, 503));

        var response = await CallAsync(ProxyCatalog.ApiKey, endpoint, ("Retries", "4"));

        await response.AssertStatusAsync(HttpStatusCode.OK);
        var gaps = Gaps(upstream);
        Assert.Equal(4, gaps.Count);
        for (var i = 0; i < gaps.Count; i++)
        {
            // 50, 100, 200, 400 ms; a little slack for the clock's granularity.
            var least = ProxyCalls.RetryBaseDelay * Math.Pow(2, i) - TimeSpan.FromMilliseconds(5);
            Assert.True(gaps[i] >= least, $"Wait {i + 1} was {gaps[i].TotalMilliseconds:0} ms, expected at least {least.TotalMilliseconds:0} ms: {string.Join(", ", gaps.Select(g => g.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)))}");
        }
    }
}
