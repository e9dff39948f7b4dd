using Sluice.Bench.Histograms;
using Sluice.Bench.Load;
using Sluice.Bench.Scenarios;
using Sluice.Bench.Tests.Load;
using Spectre.Console;

namespace Sluice.Bench.Tests.Scenarios;

public sealed class CeilingSearchTests
{
    [Fact]
    public async Task FindAsync_TargetWithFixedCapacity_FindsACeilingNearIt()
    {
        // One slot, 10 ms per request: at most 100/s; with a 100 ms P99 SLO the ceiling lies below that and well above 10/s.
        var target = new SlotTarget(TimeSpan.FromMilliseconds(10));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Interactive = InteractionSupport.No });
        var search = new CeilingSearch(new BenchSession(console, live: false), TimeSpan.Zero, TimeSpan.FromSeconds(1), maxDoublings: 6);

        CeilingResult result = await search.FindAsync("slot", target, startRate: 10, sloMs: 100, cpu: null, CancellationToken.None);

        Assert.NotNull(result.Ceiling);
        Assert.InRange(result.Rate, 10, 100); // loose: the machine may be busy
        Assert.Contains(result.Probes, p => !p.Passed);
        Assert.All(result.Probes, p => Assert.Equal(p.Passed, CeilingSearch.Passes(p.Stage, 100)));
    }

    [Fact]
    public void Passes_OverOnePercentErrors_Fails()
    {
        var h = new LogLinearHistogram();
        h.Record(1000);
        StageResult ok = new()
        {
            Label = "x", Mode = LoadMode.Open, MeasuredSeconds = 1, Sent = 1000, Succeeded = 990, Rejected = 5, Failed = 5,
            ThroughputPerSecond = 990, ByStatus = new Dictionary<string, long>(), Latency = LatencySummary.FromMicroseconds(h), SucceededLatency = LatencySummary.FromMicroseconds(h),
        };
        Assert.True(CeilingSearch.Passes(ok, 10));
        Assert.False(CeilingSearch.Passes(ok with { Failed = 6 }, 10));
        Assert.False(CeilingSearch.Passes(ok, 0.5));
    }
}
