using Sluice.Bench.Histograms;

namespace Sluice.Bench.Load;

/// <summary>The measured result of one stage.</summary>
internal sealed record StageResult
{
    public required string Label { get; init; }

    public required LoadMode Mode { get; init; }

    /// <summary>Closed loop: users; open loop: 0.</summary>
    public int Concurrency { get; init; }

    /// <summary>Open loop: profile description; closed loop: null.</summary>
    public string? Profile { get; init; }

    /// <summary>Open loop: measured arrival rate (arrivals/measured seconds); closed loop: 0.</summary>
    public double OfferedRatePerSecond { get; init; }

    /// <summary>Open loop: the profile's mean nominal rate, for charts; closed loop: 0.</summary>
    public double NominalRatePerSecond { get; init; }

    public required double MeasuredSeconds { get; init; }

    /// <summary>Requests sent while measuring. Always <c>Succeeded + Rejected + Failed</c>.</summary>
    public required long Sent { get; init; }

    public required long Succeeded { get; init; }

    public required long Rejected { get; init; }

    public required long Failed { get; init; }

    /// <summary>
    /// Requests in flight when the run was stopped (Ctrl+C): counted apart, not in <see cref="Sent"/>, the failures,
    /// the latencies or <see cref="ByStatus"/>, since the client abandoned them.
    /// </summary>
    public long Cancelled { get; init; }

    /// <summary>Arrivals the open-loop client dropped because its own backlog was full (never sent).</summary>
    public long ClientDropped { get; init; }

    /// <summary>Rejections that carried Retry-After.</summary>
    public long RejectedWithRetryAfter { get; init; }

    /// <summary>Jobs the server accepted (job targets).</summary>
    public long Accepted { get; init; }

    /// <summary>Jobs the server accepted that did not succeed.</summary>
    public long AcceptedThenLost { get; init; }

    /// <summary>Mean server-reported batch size over jobs that reported one; 0 when none did.</summary>
    public double MeanBatchSize { get; init; }

    /// <summary>Succeeded requests per second.</summary>
    public required double ThroughputPerSecond { get; init; }

    public double ErrorRate => Sent == 0 ? 0 : (double)Failed / Sent;

    public double RejectionRate => Sent == 0 ? 0 : (double)Rejected / Sent;

    /// <summary>Count per outcome ("200", "429", "timeout", ...).</summary>
    public required IReadOnlyDictionary<string, long> ByStatus { get; init; }

    /// <summary>Latency of every sent request (all outcomes).</summary>
    public required LatencySummary Latency { get; init; }

    /// <summary>Latency of succeeded requests only (used for SLO checks).</summary>
    public required LatencySummary SucceededLatency { get; init; }

    /// <summary>Time to first streamed event, or null when the target does not stream.</summary>
    public LatencySummary? TimeToFirstEvent { get; init; }

    /// <summary>Gap between streamed events, or null.</summary>
    public LatencySummary? InterEvent { get; init; }

    /// <summary>Latency and throughput per window.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];

    /// <summary>Offered load on the x axis of charts: users (closed) or requests/s (open).</summary>
    public double OfferedLoad => Mode == LoadMode.Closed ? Concurrency : (NominalRatePerSecond > 0 ? NominalRatePerSecond : OfferedRatePerSecond);
}
