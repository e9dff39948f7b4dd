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
        // One slot, 10 ms per request: at most 100/s. Above that the backlog grows through a 1 s probe past the 400 ms P99
        // SLO, so the ceiling lies near 100/s; the SLO is generous so that a GC or scheduling stall on a busy machine
        // does not fail the 10/s probe.
        var target = new SlotTarget(TimeSpan.FromMilliseconds(10));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Interactive = InteractionSupport.No });
        var search = new CeilingSearch(new BenchSession(console, live: false), TimeSpan.Zero, TimeSpan.FromSeconds(1), maxDoublings: 6);

        // The first search pays JIT compilation inside its 1 s probes (a single slow request breaks a 10-request P99):
        // warm the path once, then measure.
        await search.FindAsync("warm-up", new SlotTarget(TimeSpan.FromMilliseconds(10)), startRate: 10, sloMs: 400, cpu: null, CancellationToken.None);
        CeilingResult result = await search.FindAsync("slot", target, startRate: 10, sloMs: 400, cpu: null, CancellationToken.None);

        Assert.NotNull(result.Ceiling);
        Assert.True(result.Rate is >= 10 and <= 200, string.Join("; ", result.Probes.Select(p => $"{p.Stage.Label}: sent {p.Stage.Sent} dropped {p.Stage.ClientDropped} failed {p.Stage.Failed} p99 {p.Stage.Latency.P99Ms:F1}"))); // loose: the machine may be busy
        Assert.Contains(result.Probes, p => !p.Passed);
        Assert.All(result.Probes, p => Assert.Equal(p.Passed, CeilingSearch.Passes(p.Stage, 400)));
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
