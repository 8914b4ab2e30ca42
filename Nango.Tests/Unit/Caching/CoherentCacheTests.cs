using Microsoft.Extensions.Time.Testing;
using Nango.Core.Caching;

namespace Nango.Tests.Unit.Caching;

public sealed class CoherentCacheTests
{
    private readonly FakeTimeProvider _clock = new();
    private readonly ChangeSignals _signals = new();

    private CoherentCache<string, string> Create(TimeSpan ttl)
    {
        var cache = new CoherentCache<string, string>(_signals, _clock, ttl);
        _signals.Changed += signal =>
        {
            if (signal.Scope == ChangeScope.All)
            {
                cache.Clear();
            }
            else
            {
                cache.Remove(signal.ConnectionId!);
            }
        };
        return cache;
    }

    [Fact]
    public void An_entry_is_served_until_its_ttl_and_never_after()
    {
        _signals.SetListening(true);
        var cache = Create(TimeSpan.FromSeconds(5));
        cache.Store("k", "v", cache.Generation);

        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.True(cache.TryGet("k", out var value));
        Assert.Equal("v", value);
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void A_load_that_overlapped_a_change_is_not_stored()
    {
        _signals.SetListening(true);
        var cache = Create(TimeSpan.FromSeconds(5));
        var generation = cache.Generation;

        // The row changes (and is announced) while the load that read its old version is still running.
        _signals.Publish(new ChangeSignal(ChangeScope.Connection, 1, "k"));
        cache.Store("k", "stale", generation);

        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void A_signalled_change_evicts_the_entry()
    {
        _signals.SetListening(true);
        var cache = Create(TimeSpan.FromSeconds(5));
        cache.Store("k", "v", cache.Generation);

        _signals.Publish(new ChangeSignal(ChangeScope.Connection, 1, "k"));

        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void Nothing_is_served_or_stored_while_changes_cannot_be_heard()
    {
        _signals.SetListening(true);
        var cache = Create(TimeSpan.FromSeconds(5));
        cache.Store("k", "v", cache.Generation);

        _signals.SetListening(false);
        Assert.False(cache.TryGet("k", out _));
        cache.Store("k", "v", cache.Generation);
        _signals.SetListening(true);

        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void A_zero_ttl_turns_the_cache_off()
    {
        _signals.SetListening(true);
        var cache = Create(TimeSpan.Zero);
        cache.Store("k", "v", cache.Generation);

        Assert.False(cache.TryGet("k", out _));
    }

    [Theory]
    [InlineData("c:12:user:42", ChangeScope.Connection, 12, "user:42")]
    [InlineData("i:7", ChangeScope.Integration, 7, null)]
    [InlineData("e:3", ChangeScope.Environment, 3, null)]
    [InlineData("x:3", ChangeScope.All, 0, null)]
    [InlineData("c:nope", ChangeScope.All, 0, null)]
    public void Trigger_payloads_parse_to_their_scope(string payload, ChangeScope scope, int environmentId, string? connectionId)
    {
        Assert.Equal(new ChangeSignal(scope, environmentId, connectionId), ChangeSignal.Parse(payload));
    }
}
