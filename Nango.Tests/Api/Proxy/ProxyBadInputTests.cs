using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Tests.Api.Proxy.Support;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.Proxy;

/// <summary>
/// Calls Nango refuses before anything reaches the provider: Nango's error envelope with the documented status and
/// code, no request upstream, and no change to the database.
/// </summary>
[Collection(ProxyWorldGroup.Name)]
[Trait("Category", "Integration")]
public sealed class ProxyBadInputTests(ProxyWorld world) : IDisposable
{
    private readonly HttpClient _api = world.Web.CreateApiClient();
    private readonly string _path = ProxyCalls.UniquePath("refused");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _api.Dispose();

    private void AssertNothingReachedTheProvider() =>
        Assert.DoesNotContain(world.Upstream.All, r => r.Path.Contains(_path, StringComparison.Ordinal));

    /// <summary>Sends a proxy call with exactly the headers given (no Connection-Id/Provider-Config-Key unless listed).</summary>
    private async Task<HttpResponseMessage> SendRawAsync(HttpClient client, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/proxy" + _path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await client.SendAsync(request, Ct);
    }

    private async Task<HttpResponseMessage> RefusedAsync(Func<Task<HttpResponseMessage>> call, HttpStatusCode status, string code)
    {
        var before = await DatabaseSnapshot.TakeAsync(world.Web.ConnectionString, Ct);
        var response = await call();
        await response.AssertErrorAsync(status, code);
        AssertNothingReachedTheProvider();
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(world.Web.ConnectionString, Ct));
        return response;
    }

    [Fact]
    public async Task Missing_connection_id_is_400_invalid_headers()
    {
        var response = await RefusedAsync(() => SendRawAsync(_api, ("Provider-Config-Key", ProxyCatalog.ApiKey)), HttpStatusCode.BadRequest, "invalid_headers");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_headers");
        Assert.Contains("connection-id", error.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Missing_provider_config_key_is_400_invalid_headers()
    {
        var response = await RefusedAsync(() => SendRawAsync(_api, ("Connection-Id", ProxyWorld.ConnectionId)), HttpStatusCode.BadRequest, "invalid_headers");

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_headers");
        Assert.Contains("provider-config-key", error.ToJsonString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Retries", "abc")]
    [InlineData("Retries", "-1")]
    [InlineData("Retries", "1.5")]
    [InlineData("Retry-On", "5xx")]
    [InlineData("Retry-On", "500,")]
    [InlineData("Retry-On", "500;502")]
    [InlineData("Base-Url-Override", "not a url")]
    [InlineData("Base-Url-Override", "ftp://files.example.com")]
    [InlineData("Base-Url-Override", "/relative/path")]
    public async Task An_invalid_header_value_is_400_invalid_headers(string name, string value)
    {
        await RefusedAsync(
            () => SendRawAsync(_api, ("Connection-Id", ProxyWorld.ConnectionId), ("Provider-Config-Key", ProxyCatalog.ApiKey), (name, value)),
            HttpStatusCode.BadRequest, "invalid_headers");
    }

    [Fact]
    public async Task An_unknown_integration_is_400_unknown_provider_config()
    {
        await RefusedAsync(() => _api.ProxyGetAsync(_path, "no-such-integration"), HttpStatusCode.BadRequest, "unknown_provider_config");
    }

    [Fact]
    public async Task An_unknown_connection_is_404_unknown_connection()
    {
        await RefusedAsync(() => _api.ProxyGetAsync(_path, ProxyCatalog.ApiKey, "no-such-connection"), HttpStatusCode.NotFound, "unknown_connection");
    }

    [Fact]
    public async Task Another_environments_key_sees_none_of_this_environments_integrations()
    {
        using var prod = world.Web.CreateApiClient(world.Web.ProdSecretKey);

        await RefusedAsync(() => prod.ProxyGetAsync(_path, ProxyCatalog.ApiKey), HttpStatusCode.BadRequest, "unknown_provider_config");
    }

    [Fact]
    public async Task No_secret_key_is_401_and_an_unknown_one_401_unknown_account()
    {
        using var anonymous = new HttpClient { BaseAddress = world.Web.ServerUrl };
        using var stranger = world.Web.CreateApiClient(Guid.NewGuid().ToString());
        var headers = new[] { ("Connection-Id", ProxyWorld.ConnectionId), ("Provider-Config-Key", ProxyCatalog.ApiKey) };

        await RefusedAsync(() => SendRawAsync(anonymous, headers), HttpStatusCode.Unauthorized, "missing_auth_header");
        await RefusedAsync(() => SendRawAsync(stranger, headers), HttpStatusCode.Unauthorized, "unknown_account");
    }

    [Fact]
    public async Task Base_url_override_is_400_when_the_environment_disallows_it()
    {
        var environments = world.Web.Services.GetRequiredService<EnvironmentService>();
        await environments.SetBaseUrlOverrideAllowedAsync(world.Environment, allowed: false, Ct);
        try
        {
            Assert.False((await environments.GetSettingsAsync(world.Environment, Ct)).AllowBaseUrlOverride);

            await RefusedAsync(
                () => _api.ProxyGetAsync(_path, ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, ("Base-Url-Override", world.Upstream.Base + "/elsewhere")),
                HttpStatusCode.BadRequest, "base_url_override_disabled");
            // The client always sends the header; empty means "no override" and stays allowed.
            var plain = await _api.ProxyGetAsync(_path + "-plain", ProxyCatalog.ApiKey, ProxyWorld.ConnectionId, ("Base-Url-Override", ""));
            await plain.AssertStatusAsync(HttpStatusCode.OK);
        }
        finally
        {
            await environments.SetBaseUrlOverrideAllowedAsync(world.Environment, allowed: true, Ct);
        }
    }

    [Fact]
    public async Task A_provider_without_a_base_url_is_400_missing_base_url_unless_one_is_given()
    {
        await RefusedAsync(() => _api.ProxyGetAsync(_path, ProxyCatalog.NoBaseUrl), HttpStatusCode.BadRequest, "missing_base_url");

        var overridden = await _api.ProxyGetAsync("/given", ProxyCatalog.NoBaseUrl, ProxyWorld.ConnectionId, ("Base-Url-Override", world.Upstream.Base + "/override" + _path));

        await overridden.AssertStatusAsync(HttpStatusCode.OK);
        Assert.Single(world.Upstream.Received("/override" + _path + "/given"));
    }

    [Fact]
    public async Task A_base_url_placeholder_the_connection_cannot_fill_is_400_missing_connection_config()
    {
        var response = await _api.ProxyGetAsync(_path, ProxyCatalog.Placeholder);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "missing_connection_config");
        Assert.Contains("subdomain", (string?)error["message"], StringComparison.Ordinal);
        AssertNothingReachedTheProvider();
    }
}
