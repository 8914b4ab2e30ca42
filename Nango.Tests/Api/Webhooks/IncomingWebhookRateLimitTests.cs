using System.Net;
using System.Text;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Webhooks;

public sealed class LowWebhookRateLimitFactory : NangoWebFactory
{
    public const int Limit = 3;

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
        [new("Nango:Webhooks:IncomingPerMinute", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture))];
}

/// <summary>Nango:Webhooks:IncomingPerMinute, set low, per environment uuid.</summary>
[Trait("Category", "Integration")]
public sealed class IncomingWebhookRateLimitTests(LowWebhookRateLimitFactory factory) : IClassFixture<LowWebhookRateLimitFactory>
{
    private const int Limit = LowWebhookRateLimitFactory.Limit;

    [Fact]
    public async Task Past_the_limit_an_environment_gets_429_with_Retry_After_while_others_are_unaffected()
    {
        var ct = TestContext.Current.CancellationToken;
        var env = await factory.GetEnvironmentAsync(factory.SecretKey);
        using var client = new HttpClient { BaseAddress = factory.ServerUrl };
        Task<HttpResponseMessage> PostAsync(Guid environment) =>
            client.PostAsync($"/webhook/{environment}/not-configured", new StringContent("{}", Encoding.UTF8, "application/json"), ct);

        for (var i = 0; i < Limit; i++)
        {
            await (await PostAsync(env.EnvironmentUuid)).AssertErrorAsync(HttpStatusCode.NotFound, "unknown_provider_config");
        }
        var limited = await PostAsync(env.EnvironmentUuid);
        var other = await PostAsync(Guid.NewGuid());

        await limited.AssertErrorAsync(HttpStatusCode.TooManyRequests, "webhook_rate_limit_exceeded");
        var retryAfter = Assert.Single(limited.Headers.GetValues("Retry-After"));
        Assert.InRange(int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        await other.AssertErrorAsync(HttpStatusCode.NotFound, "unknown_environment");
    }
}
