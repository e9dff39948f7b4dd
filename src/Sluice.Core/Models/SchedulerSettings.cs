namespace Sluice.Core.Models;

/// <summary>Per-model scheduling knobs; a model source supplies defaults, configuration overrides them.</summary>
public sealed record SchedulerSettings
{
    /// <summary>Most items in one batch (dynamic batcher).</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>Longest time the oldest request is held to fill a batch, in milliseconds.</summary>
    public double MaxQueueDelayMs { get; init; } = 5;

    /// <summary>Most sequences in the running batch (continuous batcher).</summary>
    public int MaxNumSeqs { get; init; } = 16;

    /// <summary>Queued jobs beyond which a submit is rejected with 429 and Retry-After.</summary>
    public int MaxQueueDepth { get; init; } = 10_000;

    /// <summary>Attempts before a failing job is dead-lettered.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Deadline applied when a request gives none, in milliseconds (0 = none).</summary>
    public int DefaultDeadlineMs { get; init; }

    /// <summary>
    /// What the model expects one batch to take, in milliseconds, before it has timed any of its own: a full batch
    /// (dynamic batcher) or one sequence's whole run (continuous batcher). Only the Retry-After of a full queue uses
    /// it, and only until the model's measured timings replace it (see <c>DrainEstimate</c>).
    /// </summary>
    public double ExpectedBatchMs { get; init; } = 1000;

    /// <summary>
    /// What each item adds to a batch's <see cref="ExpectedBatchMs"/> (dynamic batcher), as the model source declares it:
    /// the registry rescales the declared full batch to a configured <see cref="MaxBatchSize"/> by it, so a smaller batch
    /// is not expected to take as long as the default one. Not read from configuration: a configured
    /// <c>ExpectedBatchMs</c> is taken as it is.
    /// </summary>
    public double ExpectedItemMs { get; init; }
}
