using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Store;
using Nango.Tests.Api.Functions.Support;
using Nango.Tests.Api.Support;

namespace Nango.Tests.Api.Functions;

/// <summary>The same deploy with the function store in Azure Blob Storage (Azurite), through the client's pinned API version.</summary>
[Trait("Category", "Integration")]
public sealed class AzureBlobStoreTests(AzuriteWebFactory factory) : IClassFixture<AzuriteWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cli_deploy_puts_bundles_and_sources_in_the_blob_container()
    {
        var connectionString = Azurite.Require();
        var key = await factory.CreateOtherAccountAsync();
        using var client = factory.CreateApiClient(key);
        await client.CreateIntegrationAsync("github");
        var project = await NangoCli.NewProjectAsync();

        (await NangoCli.DeployAsync(project, factory.ServerUrl, key)).AssertSucceeded();

        var env = await factory.GetEnvironmentAsync(key);
        var container = new BlobServiceClient(connectionString, new BlobClientOptions(BlobClientOptions.ServiceVersion.V2026_06_06))
            .GetBlobContainerClient(factory.Container);
        var names = new List<string>();
        await foreach (var blob in container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = FunctionStoreKeys.Environment(env.EnvironmentUuid) }, Ct))
        {
            names.Add(blob.Name);
        }
        Assert.Equal(6, names.Count);
        var contents = new List<string>();
        foreach (var name in names)
        {
            contents.Add((await container.GetBlobClient(name).DownloadContentAsync(Ct)).Value.Content.ToString());
        }
        Assert.Contains(project.Read("build/github_actions_createIssue.cjs"), contents);
        Assert.Contains(project.Read("github/syncs/fetchIssues.ts"), contents);

        var bundle = await factory.Services.GetRequiredService<IFunctionBundleReader>().ReadCurrentAsync(env.EnvironmentId, "github", "sync", "fetchIssues", Ct);
        Assert.Equal(project.Read("build/github_syncs_fetchIssues.cjs"), bundle!.Js);
        var code = await (await client.GetAsync("/integrations/github/functions/fetchIssues/code", Ct)).ReadJsonAsync();
        Assert.Equal(project.Read("github/syncs/fetchIssues.ts"), (string?)code["code"]);
    }

    [Fact]
    public async Task A_missing_blob_reads_as_null_and_a_written_one_round_trips()
    {
        Azurite.Require();
        var store = factory.Services.GetRequiredService<IFunctionStore>();
        var key = $"environments/{Guid.NewGuid():D}/integrations/1/action/echo/abc.js";

        Assert.Null(await store.GetAsync(key, Ct));
        Assert.False(await store.ExistsAsync(key, Ct));
        await store.PutAsync(key, "module.exports = 'é';", Ct);

        Assert.Equal("module.exports = 'é';", await store.GetAsync(key, Ct));
        Assert.True(await store.ExistsAsync(key, Ct));
        Assert.Contains(key, await store.ListAsync(key[..(key.LastIndexOf('/') + 1)], Ct).ToListAsync(Ct));
    }
}
