using Sluice.Bench.Scenarios;

namespace Sluice.Bench.Tests.Scenarios;

public sealed class ScenarioCatalogTests
{
    [Fact]
    public void CheckSettings_UnknownKey_ThrowsListingTheValidKeys()
    {
        IScenario streams = ScenarioCatalog.Find("streams")!;

        var ex = Assert.Throws<BenchConfigurationException>(() => ScenarioCatalog.CheckSettings(streams, ["streams", "bogus"]));

        Assert.Equal("--set bogus: unknown setting for scenario streams (valid: streams, hold-ms, open-concurrency)", ex.Message);
    }

    [Fact]
    public void CheckSettings_KnownKeysInAnyCase_Pass()
    {
        IScenario batching = ScenarioCatalog.Find("batching")!;

        ScenarioCatalog.CheckSettings(batching, ["SLO-MS", "engine-model"]);
    }

    [Fact]
    public void GetInt_ValueNotANumber_ThrowsNamingTheSetting()
    {
        var context = new ScenarioContext
        {
            RepoRoot = ".",
            SluiceDll = "sluice.dll",
            OutputDirectory = ".",
            Session = new BenchSession(Spectre.Console.AnsiConsole.Console),
            Settings = new Dictionary<string, string> { ["streams"] = "lots" },
        };

        var ex = Assert.Throws<BenchConfigurationException>(() => context.GetInt("streams", 10));

        Assert.Equal("--set streams=lots: not a whole number", ex.Message);
        Assert.Equal(10, context.GetInt("hold-ms", 10));
    }
}
