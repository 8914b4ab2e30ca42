using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Nango.Tests.Infrastructure.AuthModes;

/// <summary>
/// A provider on its own loopback port for the auth modes beyond OAuth 2: an OAuth 1.0a server (temporary
/// credentials, an authorize page that approves at once, token credentials) that checks every signature with
/// <see cref="OAuth1Verifier"/>, and an API under <c>/oauth1/api</c> that accepts OAuth 1 signed calls (token
/// credentials it issued, or token-based-auth tokens registered with <see cref="AddTbaToken"/>).
/// </summary>
public sealed partial class FakeProviderServer : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, string> _consumers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TemporaryToken> _temporary = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string ConsumerKey, string Secret)> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _nonces = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public Uri BaseUrl { get; private set; } = null!;

    public Uri OAuth1RequestUrl => new(BaseUrl, "oauth1/request_token");

    public Uri OAuth1AuthorizeUrl => new(BaseUrl, "oauth1/authorize");

    public Uri OAuth1AccessUrl => new(BaseUrl, "oauth1/access_token");

    public Uri OAuth1ApiUrl => new(BaseUrl, "oauth1/api");

    /// <summary>Redirect to the callback without its query (as some providers do): the callback then has no state.</summary>
    public bool DropCallbackQuery { get; set; }

    /// <summary>The form of the last temporary-credentials request (where <c>request_params</c> arrive).</summary>
    public IReadOnlyDictionary<string, string> LastRequestTokenForm { get; private set; } = new Dictionary<string, string>();

    /// <summary>The query of the last authorize request.</summary>
    public IReadOnlyDictionary<string, string> LastAuthorizeQuery { get; private set; } = new Dictionary<string, string>();

    /// <summary>The OAuth header parameters of the last API call (realm and signature method included).</summary>
    public IReadOnlyDictionary<string, string> LastApiHeader { get; private set; } = new Dictionary<string, string>();

    public int AccessTokenRequests => _accessTokenRequests;

    private int _accessTokenRequests;

    /// <summary>Token credentials issued by the last successful access token request.</summary>
    public (string Token, string Secret)? LastIssuedToken { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Development", ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        _app = builder.Build();
        MapOAuth1(_app);
        MapOtherModes(_app);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.TrimEnd('/') + "/");
    }

    public (string Key, string Secret) AddConsumer()
    {
        var consumer = ("ck-" + Guid.NewGuid().ToString("N")[..12], "cs-" + Guid.NewGuid().ToString("N"));
        _consumers[consumer.Item1] = consumer.Item2;
        return consumer;
    }

    /// <summary>Token credentials made out of band, as NetSuite's token-based auth hands them to the user.</summary>
    public (string TokenId, string TokenSecret) AddTbaToken(string consumerKey)
    {
        var token = ("tid-" + Guid.NewGuid().ToString("N")[..12], "tsec-" + Guid.NewGuid().ToString("N"));
        _tokens[token.Item1] = (consumerKey, token.Item2);
        return token;
    }

    private void MapOAuth1(WebApplication app)
    {
        app.MapPost("/oauth1/request_token", async (HttpRequest request) =>
        {
            var header = OAuth1Verifier.ReadHeader(request);
            if (!FreshNonce(header) || !header.TryGetValue("oauth_consumer_key", out var key) || !_consumers.TryGetValue(key, out var secret)
                || !await OAuth1Verifier.IsValidAsync(request, secret, null))
            {
                return Problem("signature_invalid");
            }
            if (!header.TryGetValue("oauth_callback", out var callback) || !Uri.IsWellFormedUriString(callback, UriKind.Absolute))
            {
                return Problem("parameter_absent");
            }
            LastRequestTokenForm = request.HasFormContentType
                ? (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)
                : new Dictionary<string, string>();
            var token = "rt-" + Guid.NewGuid().ToString("N")[..16];
            var tokenSecret = "rts-" + Guid.NewGuid().ToString("N");
            _temporary[token] = new TemporaryToken(key, tokenSecret, callback);
            return Form($"oauth_token={token}&oauth_token_secret={tokenSecret}&oauth_callback_confirmed=true");
        });

        app.MapGet("/oauth1/authorize", (HttpRequest request) =>
        {
            LastAuthorizeQuery = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
            var token = request.Query["oauth_token"].ToString();
            if (!_temporary.TryGetValue(token, out var temporary))
            {
                return Results.BadRequest("unknown oauth_token");
            }
            var verifier = "v-" + Guid.NewGuid().ToString("N")[..10];
            _temporary[token] = temporary with { Verifier = verifier };
            var callback = DropCallbackQuery ? new Uri(temporary.Callback).GetLeftPart(UriPartial.Path) : temporary.Callback;
            return Results.Redirect(QueryHelpers.AddQueryString(callback, new Dictionary<string, string?> { ["oauth_token"] = token, ["oauth_verifier"] = verifier }));
        });

        app.MapPost("/oauth1/access_token", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref _accessTokenRequests);
            var header = OAuth1Verifier.ReadHeader(request);
            if (!FreshNonce(header) || !header.TryGetValue("oauth_token", out var token) || !_temporary.TryGetValue(token, out var temporary)
                || !header.TryGetValue("oauth_consumer_key", out var key) || key != temporary.ConsumerKey
                || !await OAuth1Verifier.IsValidAsync(request, _consumers[key], temporary.Secret))
            {
                return Problem("signature_invalid");
            }
            if (temporary.Verifier is null || header.GetValueOrDefault("oauth_verifier") != temporary.Verifier || !_temporary.TryRemove(token, out _))
            {
                return Problem("verifier_invalid");
            }
            var access = "at-" + Guid.NewGuid().ToString("N")[..16];
            var accessSecret = "ats-" + Guid.NewGuid().ToString("N");
            _tokens[access] = (key, accessSecret);
            LastIssuedToken = (access, accessSecret);
            return Form($"oauth_token={access}&oauth_token_secret={accessSecret}&user_id=42&screen_name=test-user");
        });

        app.MapMethods("/oauth1/api/{**path}", ["GET", "POST"], async (HttpRequest request) =>
        {
            var header = OAuth1Verifier.ReadHeader(request);
            LastApiHeader = header;
            if (!FreshNonce(header) || !header.TryGetValue("oauth_token", out var token) || !_tokens.TryGetValue(token, out var issued)
                || header.GetValueOrDefault("oauth_consumer_key") != issued.ConsumerKey
                || !await OAuth1Verifier.IsValidAsync(request, _consumers[issued.ConsumerKey], issued.Secret))
            {
                return Problem("signature_invalid");
            }
            return Results.Json(new { user = "test-user", token });
        });
    }

    /// <summary>Each nonce once (§3.3), so a replayed request fails the way a real provider fails it.</summary>
    private bool FreshNonce(Dictionary<string, string> header) =>
        header.TryGetValue("oauth_nonce", out var nonce) && header.TryGetValue("oauth_timestamp", out var timestamp)
        && long.TryParse(timestamp, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
        && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) < 300
        && _nonces.TryAdd(timestamp + ":" + nonce, 0);

    private static IResult Problem(string problem) =>
        Results.Text("oauth_problem=" + problem, "application/x-www-form-urlencoded", statusCode: StatusCodes.Status401Unauthorized);

    private static IResult Form(string body) => Results.Text(body, "application/x-www-form-urlencoded");

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed record TemporaryToken(string ConsumerKey, string Secret, string Callback, string? Verifier = null);
}
