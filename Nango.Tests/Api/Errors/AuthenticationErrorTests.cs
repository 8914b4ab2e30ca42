using System.Net;
using System.Net.Http.Headers;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Errors;

/// <summary>Every public route refuses a request without a valid secret key, with Nango's 401 codes, and changes nothing.</summary>
[Trait("Category", "Integration")]
public sealed class AuthenticationErrorTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    public static TheoryData<string, string, string?> Routes => new()
    {
        { "GET", "/integrations", null },
        { "POST", "/integrations", """{"provider":"github","unique_key":"auth-probe"}""" },
        { "PATCH", "/integrations/auth-probe", """{"display_name":"x"}""" },
        { "DELETE", "/integrations/auth-probe", null },
        { "GET", "/connections", null },
        { "POST", "/connections", """{"provider_config_key":"auth-probe","connection_id":"c","credentials":{"type":"API_KEY","apiKey":"k"}}""" },
        { "GET", "/connections/c?provider_config_key=auth-probe", null },
        { "DELETE", "/connections/c?provider_config_key=auth-probe", null },
        { "POST", "/connections/metadata", """{"connection_id":"c","provider_config_key":"auth-probe","metadata":{}}""" },
        { "GET", "/connection", null },
        { "GET", "/environment-variables", null },
        { "GET", "/providers", null },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Missing_authorization_header_is_401_missing_auth_header(string method, string path, string? body)
    {
        using var client = new HttpClient { BaseAddress = factory.ServerUrl };
        var before = await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken);

        var response = await client.SendAsync(new HttpMethod(method), path, body);

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "missing_auth_header");
        Assert.Equal("Authentication failed. The request is missing the Authorization header.", (string?)error["message"]);
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Authorization_that_is_not_bearer_is_401_malformed_auth_header(string method, string path, string? body)
    {
        using var client = new HttpClient { BaseAddress = factory.ServerUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("user:pass"u8.ToArray()));
        var before = await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken);

        var response = await client.SendAsync(new HttpMethod(method), path, body);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "malformed_auth_header");
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("not-a-key")]
    [InlineData("d1c2b3a4-0000-1000-8000-000000000000")] // a UUID, but version 1
    [InlineData("d1c2b3a4-0000-4000-c000-000000000000")] // version 4 digit, wrong variant
    [InlineData("d1c2b3a400004000800000000000000")]
    public async Task Secret_key_that_is_not_a_uuid_v4_is_401_invalid_secret_key_format(string key)
    {
        using var client = factory.CreateApiClient(key);
        var before = await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken);

        var response = await client.SendAsync(HttpMethod.Post, "/integrations", """{"provider":"github","unique_key":"auth-probe"}""");

        var error = await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "invalid_secret_key_format");
        Assert.Equal("Authentication failed. The provided secret key is not a UUID v4.", (string?)error["message"]);
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Unknown_secret_key_is_401_unknown_account(string method, string path, string? body)
    {
        using var client = factory.CreateApiClient(Guid.NewGuid().ToString());
        var before = await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken);

        var response = await client.SendAsync(new HttpMethod(method), path, body);

        await response.AssertErrorAsync(HttpStatusCode.Unauthorized, "unknown_account");
        Assert.Equal(before, await DatabaseSnapshot.TakeAsync(factory.ConnectionString, TestContext.Current.CancellationToken));
    }
}
