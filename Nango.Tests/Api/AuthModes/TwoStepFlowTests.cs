using System.Net;
using System.Net.Http.Json;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure.AuthModes;

namespace Nango.Tests.Api.AuthModes;

/// <summary><c>POST /auth/two-step/:key</c>: the user's fields traded for a token per the catalog's token request and response map.</summary>
[Trait("Category", "Integration")]
public sealed class TwoStepFlowTests(AuthModesWorld world) : IClassFixture<AuthModesWorld>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_json_token_request_maps_token_refresh_token_and_expiry()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.TwoStep);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/two-step/{integration}", "two-step"), new
        {
            type = "TWO_STEP",
            username = FakeProviderServer.TwoStepUser,
            password = FakeProviderServer.TwoStepPassword,
            apiKey = FakeProviderServer.TwoStepApiKey,
        }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var credentials = await CredentialsAsync(integration, "two-step");
        Assert.Equal("TWO_STEP", (string?)credentials["type"]);
        Assert.StartsWith("two-step-token-", (string?)credentials["token"], StringComparison.Ordinal);
        Assert.StartsWith("refresh-", (string?)credentials["refresh_token"], StringComparison.Ordinal);
        Assert.Equal(FakeProviderServer.TwoStepUser, (string?)credentials["username"]);
        Assert.Equal((string?)credentials["token"], (string?)credentials["raw"]!["data"]!["access"]);
        var expiresAt = DateTimeOffset.Parse((string)credentials["expires_at"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61));
        await world.AssertRecordedAsync(integration, "two-step", "TWO_STEP");
    }

    [Fact]
    public async Task A_form_request_with_a_base64_header_function_and_an_absolute_expiry()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.TwoStepForm);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/two-step/{integration}", "two-step-form"),
            new { username = FakeProviderServer.TwoStepUser, password = FakeProviderServer.TwoStepPassword }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var credentials = await CredentialsAsync(integration, "two-step-form");
        Assert.StartsWith("form-token-", (string?)credentials["token"], StringComparison.Ordinal);
        Assert.NotNull(credentials["expires_at"]);
        Assert.Null(credentials["refresh_token"]);
    }

    [Fact]
    public async Task Additional_steps_read_the_earlier_answers_and_the_last_one_holds_the_token()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.TwoStepSteps);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/two-step/{integration}", "two-step-steps"), new
        {
            username = FakeProviderServer.TwoStepUser, password = FakeProviderServer.TwoStepPassword, apiKey = FakeProviderServer.TwoStepApiKey,
        }, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var credentials = await CredentialsAsync(integration, "two-step-steps");
        Assert.StartsWith("two-step-token-", (string?)credentials["token"], StringComparison.Ordinal);
        Assert.NotNull(credentials["expires_at"]);
    }

    [Fact]
    public async Task Refused_credentials_are_a_failed_connection_test_and_save_nothing()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.TwoStep);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/two-step/{integration}", "two-step-bad"),
            new { username = FakeProviderServer.TwoStepUser, password = "wrong", apiKey = FakeProviderServer.TwoStepApiKey }, Ct);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "connection_test_failed");
        using var api = world.Web.CreateApiClient();
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/connection/two-step-bad?provider_config_key={integration}", Ct)).StatusCode);
    }

    [Fact]
    public async Task Missing_fields_are_invalid_credentials()
    {
        var integration = await world.CreateIntegrationAsync(AuthModesWorld.TwoStep);
        using var client = new HttpClient();

        var response = await client.PostAsJsonAsync(world.AuthUrl($"/auth/two-step/{integration}", "two-step-missing"), new { username = "a" }, Ct);

        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_credentials");
        Assert.Contains("password", (string?)error["message"], StringComparison.Ordinal);
    }

    private async Task<System.Text.Json.Nodes.JsonNode> CredentialsAsync(string integration, string connectionId)
    {
        using var api = world.Web.CreateApiClient();
        var response = await api.GetAsync($"/connection/{connectionId}?provider_config_key={integration}&refresh_token=true", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync())["credentials"]!;
    }
}
