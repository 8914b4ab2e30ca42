namespace Nango.Core.Webhooks;

/// <summary>
/// When to try a failed delivery again. Delays double from <see cref="WebhookOptions.RetryBaseDelay"/> up to
/// <see cref="WebhookOptions.RetryMaxDelay"/>, each with ±20 % jitter so receivers coming back up are not hit by
/// every queued event in the same second. With the defaults (10 s doubling to 4 h, 17 attempts) the attempts
/// span about 24 hours. A receiver's <c>Retry-After</c> replaces the computed delay (capped at the maximum).
/// </summary>
public sealed class WebhookRetryPolicy(WebhookOptions options)
{
    /// <summary>The delay after <paramref name="attemptsMade"/> failed attempts, or null when the event is to be dead-lettered.</summary>
    public TimeSpan? NextDelay(int attemptsMade, TimeSpan? retryAfter)
    {
        if (attemptsMade >= options.MaxAttempts)
        {
            return null;
        }
        if (retryAfter is { } asked && asked > TimeSpan.Zero)
        {
            return asked < options.RetryMaxDelay ? asked : options.RetryMaxDelay;
        }
        var exponent = Math.Min(attemptsMade - 1, 30);
        var delay = options.RetryBaseDelay * Math.Pow(2, Math.Max(exponent, 0));
        if (delay > options.RetryMaxDelay)
        {
            delay = options.RetryMaxDelay;
        }
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return delay * jitter;
    }
}
