using System.Diagnostics.CodeAnalysis;

namespace Sluice.Core.Queueing;

/// <summary>
/// What a batcher reads from: jobs in priority order (with aging). A job read must end in exactly one of
/// <see cref="AcknowledgeAsync"/> (its outcome is durably stored) or <see cref="RetryLaterAsync"/>.
/// </summary>
public interface IJobQueueReader
{
    /// <summary>Waits until a job may be available.</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken);

    /// <summary>Takes the next job if one is waiting.</summary>
    bool TryRead([NotNullWhen(true)] out QueuedJob? job);

    /// <summary>Enqueue time of the job that has waited longest, if any (for batching delay decisions).</summary>
    bool TryPeekOldest(out DateTimeOffset enqueuedAt);

    /// <summary>Jobs waiting.</summary>
    int Count { get; }

    /// <summary>The job's outcome is stored; the transport may forget it.</summary>
    ValueTask AcknowledgeAsync(QueuedJob job, CancellationToken cancellationToken);

    /// <summary>Delivers the job again after <paramref name="delay"/> with one more attempt counted.</summary>
    ValueTask RetryLaterAsync(QueuedJob job, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>
    /// The job exhausted its attempts and its dead-lettered outcome is stored; a broker routes the delivery to
    /// its dead-letter queue (keeping the reason) instead of dropping it.
    /// </summary>
    ValueTask DeadLetterAsync(QueuedJob job, string error, CancellationToken cancellationToken) => AcknowledgeAsync(job, cancellationToken);

    /// <summary>
    /// True when this process can no longer settle the job's delivery (a broker connection lost since it was
    /// taken): the broker redelivers it, so this run must stop without writing an outcome and leave the job to
    /// the redelivered copy.
    /// </summary>
    bool IsStale(QueuedJob job) => false;
}
