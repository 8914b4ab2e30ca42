using System.Collections.Concurrent;

namespace Nango.Tests.Infrastructure.OAuthServer;

/// <summary>
/// What the authorization server saw, so tests can assert on traffic rather than on timing: how many token
/// requests arrived per grant type (refused ones included), how many were answered with tokens, and how
/// many times the protected API was called.
/// </summary>
public sealed class OAuthServerCounters
{
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _issued = new(StringComparer.Ordinal);
    private int _authorizations;
    private int _apiRequests;

    /// <summary>Token requests that arrived with this <c>grant_type</c>, whatever the answer.</summary>
    public int TokenRequests(string grantType) => _requests.GetValueOrDefault(grantType);

    /// <summary>Token requests with this <c>grant_type</c> that were answered with tokens.</summary>
    public int TokensIssued(string grantType) => _issued.GetValueOrDefault(grantType);

    /// <summary>Refresh tokens redeemed successfully; with rotation each one can be redeemed once.</summary>
    public int RefreshTokensUsed => TokensIssued("refresh_token");

    /// <summary>Authorization codes handed out after the test user signed in and allowed access.</summary>
    public int AuthorizationsGranted => Volatile.Read(ref _authorizations);

    /// <summary>Calls to the protected API (<c>/api/…</c>), with or without a valid token.</summary>
    public int ApiRequests => Volatile.Read(ref _apiRequests);

    public void Reset()
    {
        _requests.Clear();
        _issued.Clear();
        Interlocked.Exchange(ref _authorizations, 0);
        Interlocked.Exchange(ref _apiRequests, 0);
    }

    internal void TokenRequested(string grantType) => _requests.AddOrUpdate(grantType, 1, (_, n) => n + 1);

    internal void TokenIssued(string grantType) => _issued.AddOrUpdate(grantType, 1, (_, n) => n + 1);

    internal void AuthorizationGranted() => Interlocked.Increment(ref _authorizations);

    internal void ApiRequested() => Interlocked.Increment(ref _apiRequests);
}
