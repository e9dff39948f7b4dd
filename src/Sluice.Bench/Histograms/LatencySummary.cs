namespace Sluice.Bench.Histograms;

/// <summary>Percentiles of one histogram, in milliseconds.</summary>
internal sealed record LatencySummary
{
    /// <summary>Number of recorded values.</summary>
    public required long Count { get; init; }

    /// <summary>Smallest value (exact).</summary>
    public required double MinMs { get; init; }

    /// <summary>Arithmetic mean (exact).</summary>
    public required double MeanMs { get; init; }

    /// <summary>Median.</summary>
    public required double P50Ms { get; init; }

    /// <summary>90th percentile.</summary>
    public required double P90Ms { get; init; }

    /// <summary>95th percentile.</summary>
    public required double P95Ms { get; init; }

    /// <summary>99th percentile.</summary>
    public required double P99Ms { get; init; }

    /// <summary>99.9th percentile.</summary>
    public required double P999Ms { get; init; }

    /// <summary>Largest value (exact).</summary>
    public required double MaxMs { get; init; }

    /// <summary>An empty summary.</summary>
    public static LatencySummary Empty { get; } = new()
    {
        Count = 0, MinMs = 0, MeanMs = 0, P50Ms = 0, P90Ms = 0, P95Ms = 0, P99Ms = 0, P999Ms = 0, MaxMs = 0,
    };

    /// <summary>Summarises a histogram of microsecond values.</summary>
    internal static LatencySummary FromMicroseconds(LogLinearHistogram histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return Empty;
        }

        return new LatencySummary
        {
            Count = histogram.TotalCount,
            MinMs = histogram.Min / 1000.0,
            MeanMs = histogram.Mean / 1000.0,
            P50Ms = histogram.ValueAtPercentile(50) / 1000.0,
            P90Ms = histogram.ValueAtPercentile(90) / 1000.0,
            P95Ms = histogram.ValueAtPercentile(95) / 1000.0,
            P99Ms = histogram.ValueAtPercentile(99) / 1000.0,
            P999Ms = histogram.ValueAtPercentile(99.9) / 1000.0,
            MaxMs = histogram.Max / 1000.0,
        };
    }
}
