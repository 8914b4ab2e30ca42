using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Nango.Core;
using Nango.Core.Logs;

namespace Nango.Tests.Unit.Logs;

public sealed class LogsConfigurationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddOptions<NangoOptions>().Bind(configuration.GetSection(NangoOptions.SectionName));
        services.AddNangoLogs(configuration);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Elasticsearch_without_a_url_is_reported_with_the_setting_to_fix()
    {
        using var provider = Build(new() { ["Nango:Logs:Store"] = "Elasticsearch" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<NangoOptions>>().Value);

        Assert.Contains("Nango__Logs__ElasticsearchUrl must be an absolute http(s) URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_store_follows_the_setting()
    {
        using var postgres = Build(new() { ["ConnectionStrings:Nango"] = "Host=unused" });
        Assert.IsType<PostgresLogStore>(postgres.GetRequiredService<ILogStore>());

        using var elastic = Build(new() { ["Nango:Logs:Store"] = "Elasticsearch", ["Nango:Logs:ElasticsearchUrl"] = "http://127.0.0.1:9200" });
        Assert.IsType<ElasticsearchLogStore>(elastic.GetRequiredService<ILogStore>());
    }

    [Fact]
    public void Write_path_settings_are_validated()
    {
        using var provider = Build(new() { ["ConnectionStrings:Nango"] = "Host=unused", ["Nango:Logs:BufferCapacity"] = "0" });

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<LogWriterOptions>>().Value);
    }
}
