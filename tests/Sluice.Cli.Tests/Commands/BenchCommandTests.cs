using Sluice.Cli.Commands;

namespace Sluice.Cli.Tests.Commands;

public sealed class BenchCommandTests
{
    [Fact]
    public void Parse_NoUrlGiven_DefaultsToTheUrlOfTheOtherClientCommands()
    {
        var bench = CommandCatalog.CreateRoot().Parse(["bench"]);
        var models = CommandCatalog.CreateRoot().Parse(["models"]);

        Assert.Equal("http://127.0.0.1:8080", ClientOptions.DefaultUrl);
        Assert.Equal(models.GetValue<string>("--url"), bench.GetValue<string>("--url"));
    }
}
