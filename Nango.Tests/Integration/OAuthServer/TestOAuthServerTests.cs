using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Providers;
using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Integration.OAuthServer;

/// <summary>The tests' authorization server behaves like a strict real provider, driven here by plain HTTP.</summary>
[Trait("Category", "Integration")]
public sealed partial class TestOAuthServerTests(TestOAuthServer server) : IClassFixture<TestOAuthServer>, IAsyncLifetime
{
    private static readonly Uri _redirectUri = new("http://localhost:3003/oauth/callback");

    [GeneratedRegex("""<input type="hidden" name="([^"]*)" value="([^"]*)">""")]
    private static partial Regex HiddenField();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false });

    public ValueTask InitializeAsync()
    {
        // Test methods of a class run one at a time; each starts from zero.
        server.Counters.Reset();
        server.AccessTokenLifetime = TimeSpan.FromHours(1);
        server.IssueRefreshTokens = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Authorization_code_with_pkce_signs_in_through_the_form_and_the_token_opens_the_api()
    {
        var client = await server.AddClientAsync(_redirectUri);
        var verifier = NewVerifier();

        var page = await _http.GetAsync(AuthorizeUrl(client, Challenge(verifier), state: "state-1"), Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("id=\"username\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"password\"", html, StringComparison.Ordinal);
        var redirect = await SubmitAsync(html, TestOAuthServer.Username, TestOAuthServer.Password, "allow");

        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        var location = redirect.Headers.Location!;
        Assert.Equal(_redirectUri.GetLeftPart(UriPartial.Path), location.GetLeftPart(UriPartial.Path));
        var callback = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("state-1", callback["state"].ToString());
        var tokens = await RedeemCodeAsync(client, callback["code"].ToString(), verifier);
        Assert.Equal(HttpStatusCode.OK, tokens.StatusCode);
        var body = (await tokens.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal("Bearer", (string?)body["token_type"]);
        Assert.InRange((int)body["expires_in"]!, 3590, 3600);
        Assert.False(string.IsNullOrEmpty((string?)body["refresh_token"]));
        Assert.Contains("read", ((string)body["scope"]!).Split(' '));
        var me = await CallApiAsync((string)body["access_token"]!, "/api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var identity = (await me.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal(TestOAuthServer.Username, (string?)identity["sub"]);
        Assert.Equal(client.ClientId, (string?)identity["client_id"]);
        Assert.Equal("/me", (string?)identity["path"]);
        Assert.Equal(1, server.Counters.AuthorizationsGranted);
        Assert.Equal(1, server.Counters.TokenRequests("authorization_code"));
        Assert.Equal(1, server.Counters.TokensIssued("authorization_code"));
        Assert.Equal(1, server.Counters.ApiRequests);
    }

    [Fact]
    public async Task A_wrong_password_shows_the_form_again_with_an_error_and_grants_nothing()
    {
        var client = await server.AddClientAsync(_redirectUri);
        var html = await (await _http.GetAsync(AuthorizeUrl(client, Challenge(NewVerifier()), "s"), Ct)).Content.ReadAsStringAsync(Ct);

        var response = await SubmitAsync(html, TestOAuthServer.Username, "wrong", "allow");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var again = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("id=\"error\"", again, StringComparison.Ordinal);
        Assert.Contains("name=\"code_challenge\"", again, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"wrong\"", again, StringComparison.Ordinal);
        Assert.Equal(0, server.Counters.AuthorizationsGranted);
    }

    [Fact]
    public async Task Denying_redirects_back_with_access_denied()
    {
        var client = await server.AddClientAsync(_redirectUri);
        var html = await (await _http.GetAsync(AuthorizeUrl(client, Challenge(NewVerifier()), "denied-state"), Ct)).Content.ReadAsStringAsync(Ct);

        var response = await SubmitAsync(html, "", "", "deny");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var callback = QueryHelpers.ParseQuery(response.Headers.Location!.Query);
        Assert.Equal("access_denied", callback["error"].ToString());
        Assert.Equal("denied-state", callback["state"].ToString());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("plain", "plain")]
    public async Task A_request_without_an_s256_challenge_is_refused_before_any_sign_in(string? challenge, string? method)
    {
        var client = await server.AddClientAsync(_redirectUri);
        var url = AuthorizeUrl(client, challenge, "pkce-state", method);

        var response = await _http.GetAsync(url, Ct);

        // OpenIddict answers request-validation errors itself, with a 400 page rather than a redirect.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("error:invalid_request", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(0, server.Counters.AuthorizationsGranted);
    }

    [Fact]
    public async Task A_wrong_code_verifier_is_invalid_grant()
    {
        var client = await server.AddClientAsync(_redirectUri);
        var code = await AuthorizeAsync(client, NewVerifier());

        var response = await RedeemCodeAsync(client, code, NewVerifier());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]);
        Assert.Equal(1, server.Counters.TokenRequests("authorization_code"));
        Assert.Equal(0, server.Counters.TokensIssued("authorization_code"));
    }

    [Fact]
    public async Task A_refresh_token_rotates_and_reusing_the_old_one_is_invalid_grant()
    {
        var client = await server.AddClientAsync(_redirectUri);
        var verifier = NewVerifier();
        var first = (await (await RedeemCodeAsync(client, await AuthorizeAsync(client, verifier), verifier)).Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        var original = (string)first["refresh_token"]!;

        var refreshed = await RefreshAsync(client, original);
        var reused = await RefreshAsync(client, original);

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        var second = (await refreshed.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.NotEqual(original, (string?)second["refresh_token"]);
        Assert.NotEqual((string?)first["access_token"], (string?)second["access_token"]);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Equal("invalid_grant", (string?)(await reused.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]);
        Assert.Equal(2, server.Counters.TokenRequests("refresh_token"));
        Assert.Equal(1, server.Counters.RefreshTokensUsed);
    }

    [Fact]
    public async Task Without_refresh_tokens_the_code_flow_issues_an_access_token_only()
    {
        server.IssueRefreshTokens = false;
        var client = await server.AddClientAsync(_redirectUri);
        var verifier = NewVerifier();

        var body = (await (await RedeemCodeAsync(client, await AuthorizeAsync(client, verifier), verifier)).Content.ReadFromJsonAsync<JsonObject>(Ct))!;

        Assert.False(string.IsNullOrEmpty((string?)body["access_token"]));
        Assert.False(body.ContainsKey("refresh_token"));
    }

    [Fact]
    public async Task The_access_token_lifetime_is_configurable_between_requests()
    {
        var client = await server.AddClientAsync(_redirectUri);
        server.AccessTokenLifetime = TimeSpan.FromSeconds(90);

        var response = await ClientCredentialsAsync(client.ClientId, client.ClientSecret);

        var body = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.InRange((int)body["expires_in"]!, 85, 90);
    }

    [Fact]
    public async Task Client_credentials_issue_an_access_token_for_the_client_itself()
    {
        var client = await server.AddClientAsync(_redirectUri);

        var response = await ClientCredentialsAsync(client.ClientId, client.ClientSecret, "read");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.False(body.ContainsKey("refresh_token"));
        var identity = (await (await CallApiAsync((string)body["access_token"]!, "/api/items?page=2")).Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.Equal(client.ClientId, (string?)identity["sub"]);
        Assert.Equal("?page=2", (string?)identity["query"]);
        Assert.Equal(1, server.Counters.TokensIssued("client_credentials"));
    }

    [Fact]
    public async Task Client_credentials_with_a_wrong_secret_are_invalid_client()
    {
        var client = await server.AddClientAsync(_redirectUri);

        var response = await ClientCredentialsAsync(client.ClientId, "not-the-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", (string?)(await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["error"]);
        Assert.Equal(1, server.Counters.TokenRequests("client_credentials"));
        Assert.Equal(0, server.Counters.TokensIssued("client_credentials"));
    }

    [Fact]
    public async Task The_api_refuses_a_missing_or_forged_token()
    {
        var missing = await _http.GetAsync(new Uri(server.ApiBaseUrl + "/me"), Ct);
        var forged = await CallApiAsync("not-a-token", "/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(2, server.Counters.ApiRequests);
    }

    [Fact]
    public void The_catalog_file_declares_both_providers_against_this_server_in_nangos_format()
    {
        var directory = Path.Combine(Path.GetTempPath(), "nango-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var path = TestProviders.WriteCatalogFile(server, directory);
            var catalog = new ProviderCatalog(Options.Create(new NangoOptions { Catalog = new CatalogOptions { ExtraFiles = [path] } }));

            var oauth2 = catalog.Find(TestProviders.OAuth2)!;
            var clientCredentials = catalog.Find(TestProviders.OAuth2ClientCredentials)!;

            Assert.Equal("OAUTH2", oauth2.AuthMode);
            Assert.Equal(server.AuthorizationUrl.ToString(), oauth2.AuthorizationUrl);
            Assert.Equal(server.TokenUrl.ToString(), oauth2.TokenUrl!.For("OAUTH2"));
            Assert.Equal(["read", "write"], oauth2.DefaultScopes);
            Assert.Equal(server.ApiBaseUrl.ToString(), oauth2.Proxy!.BaseUrl);
            Assert.Equal("OAUTH2_CC", clientCredentials.AuthMode);
            Assert.Equal(server.TokenUrl.ToString(), clientCredentials.TokenUrl!.For("OAUTH2_CC"));
            Assert.Equal(server.ApiBaseUrl.ToString(), clientCredentials.Proxy!.BaseUrl);
            Assert.NotNull(catalog.Find("github"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private Uri AuthorizeUrl(TestOAuthClient client, string? challenge, string state, string? method = "S256")
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = client.ClientId,
            ["redirect_uri"] = _redirectUri.ToString(),
            ["response_type"] = "code",
            ["scope"] = "read write",
            ["state"] = state,
        };
        if (challenge is not null)
        {
            query["code_challenge"] = challenge;
            query["code_challenge_method"] = method;
        }
        return new Uri(QueryHelpers.AddQueryString(server.AuthorizationUrl.ToString(), query));
    }

    /// <summary>Posts the sign-in form as a browser would: its hidden fields plus the user's input and the button pressed.</summary>
    private async Task<HttpResponseMessage> SubmitAsync(string html, string username, string password, string decision)
    {
        var fields = HiddenField().Matches(html)
            .Select(m => KeyValuePair.Create(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))
            .Append(KeyValuePair.Create("username", username))
            .Append(KeyValuePair.Create("password", password))
            .Append(KeyValuePair.Create("decision", decision));
        using var form = new FormUrlEncodedContent(fields);
        return await _http.PostAsync(server.AuthorizationUrl, form, Ct);
    }

    private async Task<string> AuthorizeAsync(TestOAuthClient client, string verifier)
    {
        var html = await (await _http.GetAsync(AuthorizeUrl(client, Challenge(verifier), "s"), Ct)).Content.ReadAsStringAsync(Ct);
        var redirect = await SubmitAsync(html, TestOAuthServer.Username, TestOAuthServer.Password, "allow");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        return QueryHelpers.ParseQuery(redirect.Headers.Location!.Query)["code"].ToString();
    }

    private Task<HttpResponseMessage> RedeemCodeAsync(TestOAuthClient client, string code, string verifier) =>
        PostTokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = _redirectUri.ToString(),
            ["code_verifier"] = verifier,
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
        });

    private Task<HttpResponseMessage> RefreshAsync(TestOAuthClient client, string refreshToken) =>
        PostTokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
        });

    /// <summary>Client credentials with HTTP Basic client authentication, as some providers require.</summary>
    private async Task<HttpResponseMessage> ClientCredentialsAsync(string clientId, string clientSecret, string? scope = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.TokenUrl);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}")));
        var fields = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (scope is not null)
        {
            fields["scope"] = scope;
        }
        request.Content = new FormUrlEncodedContent(fields);
        return await _http.SendAsync(request, Ct);
    }

    private async Task<HttpResponseMessage> PostTokenAsync(Dictionary<string, string> fields)
    {
        using var form = new FormUrlEncodedContent(fields);
        return await _http.PostAsync(server.TokenUrl, form, Ct);
    }

    private async Task<HttpResponseMessage> CallApiAsync(string accessToken, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return await _http.SendAsync(request, Ct);
    }

    private static string NewVerifier() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    private static string Challenge(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}
