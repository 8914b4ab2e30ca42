using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Core.Logs;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Integration.Logs;

/// <summary>Configuration changes made through the API are operations a person can find in the environment's logs.</summary>
[Trait("Category", "Integration")]
public sealed class LogInstrumentationTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Filtered by integration: the tests of this class share one app and may run in any order.
    private async Task<LogOperationRow> WaitForOperationAsync(EnvironmentContext environment, string kind, string integration, string? connection = null)
    {
        var query = factory.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var page = await query.SearchOperationsAsync(environment, new LogOperationSearch
            {
                Types = [kind],
                Integrations = [integration],
                Connections = connection is null ? [] : [connection],
            }, Ct);
            if (page.Items.Count > 0)
            {
                return page.Items[0];
            }
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"No {kind} operation was logged.");
    }

    [Fact]
    public async Task Integration_and_connection_changes_are_logged_as_operations_with_a_message()
    {
        using var client = factory.CreateApiClient();
        var environment = await factory.GetEnvironmentAsync(factory.SecretKey);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/integrations", new { provider = "github", unique_key = "gh-logged" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsJsonAsync("/integrations/gh-logged", new { display_name = "GitHub (logs)" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/connection", new
        {
            provider_config_key = "gh-logged",
            connection_id = "conn-logged",
            credentials = new { type = "API_KEY", apiKey = "sk-should-not-appear" },
        }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsJsonAsync("/connection/conn-logged?provider_config_key=gh-logged", new { tags = new { team = "a" } }, Ct)).StatusCode);
        Assert.True((await client.PostAsJsonAsync("/connection/metadata", new { provider_config_key = "gh-logged", connection_id = "conn-logged", metadata = new { plan = "pro" } }, Ct)).IsSuccessStatusCode);
        Assert.True((await client.DeleteAsync("/connection/conn-logged?provider_config_key=gh-logged", Ct)).IsSuccessStatusCode);
        Assert.True((await client.DeleteAsync("/integrations/gh-logged", Ct)).IsSuccessStatusCode);

        var created = await WaitForOperationAsync(environment, "integration:create", "gh-logged");
        Assert.Equal(("gh-logged", "github", OperationStates.Success), (created.IntegrationKey, created.Provider, created.State));
        var messages = await factory.Services.GetRequiredService<LogQueryService>().SearchMessagesAsync(environment, new LogMessageSearch { OperationId = created.Id }, Ct);
        Assert.Contains("gh-logged", Assert.Single(messages.Items).Message, StringComparison.Ordinal);

        await WaitForOperationAsync(environment, "integration:update", "gh-logged");
        await WaitForOperationAsync(environment, "integration:delete", "gh-logged");
        var imported = await WaitForOperationAsync(environment, "connection:import", "gh-logged", "conn-logged");
        Assert.Equal("gh-logged", imported.IntegrationKey);
        await WaitForOperationAsync(environment, "connection:update", "gh-logged", "conn-logged");
        await WaitForOperationAsync(environment, "connection:metadata", "gh-logged", "conn-logged");
        await WaitForOperationAsync(environment, "connection:delete", "gh-logged", "conn-logged");

        var importMessages = await factory.Services.GetRequiredService<LogQueryService>().SearchMessagesAsync(environment, new LogMessageSearch { OperationId = imported.Id }, Ct);
        Assert.DoesNotContain("sk-should-not-appear", importMessages.Items[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_creation_is_a_failed_operation_with_the_reason()
    {
        using var client = factory.CreateApiClient();
        var environment = await factory.GetEnvironmentAsync(factory.SecretKey);
        await client.PostAsJsonAsync("/integrations", new { provider = "github", unique_key = "gh-twice" }, Ct);

        var second = await client.PostAsJsonAsync("/integrations", new { provider = "github", unique_key = "gh-twice" }, Ct);

        Assert.False(second.IsSuccessStatusCode);
        var query = factory.Services.GetRequiredService<LogQueryService>();
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var failed = await query.SearchOperationsAsync(environment, new LogOperationSearch { Types = ["integration:create"], States = [OperationStates.Failed], Integrations = ["gh-twice"] }, Ct);
            if (failed.Items.Count > 0)
            {
                Assert.Contains("already exists", failed.Items[0].Error!.Message, StringComparison.Ordinal);
                return;
            }
            await Task.Delay(50, Ct);
        }
        Assert.Fail("The refused creation was not logged.");
    }

    [Fact]
    public async Task Another_account_sees_none_of_these_operations()
    {
        using var client = factory.CreateApiClient();
        await client.PostAsJsonAsync("/integrations", new { provider = "github", unique_key = "gh-private" }, Ct);
        await WaitForOperationAsync(await factory.GetEnvironmentAsync(factory.SecretKey), "integration:create", "gh-private");

        var other = await factory.GetEnvironmentAsync(await factory.CreateOtherAccountAsync());
        var page = await factory.Services.GetRequiredService<LogQueryService>().SearchOperationsAsync(other, new LogOperationSearch(), Ct);

        Assert.Empty(page.Items);
        Assert.Equal(0, page.Total);
    }

    [Fact]
    public async Task Refused_secret_keys_are_counted_not_stored_as_tenant_operations()
    {
        var failures = factory.Services.GetRequiredService<ApiAuthFailures>();
        var before = failures.Total;
        using var client = factory.CreateApiClient(Guid.NewGuid().ToString());

        var response = await client.GetAsync("/integrations", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(failures.Total > before);
    }
}
