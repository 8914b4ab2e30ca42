using Nango.Core.Persistence;
using Npgsql;

namespace Nango.Tests.Unit.Persistence;

public sealed class NangoConnectionStringsTests
{
    [Fact]
    public void Statements_are_auto_prepared_when_the_connection_string_says_nothing()
    {
        var tuned = new NpgsqlConnectionStringBuilder(NangoConnectionStrings.WithDefaults("Host=db;Username=nango;Password=secret;Database=nango"));

        Assert.Equal(64, tuned.MaxAutoPrepare);
        Assert.Equal(2, tuned.AutoPrepareMinUsages);
        Assert.Equal("db", tuned.Host);
        Assert.Equal("secret", tuned.Password);
        Assert.Equal("nango", tuned.Database);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0", 0)]
    [InlineData("Host=db;MaxAutoPrepare=5", 5)]
    [InlineData("Host=db;max auto prepare=7;Auto Prepare Min Usages=9", 7)]
    public void An_operators_own_auto_prepare_setting_wins(string connectionString, int expected)
    {
        var tuned = new NpgsqlConnectionStringBuilder(NangoConnectionStrings.WithDefaults(connectionString));

        Assert.Equal(expected, tuned.MaxAutoPrepare);
        Assert.Equal(new NpgsqlConnectionStringBuilder(connectionString).AutoPrepareMinUsages, tuned.AutoPrepareMinUsages);
    }
}
