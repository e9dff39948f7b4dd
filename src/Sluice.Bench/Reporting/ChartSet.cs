using System.Text;
using Sluice.Bench.Load;

namespace Sluice.Bench.Reporting;

/// <summary>
/// The standard charts of a run: latency percentiles vs offered load, throughput vs offered load (concurrency or
/// rate), and, for each open-loop stage following a profile, latency and rates over time.
/// </summary>
internal static class ChartSet
{
    public static IReadOnlyList<ChartFile> Build(BenchRun run, double? sloMs = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var files = new List<ChartFile>();
        bool anyOpen = false, anyClosed = false;
        foreach (StageSeries series in run.Series)
        {
            foreach (StageResult s in series.Stages)
            {
                anyOpen |= s.Mode == LoadMode.Open;
                anyClosed |= s.Mode == LoadMode.Closed;
            }
        }

        string xLabel = anyOpen && anyClosed ? "offered load (users or requests/s)" : anyOpen ? "offered load (requests/s)" : "concurrency (users)";
        bool multi = run.Series.Count > 1;
        double minLoad = double.MaxValue, maxLoad = 0;
        foreach (StageSeries series in run.Series)
        {
            foreach (StageResult s in series.Stages)
            {
                minLoad = Math.Min(minLoad, s.OfferedLoad);
                maxLoad = Math.Max(maxLoad, s.OfferedLoad);
            }
        }

        bool logX = minLoad > 0 && maxLoad / minLoad >= 20;

        var latency = new SvgLineChart($"{run.Name}: latency percentiles vs offered load", xLabel, "latency (ms)")
        {
            LogY = true,
            LogX = logX,
            ReferenceLine = sloMs is { } slo ? (slo, $"SLO {Fmt.Ms(slo)} ms") : null,
        };
        var throughput = new SvgLineChart($"{run.Name}: throughput vs offered load", xLabel, "succeeded requests/s") { LogX = logX };
        for (int index = 0; index < run.Series.Count; index++)
        {
            StageSeries series = run.Series[index];
            if (multi)
            {
                // One colour per series: dashed p50, solid p99; the percentile leads the name so truncation keeps it.
                latency.Add(new ChartSeries("p50 " + series.Name, Points(series, static s => s.Latency.P50Ms), Dashed: true, ColorIndex: index));
                latency.Add(new ChartSeries("p99 " + series.Name, Points(series, static s => s.Latency.P99Ms), ColorIndex: index));
            }
            else
            {
                latency.Add(new ChartSeries("p50", Points(series, static s => s.Latency.P50Ms), Dashed: true));
                latency.Add(new ChartSeries("p90", Points(series, static s => s.Latency.P90Ms), Dashed: true));
                latency.Add(new ChartSeries("p99", Points(series, static s => s.Latency.P99Ms)));
                latency.Add(new ChartSeries("p99.9", Points(series, static s => s.Latency.P999Ms)));
            }

            throughput.Add(new ChartSeries(series.Name, Points(series, static s => s.ThroughputPerSecond), ColorIndex: index));
        }

        files.Add(new ChartFile("latency-vs-load.svg", latency.Title, latency));
        files.Add(new ChartFile("throughput-vs-load.svg", throughput.Title, throughput));

        foreach (StageSeries series in run.Series)
        {
            foreach (StageResult stage in series.Stages)
            {
                if (stage.Mode != LoadMode.Open || stage.Timeline.Count < 3 || stage.Profile is null || stage.Profile.StartsWith("constant", StringComparison.Ordinal))
                {
                    continue;
                }

                string slug = Slug($"{series.Name}-{stage.Label}");
                var overTime = new SvgLineChart($"{series.Name} {stage.Label}: latency over time", "time since measuring started (s)", "latency of succeeded requests (ms)")
                {
                    LogY = true,
                    ReferenceLine = sloMs is { } slo2 ? (slo2, $"SLO {Fmt.Ms(slo2)} ms") : null,
                };
                overTime.Add(new ChartSeries("p50", Timeline(stage, static p => p.P50Ms), Dashed: true));
                overTime.Add(new ChartSeries("p99", Timeline(stage, static p => p.P99Ms)));
                overTime.Add(new ChartSeries("max", Timeline(stage, static p => p.MaxMs), Dashed: true));
                files.Add(new ChartFile($"latency-over-time-{slug}.svg", overTime.Title, overTime));

                var rates = new SvgLineChart($"{series.Name} {stage.Label}: load over time ({stage.Profile})", "time since measuring started (s)", "requests/s");
                rates.Add(new ChartSeries("offered", Timeline(stage, static p => p.OfferedPerSecond), Dashed: true));
                rates.Add(new ChartSeries("succeeded", Timeline(stage, static p => p.SucceededPerSecond)));
                rates.Add(new ChartSeries("rejected", Timeline(stage, static p => p.RejectedPerSecond)));
                rates.Add(new ChartSeries("failed", Timeline(stage, static p => p.FailedPerSecond)));
                files.Add(new ChartFile($"load-over-time-{slug}.svg", rates.Title, rates));
            }
        }

        return files;
    }

    public static string Slug(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (char c in text.ToLowerInvariant())
        {
            b.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        return b.ToString().Trim('-');
    }

    private static List<ChartPoint> Points(StageSeries series, Func<StageResult, double> y)
    {
        var points = new List<ChartPoint>(series.Stages.Count);
        foreach (StageResult s in series.Stages)
        {
            points.Add(new ChartPoint(s.OfferedLoad, y(s)));
        }

        return points;
    }

    private static List<ChartPoint> Timeline(StageResult stage, Func<TimelinePoint, double> y)
    {
        var points = new List<ChartPoint>(stage.Timeline.Count);
        foreach (TimelinePoint p in stage.Timeline)
        {
            points.Add(new ChartPoint(p.StartSeconds, y(p)));
        }

        return points;
    }
}
