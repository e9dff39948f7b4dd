using Sluice.Bench.Load;

namespace Sluice.Bench.Reporting;

/// <summary>The columns of the per-stage table, shared by the terminal table and results.md.</summary>
internal static class StageTable
{
    public static readonly string[] Columns =
    [
        "series", "load", "sent", "ok", "rejected", "failed", "rps", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "ttfe p50/p99", "inter-event p99",
    ];

    public static string[] Row(string series, StageResult s) =>
    [
        series,
        s.Label,
        Fmt.Int(s.Sent),
        Fmt.Int(s.Succeeded),
        s.Rejected == 0 ? "0" : $"{Fmt.Int(s.Rejected)} ({Fmt.Percent(s.RejectionRate)})",
        s.Failed == 0 ? "0" : $"{Fmt.Int(s.Failed)} ({Fmt.Percent(s.ErrorRate)})",
        Fmt.Rate(s.ThroughputPerSecond),
        Fmt.Ms(s.Latency.P50Ms),
        Fmt.Ms(s.Latency.P90Ms),
        Fmt.Ms(s.Latency.P95Ms),
        Fmt.Ms(s.Latency.P99Ms),
        Fmt.Ms(s.Latency.P999Ms),
        Fmt.Ms(s.Latency.MaxMs),
        s.TimeToFirstEvent is null ? "-" : $"{Fmt.Ms(s.TimeToFirstEvent.P50Ms)}/{Fmt.Ms(s.TimeToFirstEvent.P99Ms)}",
        s.InterEvent is null ? "-" : Fmt.Ms(s.InterEvent.P99Ms),
    ];

    /// <summary>The narrower column set of the terminal table.</summary>
    public static readonly string[] CompactColumns =
    [
        "series", "load", "sent", "ok", "rej", "fail", "rps", "p50", "p90", "p99", "p99.9", "max", "ttfe p50/p99", "gap p99",
    ];

    /// <summary>A row for <see cref="CompactColumns"/> (latencies in ms; rejections and failures as counts).</summary>
    public static string[] CompactRow(string series, StageResult s) =>
    [
        series,
        s.Label,
        Fmt.Int(s.Sent),
        Fmt.Int(s.Succeeded),
        Fmt.Int(s.Rejected),
        Fmt.Int(s.Failed),
        Fmt.Rate(s.ThroughputPerSecond),
        Fmt.Ms(s.Latency.P50Ms),
        Fmt.Ms(s.Latency.P90Ms),
        Fmt.Ms(s.Latency.P99Ms),
        Fmt.Ms(s.Latency.P999Ms),
        Fmt.Ms(s.Latency.MaxMs),
        s.TimeToFirstEvent is null ? "-" : $"{Fmt.Ms(s.TimeToFirstEvent.P50Ms)}/{Fmt.Ms(s.TimeToFirstEvent.P99Ms)}",
        s.InterEvent is null ? "-" : Fmt.Ms(s.InterEvent.P99Ms),
    ];

    /// <summary>"200: 950, 429: 50" for the status breakdown.</summary>
    public static string Statuses(StageResult s)
    {
        var parts = new List<string>(s.ByStatus.Count);
        foreach (KeyValuePair<string, long> pair in s.ByStatus)
        {
            parts.Add($"{pair.Key}: {Fmt.Int(pair.Value)}");
        }

        return string.Join(", ", parts);
    }
}
