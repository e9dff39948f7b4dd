namespace Sluice.Bench.Load;

/// <summary>One window of the latency-over-time series (latency of succeeded requests due in the window).</summary>
internal sealed record TimelinePoint
{
    /// <summary>Start of the window, seconds after measuring started.</summary>
    public double StartSeconds { get; init; }

    /// <summary>Arrivals scheduled in the window (open loop), per second.</summary>
    public double OfferedPerSecond { get; init; }

    /// <summary>Succeeded requests due in the window, per second.</summary>
    public double SucceededPerSecond { get; init; }

    /// <summary>Rejected requests due in the window, per second.</summary>
    public double RejectedPerSecond { get; init; }

    /// <summary>Failed requests due in the window, per second.</summary>
    public double FailedPerSecond { get; init; }

    /// <summary>Median latency of succeeded requests.</summary>
    public double P50Ms { get; init; }

    /// <summary>99th percentile latency of succeeded requests.</summary>
    public double P99Ms { get; init; }

    /// <summary>Largest latency of succeeded requests.</summary>
    public double MaxMs { get; init; }
}
