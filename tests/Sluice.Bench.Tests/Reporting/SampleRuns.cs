using Sluice.Bench.Histograms;
using Sluice.Bench.Load;
using Sluice.Bench.Reporting;

namespace Sluice.Bench.Tests.Reporting;

/// <summary>Builds realistic runs (from real histograms) for the reporting tests.</summary>
internal static class SampleRuns
{
    public static BenchRun ClosedLoop()
    {
        int[] levels = [1, 5, 10, 20, 50, 100];
        var stages = new List<StageResult>();
        foreach (int c in levels)
        {
            stages.Add(Stage($"c={c}", LoadMode.Closed, c, 0, baseMs: 2 + (c * 0.5)));
        }

        return new BenchRun
        {
            Name = "bench <echo> & friends",
            Command = "sluice bench --concurrency 1,5,10,20,50,100",
            StartedAt = DateTimeOffset.UnixEpoch,
            Series = [new StageSeries { Name = "echo", Stages = stages }],
            Summaries = [new SummaryTable { Title = "Summary", Columns = ["a", "b"], Rows = [["1", "x|y"]] }],
            Notes = ["a note"],
        };
    }

    public static BenchRun OpenLoopProfile()
    {
        var timeline = new List<TimelinePoint>();
        for (int i = 0; i < 30; i++)
        {
            double rate = 20 + (80 * Math.Sin(Math.PI * i / 30));
            timeline.Add(new TimelinePoint
            {
                StartSeconds = i,
                OfferedPerSecond = rate,
                SucceededPerSecond = Math.Min(rate, 70),
                RejectedPerSecond = Math.Max(0, rate - 70),
                P50Ms = 5 + rate / 10,
                P99Ms = 20 + rate,
                MaxMs = 40 + rate,
            });
        }

        StageResult stage = Stage("tidal", LoadMode.Open, 0, 60, baseMs: 10) with { Profile = "tidal 20→100/s", Timeline = timeline };
        return new BenchRun { Name = "tidal", StartedAt = DateTimeOffset.UnixEpoch, Series = [new StageSeries { Name = "grader", Stages = [stage] }] };
    }

    private static StageResult Stage(string label, LoadMode mode, int concurrency, double rate, double baseMs)
    {
        var h = new LogLinearHistogram();
        var random = new Random(label.Length);
        for (int i = 0; i < 5000; i++)
        {
            h.Record((long)(baseMs * 1000 * (1 + (-Math.Log(1 - random.NextDouble()) * 0.3))));
        }

        return new StageResult
        {
            Label = label,
            Mode = mode,
            Concurrency = concurrency,
            NominalRatePerSecond = rate,
            OfferedRatePerSecond = rate,
            MeasuredSeconds = 10,
            Sent = 5000,
            Succeeded = 4900,
            Rejected = 60,
            Failed = 40,
            ThroughputPerSecond = 490,
            ByStatus = new Dictionary<string, long> { ["200"] = 4900, ["429"] = 60, ["timeout"] = 40 },
            Latency = LatencySummary.FromMicroseconds(h),
            SucceededLatency = LatencySummary.FromMicroseconds(h),
        };
    }
}
