namespace Sluice.Bench.Load;

/// <summary>A racy snapshot of a running stage for the live display.</summary>
internal readonly record struct LoadProgress(
    string Label,
    TimeSpan Elapsed,
    TimeSpan Planned,
    bool WarmingUp,
    long Sent,
    long Succeeded,
    long Rejected,
    long Failed,
    long InFlight);
