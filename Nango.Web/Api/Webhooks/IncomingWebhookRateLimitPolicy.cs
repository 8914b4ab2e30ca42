using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Common;

namespace Nango.Web.Api.Webhooks;

/// <summary>
/// Nango's ingress limit: Nango:Webhooks:IncomingPerMinute requests per environment per fixed minute, partitioned
/// by the environment uuid in the path (unknown uuids get a partition too, so probing is throttled as well). The
/// windows live in this instance's memory: behind a load balancer each instance allows the limit, so N instances
/// together allow up to N times it. That is the trade for not touching the database before the limit is checked.
/// </summary>
internal sealed class IncomingWebhookRateLimitPolicy(IOptions<NangoOptions> options) : IRateLimiterPolicy<string>
{
    private static readonly TimeSpan _window = TimeSpan.FromMinutes(1);

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => (context, _) => RejectAsync(context);

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var environment = (httpContext.Request.RouteValues["environmentUuid"] as string ?? "").ToLowerInvariant();
        var limit = options.Value.Webhooks.IncomingPerMinute;
        return RateLimitPartition.GetFixedWindowLimiter(environment, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limit,
            Window = _window,
            QueueLimit = 0,
        });
    }

    private async ValueTask RejectAsync(OnRejectedContext context)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : _window;
        context.HttpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await ApiErrors.Create(StatusCodes.Status429TooManyRequests, ErrorCodes.WebhookRateLimitExceeded,
                $"More than {options.Value.Webhooks.IncomingPerMinute} webhooks in a minute for this environment; retry later.")
            .ExecuteAsync(context.HttpContext);
    }
}
