using Sluice.Bench.Load;

namespace Sluice.Bench.Tests.Load;

public sealed class LoadSpecParserTests
{
    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("10s", 10)]
    [InlineData("2m", 120)]
    [InlineData("1.5", 1.5)]
    public void ParseDuration_Units_Seconds(string text, double seconds)
    {
        Assert.Equal(seconds, LoadSpecParser.ParseDuration(text).TotalSeconds, 6);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1s")]
    public void ParseDuration_Invalid_Throws(string text)
    {
        Assert.Throws<BenchConfigurationException>(() => LoadSpecParser.ParseDuration(text));
    }

    [Fact]
    public void ParseProfile_EachKind_BuildsIt()
    {
        Assert.IsType<ConstantRateProfile>(LoadSpecParser.ParseProfile("constant:200"));
        var step = Assert.IsType<StepProfile>(LoadSpecParser.ParseProfile("step:10,50,100@10s"));
        Assert.Equal([10.0, 50, 100], step.Rates);
        var ramp = Assert.IsType<RampProfile>(LoadSpecParser.ParseProfile("ramp:10-200@30s"));
        Assert.Equal(200, ramp.To);
        var burst = Assert.IsType<BurstProfile>(LoadSpecParser.ParseProfile("burst:50,500@20s/3s"));
        Assert.Equal(TimeSpan.FromSeconds(3), burst.BurstLength);
        var tidal = Assert.IsType<TidalProfile>(LoadSpecParser.ParseProfile("tidal:5-100@120s"));
        Assert.Equal(TimeSpan.FromSeconds(120), tidal.DayLength);
    }

    [Theory]
    [InlineData("wave:1-2@3s")]
    [InlineData("step:10,20")]
    [InlineData("ramp:10@5s")]
    [InlineData("burst:50,500@20s/30s")]
    public void ParseProfile_Invalid_Throws(string text)
    {
        Assert.Throws<BenchConfigurationException>(() => LoadSpecParser.ParseProfile(text));
    }

    [Fact]
    public void Plan_ConcurrencyList_OneClosedStagePerLevel()
    {
        IReadOnlyList<LoadOptions> stages = BenchStagePlanner.Plan(new LoadOptions(), "1,5,10,20,50,100", null, null, durationGiven: false);
        Assert.Equal([1, 5, 10, 20, 50, 100], stages.Select(s => s.Concurrency));
        Assert.All(stages, s => Assert.Equal(LoadMode.Closed, s.Mode));
        Assert.Equal("c=100", stages[^1].Label);
    }

    [Fact]
    public void Plan_Profile_DurationDefaultsToTheProfileLength()
    {
        LoadOptions stage = Assert.Single(BenchStagePlanner.Plan(new LoadOptions(), null, null, "step:10,50,100@10s", durationGiven: false));
        Assert.Equal(LoadMode.Open, stage.Mode);
        Assert.Equal(TimeSpan.FromSeconds(30), stage.Duration);
    }

    [Fact]
    public void Plan_RateAndConcurrency_Throws()
    {
        Assert.Throws<BenchConfigurationException>(() => BenchStagePlanner.Plan(new LoadOptions(), "1", "10", null, durationGiven: false));
    }

    [Theory]
    [InlineData("0", "--concurrency: '0' is not a positive number.")]
    [InlineData("1,0,5", "--concurrency: '0' in '1,0,5' is not a positive number.")]
    [InlineData("2.5", "--concurrency: '2.5' is not a whole number of users.")]
    [InlineData("1,0.5", "--concurrency: '0.5' is not a whole number of users.")]
    public void Plan_BadConcurrency_MessageNamesTheOption(string concurrency, string expected)
    {
        var ex = Assert.Throws<BenchConfigurationException>(() => BenchStagePlanner.Plan(new LoadOptions(), concurrency, null, null, durationGiven: false));

        Assert.Equal(expected, ex.Message);
    }
}
