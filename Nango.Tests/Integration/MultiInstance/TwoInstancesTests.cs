using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Nango.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Nango.Tests.Integration.MultiInstance;

/// <summary>Two Nango.Web processes on one database behave as one product.</summary>
[Trait("Category", "Integration")]
public sealed class TwoInstancesTests(Infrastructure.Browser browser) : IClassFixture<Infrastructure.Browser>, IAsyncLifetime
{
    private readonly NangoWebFactory _first = new();
    private NangoWebFactory _second = null!;

    public async ValueTask InitializeAsync()
    {
        await _first.InitializeAsync();
        _second = new NangoWebFactory().SharingDatabaseWith(_first);
        await _second.InitializeAsync();
    }

    [Fact]
    public async Task Both_instances_join_one_Quartz_cluster()
    {
        await using var connection = new NpgsqlConnection(_first.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM qrtz_scheduler_state", connection);

        var instances = 0L;
        for (var attempt = 0; attempt < 50 && instances < 2; attempt++)
        {
            instances = (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
            if (instances < 2)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }

        Assert.Equal(2, instances);
    }

    [Fact]
    public async Task A_change_through_one_instance_is_seen_by_the_other_at_once()
    {
        using var first = _first.CreateApiClient(_first.SecretKey);
        using var second = _second.CreateApiClient(_first.SecretKey);

        var created = await first.PostAsJsonAsync("/integrations", new { provider = "github", unique_key = "shared" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var seen = await second.GetFromJsonAsync<JsonObject>("/integrations/shared", TestContext.Current.CancellationToken);
        Assert.Equal("github", (string?)seen!["data"]!["provider"]);

        // Rotating the key on one instance locks it out of the other as soon as the change's NOTIFY arrives (each
        // instance caches keys; Api/Proxy/CacheCoherenceTests covers the bound).
        var environment = await _first.GetEnvironmentAsync(_first.SecretKey);
        var newKey = await _first.Services.GetRequiredService<Nango.Core.Environments.EnvironmentService>()
            .RotateSecretKeyAsync(environment, TestContext.Current.CancellationToken);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        while ((status = (await second.GetAsync("/integrations", TestContext.Current.CancellationToken)).StatusCode) != HttpStatusCode.Unauthorized
               && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        using var rotated = _second.CreateApiClient(newKey);
        Assert.Equal(HttpStatusCode.OK, (await rotated.GetAsync("/integrations", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task A_dashboard_session_started_on_one_instance_is_valid_on_the_other()
    {
        var page = await browser.NewPageAsync(_first.ServerUrl);
        await Infrastructure.Browser.SignInAsync(page, NangoWebFactory.AdminEmail, NangoWebFactory.AdminPassword);

        // Same host, other port: the browser sends the same cookie, which the second instance must decrypt.
        await page.GotoAsync(new Uri(_second.ServerUrl, "/dashboard/dev").ToString());
        await page.Locator(".mud-nav-link").First.WaitForAsync();

        Assert.StartsWith(_second.ServerUrl.ToString().TrimEnd('/') + "/dashboard/dev", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.GetByText("Welcome to Nango")).ToBeVisibleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _second.DisposeAsync();
        await _first.DisposeAsync();
    }
}
