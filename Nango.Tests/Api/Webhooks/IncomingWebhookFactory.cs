using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Webhooks;

/// <summary>
/// Nango.Web with an extra catalog file declaring a provider of our own (<c>acme-hooks</c>) that uses the generic
/// webhook_signature and webhook_routing keys, and a small incoming body limit so the 413 test sends little.
/// </summary>
public sealed class IncomingWebhookFactory : NangoWebFactory
{
    public const int MaxBodyBytes = 64 * 1024;

    private const string Catalog = """
        acme-hooks:
          display_name: Acme Hooks
          categories:
            - dev-tools
          auth_mode: OAUTH2
          authorization_url: https://acme.example/oauth/authorize
          token_url: https://acme.example/oauth/token
          webhook_signature:
            header: X-Acme-Signature
            algorithm: sha1
            encoding: base64
            signed_payload: timestamp_dot_body
            timestamp_header: X-Acme-Timestamp
          webhook_routing:
            - from: query
              path: account
              match: metadata.account_id
            - from: body
              path: data.account.id
              match: connection_id
          webhook_event_type:
            from: body
            path: event
        """;

    private readonly string _catalogFile = Path.Combine(Path.GetTempPath(), $"nango-webhook-catalog-{Guid.NewGuid():N}.yaml");

    public IncomingWebhookFactory()
    {
        File.WriteAllText(_catalogFile, Catalog);
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings =>
    [
        new("Nango:Catalog:ExtraFiles:0", _catalogFile),
        new("Nango:Webhooks:IncomingMaxBodyBytes", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(_catalogFile);
        GC.SuppressFinalize(this);
    }
}
