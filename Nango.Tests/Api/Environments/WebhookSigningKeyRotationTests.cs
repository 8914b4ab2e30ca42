using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Environments;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Environments;

[Trait("Category", "Api")]
public sealed class WebhookSigningKeyRotationTests : IAsyncLifetime
{
    private readonly NangoWebFactory _web = new();

    public ValueTask InitializeAsync() => _web.InitializeAsync();

    public ValueTask DisposeAsync() => _web.DisposeAsync();

    [Fact]
    public async Task Rotating_returns_the_new_key_and_keeps_the_old_one_for_the_grace_period()
    {
        var ct = TestContext.Current.CancellationToken;
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        var environments = _web.Services.GetRequiredService<EnvironmentService>();
        var before = await environments.RevealWebhookSigningKeyAsync(env, ct);
        using var api = _web.CreateApiClient();

        var response = await api.SendAsync(HttpMethod.Post, "/environment/webhook-signing-key/rotate");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var key = (string?)(await response.ReadJsonAsync())["data"]!["webhook_signing_key"];
        Assert.False(string.IsNullOrEmpty(key));
        Assert.NotEqual(before, key);
        Assert.Equal(key, await environments.RevealWebhookSigningKeyAsync(env, ct));
        var settings = await environments.GetSettingsAsync(env, ct);
        Assert.Equal(before, await environments.RevealPreviousWebhookSigningKeyAsync(env, ct));
        Assert.True(settings.PreviousWebhookSigningKeyExpiresAt > DateTimeOffset.UtcNow.AddHours(23));
    }

    [Fact]
    public async Task Rotating_one_environment_leaves_the_other_untouched()
    {
        var ct = TestContext.Current.CancellationToken;
        var environments = _web.Services.GetRequiredService<EnvironmentService>();
        var prod = await _web.GetEnvironmentAsync(_web.ProdSecretKey);
        var prodKey = await environments.RevealWebhookSigningKeyAsync(prod, ct);
        using var api = _web.CreateApiClient();

        (await api.SendAsync(HttpMethod.Post, "/environment/webhook-signing-key/rotate")).EnsureSuccessStatusCode();

        Assert.Equal(prodKey, await environments.RevealWebhookSigningKeyAsync(prod, ct));
        Assert.Null((await environments.GetSettingsAsync(prod, ct)).PreviousWebhookSigningKeyExpiresAt);
    }
}
