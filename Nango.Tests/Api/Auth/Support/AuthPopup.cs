using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Nango.Tests.Infrastructure.OAuthServer;

namespace Nango.Tests.Api.Auth.Support;

/// <summary>The page the popup ends on, and the error it hands to its opener (<c>window.__nangoOAuthError</c>), if any.</summary>
public sealed record CallbackPage(HttpStatusCode Status, string Html, string? ErrorType, string? ErrorMessage)
{
    public bool Succeeded => Status == HttpStatusCode.OK && ErrorType is null;
}

/// <summary>
/// The auth popup as a browser would drive it, redirect by redirect: <c>/oauth/connect</c> on Nango, the provider's
/// sign-in form, and Nango's callback. Redirects are followed by hand so each hop can be checked and replayed.
/// </summary>
public sealed partial class AuthPopup : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    [GeneratedRegex("""<input type="hidden" name="([^"]*)" value="([^"]*)">""")]
    private static partial Regex HiddenField();

    [GeneratedRegex(@"var error = (.*);\r?\n")]
    private static partial Regex PageError();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The URL the frontend SDK opens in the popup: <c>/oauth/connect/:key?…&amp;ws_client_id=…</c>.</summary>
    public static Uri ConnectUrl(Uri serverUrl, string providerConfigKey, string credentialQuery, string? wsClientId = null)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        var query = credentialQuery + (wsClientId is null ? "" : "&ws_client_id=" + wsClientId);
        return new Uri(serverUrl, $"/oauth/connect/{providerConfigKey}?{query}");
    }

    /// <summary>Opens the connect URL and expects Nango's redirect to the provider; returns where it points.</summary>
    public async Task<Uri> OpenAsync(Uri connectUrl)
    {
        using var response = await _http.GetAsync(connectUrl, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"Expected a redirect to the provider, got {(int)response.StatusCode}: {body}");
        return response.Headers.Location!;
    }

    /// <summary>Opens the connect URL when Nango is expected to refuse at once: the error page, no redirect.</summary>
    public Task<CallbackPage> OpenRefusedAsync(Uri connectUrl) => LoadPageAsync(connectUrl);

    /// <summary>Shows the provider's sign-in form, submits it as the test user with <paramref name="decision"/>, and returns the redirect back to Nango.</summary>
    public async Task<Uri> SignInAsync(Uri authorizeUrl, string decision = "allow")
    {
        using var form = await _http.GetAsync(authorizeUrl, Ct);
        var html = await form.Content.ReadAsStringAsync(Ct);
        Assert.True(form.StatusCode == HttpStatusCode.OK, $"The provider's sign-in page answered {(int)form.StatusCode}: {html}");
        Assert.Contains("id=\"username\"", html, StringComparison.Ordinal);
        var fields = HiddenField().Matches(html)
            .Select(m => new KeyValuePair<string, string>(WebUtility.HtmlDecode(m.Groups[1].Value), WebUtility.HtmlDecode(m.Groups[2].Value)))
            .Append(new("username", TestOAuthServer.Username))
            .Append(new("password", TestOAuthServer.Password))
            .Append(new("decision", decision));
        using var content = new FormUrlEncodedContent(fields);
        using var submitted = await _http.PostAsync(new Uri(authorizeUrl, TestOAuthServer.AuthorizationPath), content, Ct);
        Assert.True(submitted.StatusCode == HttpStatusCode.Redirect, $"The sign-in answered {(int)submitted.StatusCode}: {await submitted.Content.ReadAsStringAsync(Ct)}");
        return submitted.Headers.Location!;
    }

    /// <summary>Follows the provider's redirect to Nango's callback and reads the page it ends on.</summary>
    public Task<CallbackPage> CallbackAsync(Uri callbackUrl) => LoadPageAsync(callbackUrl);

    /// <summary>The whole popup: connect, sign in and allow, callback. Returns the final page and the callback URL (to replay).</summary>
    public async Task<(CallbackPage Page, Uri Callback)> RunAsync(Uri connectUrl, string decision = "allow")
    {
        var authorize = await OpenAsync(connectUrl);
        var callback = await SignInAsync(authorize, decision);
        return (await CallbackAsync(callback), callback);
    }

    /// <summary>The query of a URL as a dictionary of single values.</summary>
    public static Dictionary<string, string> Query(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return QueryHelpers.ParseQuery(url.Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
    }

    private async Task<CallbackPage> LoadPageAsync(Uri url)
    {
        using var response = await _http.GetAsync(url, Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var match = PageError().Match(html);
        Assert.True(match.Success, $"Not Nango's callback page ({(int)response.StatusCode}): {html}");
        var error = JsonNode.Parse(match.Groups[1].Value);
        return new CallbackPage(response.StatusCode, html, (string?)error?["errorType"], (string?)error?["message"]);
    }

    public void Dispose() => _http.Dispose();
}
