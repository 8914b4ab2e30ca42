using Microsoft.Extensions.Options;

namespace Nango.Core.Logs;

/// <summary>Adds the Logs settings' problems to the one start-up report of invalid configuration.</summary>
internal sealed class LogsOptionsValidator : IValidateOptions<NangoOptions>
{
    public ValidateOptionsResult Validate(string? name, NangoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Logs.Store is "Elasticsearch"
            && !(Uri.TryCreate(options.Logs.ElasticsearchUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            return ValidateOptionsResult.Fail(
                $"Nango__Logs__ElasticsearchUrl must be an absolute http(s) URL when Nango__Logs__Store is Elasticsearch; got '{options.Logs.ElasticsearchUrl}'.");
        }
        return ValidateOptionsResult.Success;
    }
}
