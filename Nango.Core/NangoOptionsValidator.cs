using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Nango.Core.Common;
using Nango.Core.Functions.Runners;
using Nango.Core.Secrets;

namespace Nango.Core;

/// <summary>Reports every configuration problem at once, each with the key to fix.</summary>
internal sealed class NangoOptionsValidator(IHostEnvironment hostEnvironment) : IValidateOptions<NangoOptions>
{
    public ValidateOptionsResult Validate(string? name, NangoOptions options)
    {
        var failures = new List<string>();

        if (!Uri.TryCreate(options.ServerUrl, UriKind.Absolute, out var serverUrl) || serverUrl.Scheme is not ("http" or "https"))
        {
            failures.Add($"Nango__ServerUrl must be an absolute http(s) URL; got '{options.ServerUrl}'.");
        }

        if (!Uri.TryCreate(options.InternalUrl, UriKind.Absolute, out _))
        {
            failures.Add($"Nango__InternalUrl must be an absolute URL; got '{options.InternalUrl}'.");
        }

        if (string.IsNullOrWhiteSpace(options.EncryptionKey))
        {
            if (!hostEnvironment.IsDevelopment())
            {
                failures.Add("Nango__EncryptionKey is required outside Development: set it to the base64 of 32 random bytes (for example `openssl rand -base64 32`). Losing it makes every stored credential unreadable.");
            }
        }
        else if (!KeyRing.IsValidKey(options.EncryptionKey))
        {
            failures.Add("Nango__EncryptionKey must be the base64 of exactly 32 bytes.");
        }

        foreach (var (id, key) in options.EncryptionKeys)
        {
            if (!KeyRing.IsValidKey(key))
            {
                failures.Add($"Nango__EncryptionKeys__{id} must be the base64 of exactly 32 bytes.");
            }
            if (!KeyRing.IsValidKeyId(id))
            {
                failures.Add($"Nango__EncryptionKeys__{id}: key ids may only contain letters, digits, '-' and '_'.");
            }
        }

        foreach (var (key, ttl) in new[] { ("SecretKeyTtl", options.Cache.SecretKeyTtl), ("ProxyConnectionTtl", options.Cache.ProxyConnectionTtl), ("FunctionTtl", options.Cache.FunctionTtl) })
        {
            if (ttl < TimeSpan.Zero || ttl > CacheOptions.MaxTtl)
            {
                failures.Add($"Nango__Cache__{key} must be between 00:00:00 (off) and {CacheOptions.MaxTtl:c}: it bounds how long a revoked key or a changed connection may still be served if a change notification is missed.");
            }
        }

        if (options.Functions.TaskRetentionDays < 1)
        {
            failures.Add($"Nango__Functions__TaskRetentionDays must be at least 1; got {options.Functions.TaskRetentionDays}.");
        }
        if (options.Runner.Mode is not (RunnerOptions.LocalMode or RunnerOptions.RemoteMode))
        {
            failures.Add($"Nango__Runner__Mode must be Local or Remote; got '{options.Runner.Mode}'.");
        }
        if (options.Runner.Mode == RunnerOptions.RemoteMode)
        {
            if (options.Runner.Urls.Count == 0 || options.Runner.Urls.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out _)))
            {
                failures.Add("Nango__Runner__Mode is Remote: set Nango__Runner__Urls__0..n to the runners' absolute URLs.");
            }
            if (string.IsNullOrWhiteSpace(options.Runner.Token))
            {
                failures.Add("Nango__Runner__Mode is Remote: set Nango__Runner__Token to the NANGO_RUNNER_TOKEN the runners were started with.");
            }
        }
        if (options.Runner.MaxProcesses < 1 || options.Runner.MaxProcessesPerAccount < 1 || options.Runner.TasksPerProcess < 1 || options.Runner.MaxTasksPerProcess < 1)
        {
            failures.Add("Nango__Runner__MaxProcesses, __MaxProcessesPerAccount, __TasksPerProcess and __MaxTasksPerProcess must be at least 1.");
        }
        if (options.Runner.SpareProcesses is < 0 or > 1)
        {
            failures.Add($"Nango__Runner__SpareProcesses must be 0 (none) or 1; got {options.Runner.SpareProcesses}.");
        }
        if (options.Runner.CallbackUrl is { Length: > 0 } callbackUrl && !Uri.TryCreate(callbackUrl, UriKind.Absolute, out _))
        {
            failures.Add($"Nango__Runner__CallbackUrl must be an absolute URL; got '{callbackUrl}'.");
        }
        if (options.Logs.Store is not ("Postgres" or "Elasticsearch"))
        {
            failures.Add($"Nango__Logs__Store must be Postgres or Elasticsearch; got '{options.Logs.Store}'.");
        }
        if (options.Functions.Store is not ("FileSystem" or "AzureBlob"))
        {
            failures.Add($"Nango__Functions__Store must be FileSystem or AzureBlob; got '{options.Functions.Store}'.");
        }
        failures.AddRange(Functions.Store.FunctionStoreOptionsCheck.Check(options.Functions));
        if (options.Logs.RetentionDays < 1)
        {
            failures.Add("Nango__Logs__RetentionDays must be at least 1.");
        }

        foreach (var (key, value) in new[] { ("SecretKey", options.Bootstrap.SecretKey), ("ProdSecretKey", options.Bootstrap.ProdSecretKey) })
        {
            if (value is not null && !SecretKeyFormat.IsValid(value))
            {
                failures.Add($"Nango__Bootstrap__{key} must be a UUID v4.");
            }
        }

        var webhooks = options.Webhooks;
        if (webhooks.Concurrency < 1 || webhooks.MaxAttempts < 1 || webhooks.CircuitBreakerThreshold < 1 || webhooks.IncomingPerMinute < 1 || webhooks.IncomingMaxBodyBytes < 1)
        {
            failures.Add("Nango__Webhooks__Concurrency, __MaxAttempts, __CircuitBreakerThreshold, __IncomingPerMinute and __IncomingMaxBodyBytes must be at least 1.");
        }
        if (webhooks.Timeout <= TimeSpan.Zero || webhooks.ClaimDuration <= webhooks.Timeout)
        {
            failures.Add("Nango__Webhooks__Timeout must be positive and Nango__Webhooks__ClaimDuration longer than it (a claim must outlive the request it covers).");
        }
        if (webhooks.RetryBaseDelay <= TimeSpan.Zero || webhooks.RetryMaxDelay < webhooks.RetryBaseDelay || webhooks.PollInterval <= TimeSpan.Zero)
        {
            failures.Add("Nango__Webhooks__RetryBaseDelay and __PollInterval must be positive and __RetryMaxDelay at least RetryBaseDelay.");
        }

        var proxy = options.Proxy;
        foreach (var network in proxy.AllowedNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
            {
                failures.Add($"Nango__Proxy__AllowedNetworks: '{network}' is not a network in CIDR form (such as 10.20.0.0/16).");
            }
        }
        if (proxy.RetryBaseDelay <= TimeSpan.Zero || proxy.RetryMaxDelay < proxy.RetryBaseDelay || proxy.Timeout <= TimeSpan.Zero || proxy.MaxBufferedBodyBytes < 0)
        {
            failures.Add("Nango__Proxy__RetryBaseDelay and __Timeout must be positive, __RetryMaxDelay at least RetryBaseDelay, and __MaxBufferedBodyBytes not negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
