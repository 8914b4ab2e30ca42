using Microsoft.Extensions.DependencyInjection;
using Nango.Core.Functions.Store;
using Nango.Tests.Infrastructure;

namespace Nango.Tests.Api.Functions;

/// <summary>The default function store: files under the data folder, nothing outside it.</summary>
[Trait("Category", "Integration")]
public sealed class FileSystemStoreTests(NangoWebFactory factory) : IClassFixture<NangoWebFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("../outside.js")]
    [InlineData("environments/../../outside.js")]
    [InlineData("/etc/passwd")]
    [InlineData("environments//x.js")]
    public async Task A_key_that_would_leave_the_store_folder_is_refused(string key)
    {
        var store = factory.Services.GetRequiredService<IFunctionStore>();

        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(key, "x", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetAsync(key, Ct));
    }

    [Fact]
    public async Task Files_round_trip_and_list_under_their_folder()
    {
        var store = factory.Services.GetRequiredService<IFunctionStore>();
        var folder = FunctionStoreKeys.Folder(Guid.NewGuid(), 7, "action", "echo");

        Assert.Null(await store.GetAsync(folder + "a.js", Ct));
        await store.PutAsync(folder + "a.js", "module.exports = 1;", Ct);
        await store.PutAsync(folder + "a.js", "module.exports = 2;", Ct);
        await store.PutAsync(folder + "a.ts", "export default 2;", Ct);

        Assert.Equal("module.exports = 2;", await store.GetAsync(folder + "a.js", Ct));
        Assert.Equal([folder + "a.js", folder + "a.ts"], await store.ListAsync(folder, Ct).ToListAsync(Ct));
    }
}
