using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Records;
using Nango.Tests.Api.Support;
using Nango.Tests.Infrastructure;
using Npgsql;

namespace Nango.Tests.Integration.Records;

/// <summary>The daily retention with the default settings: payloads idle 30 days pruned, records of idle or deleted connections removed.</summary>
[Trait("Category", "Integration")]
public sealed class RecordRetentionTests : IAsyncLifetime
{
    private const string Model = "Issue";
    private const int GoneConnection = 987_654;

    private readonly NangoWebFactory _web = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _web.InitializeAsync();

    public async ValueTask DisposeAsync() => await _web.DisposeAsync();

    private async Task<int> ConnectionAsync(HttpClient client, string name)
    {
        await client.ImportConnectionAsync("retention-github", name);
        var env = await _web.GetEnvironmentAsync(_web.SecretKey);
        return (await _web.Services.GetRequiredService<RecordStore>().FindConnectionAsync(env.EnvironmentId, "retention-github", name, Ct))!.Value;
    }

    private async Task AgeAsync(int connection, string externalId, int days)
    {
        await using var db = new NpgsqlConnection(_web.ConnectionString);
        await db.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(
            "UPDATE records SET created_at = now() - make_interval(days => @d), updated_at = now() - make_interval(days => @d) WHERE connection_id = @c AND external_id LIKE @e", db);
        command.Parameters.AddWithValue("d", days);
        command.Parameters.AddWithValue("c", connection);
        command.Parameters.AddWithValue("e", externalId);
        await command.ExecuteNonQueryAsync(Ct);
    }

    [Fact]
    public async Task Retention_prunes_idle_payloads_and_deletes_records_of_idle_or_deleted_connections()
    {
        using var client = _web.CreateApiClient();
        await client.CreateIntegrationAsync("retention-github");
        var active = await ConnectionAsync(client, "active");
        var idle = await ConnectionAsync(client, "idle");
        var store = _web.Services.GetRequiredService<RecordStore>();
        List<JsonElement> Batch(params string[] ids) => ids.Select(id => JsonSerializer.SerializeToElement(new { id, body = "payload" })).ToList();
        await store.SaveAsync(1, active, Model, Batch("old", "fresh"), new RecordWriteOptions(), Ct);
        await store.SaveAsync(1, idle, Model, Batch("a", "b"), new RecordWriteOptions(), Ct);
        await store.SaveAsync(1, GoneConnection, Model, Batch("x"), new RecordWriteOptions(), Ct);
        await AgeAsync(active, "old", 40);
        await AgeAsync(idle, "%", 70);

        var (pruned, deleted) = await _web.Services.GetRequiredService<RecordRetention>().ApplyAsync(Ct);

        Assert.Equal(3, deleted);
        Assert.Equal(1, pruned);
        var kept = (await store.ListAsync(new RecordQuery { ConnectionId = active, Model = Model }, Ct)).Records;
        Assert.Equal(["old", "fresh"], kept.Select(r => r.ExternalId));
        Assert.NotNull(kept[0].PrunedAt);
        Assert.False(kept[0].ToJson().TryGetProperty("body", out _));
        Assert.Null(kept[1].PrunedAt);
        Assert.Empty(await store.CountByModelAsync(idle, Ct));
        Assert.Empty(await store.CountByModelAsync(GoneConnection, Ct));
    }
}
