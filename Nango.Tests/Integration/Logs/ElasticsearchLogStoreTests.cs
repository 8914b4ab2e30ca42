using Elastic.Clients.Elasticsearch;
using Nango.Core.Logs;

namespace Nango.Tests.Integration.Logs;

/// <summary>
/// The store contract on a real Elasticsearch, when <c>NANGO_TEST_ELASTICSEARCH_URL</c> points at one;
/// skipped otherwise (the request shapes are still checked by the in-memory tests in Unit/Logs).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ElasticsearchLogStoreTests : LogStoreContract
{
    private static readonly string? _url = System.Environment.GetEnvironmentVariable("NANGO_TEST_ELASTICSEARCH_URL");
    private ElasticsearchLogStore? _store;

    protected override ILogStore Store => _store!;

    protected override void RequireStore() =>
        Assert.SkipWhen(_url is null, "NANGO_TEST_ELASTICSEARCH_URL is not set: no Elasticsearch server to test against.");

    public override async ValueTask InitializeAsync()
    {
        if (_url is null)
        {
            return;
        }
        var client = new ElasticsearchClient(new ElasticsearchClientSettings(new Uri(_url)));
        // Refresh on every write so a search right after a write sees it, as the contract expects.
        _store = new ElasticsearchLogStore(client, refreshOnWrite: true);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await _store.PrepareAsync(today, today, TestContext.Current.CancellationToken);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
