namespace Sluice.Core.Jobs;

/// <summary>One event of a job's stream; <see cref="Id"/> increases by one per event so resumption has no gaps.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Id">Per-job sequence number starting at 1 (the SSE <c>id:</c>).</param>
/// <param name="Type">queued, started, progress, delta, completed, failed, cancelled, expired, dead_lettered, retrying.</param>
/// <param name="DataJson">The event payload as JSON text.</param>
/// <param name="At">When it happened.</param>
public sealed record JobEvent(string JobId, long Id, string Type, string DataJson, DateTimeOffset At)
{
    /// <summary>True for the event that ends a stream.</summary>
    public bool IsTerminal => JobEventTypes.IsTerminal(Type);

    /// <summary>
    /// The attempt whose run produced the event, when known (not serialised). A store that keeps the events of
    /// running jobs refuses an event of an attempt the job has moved past: a superseded run cannot add to the stream.
    /// </summary>
    public int? Attempt { get; init; }

    /// <summary>
    /// When the store marked that attempt's run started, when known (not serialised): with <see cref="Attempt"/>, the
    /// run's identity. Attempts alone do not tell runs apart (a requeued dead letter counts them from 1 again), so a
    /// store refuses an event whose run the job is no longer in.
    /// </summary>
    public DateTimeOffset? RunStartedAt { get; init; }
}
