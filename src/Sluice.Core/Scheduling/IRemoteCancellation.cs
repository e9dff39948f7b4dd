using Sluice.Core.Jobs;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Cancels a job that runs (or may run) in another process. A cross-process event hub implements it; the job
/// service uses it when the job is not live in this process.
/// </summary>
public interface IRemoteCancellation
{
    /// <summary>
    /// Records the cancellation if the job is still queued, else asks the worker running it to stop it.
    /// <paramref name="releaseIdempotencyKey"/> (the request that created the job went away unanswered) also frees the
    /// job's Idempotency-Key with the cancelled outcome, whichever process stores it, as for a job live in this process.
    /// </summary>
    ValueTask CancelRemoteAsync(string jobId, bool releaseIdempotencyKey, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes a job no process is running in the store with <paramref name="status"/> and <paramref name="error"/>
    /// (guarded: with <paramref name="onlyIfQueued"/> only a job still queued, else any unfinished one) and publishes
    /// its terminal event; false when it was already finished (or had started). <paramref name="errorCode"/> (null: the
    /// one <paramref name="status"/> implies) and <paramref name="retryAfter"/> are stored with the error.
    /// </summary>
    ValueTask<bool> SettleAsync(string jobId, JobStatus status, string error, string? errorCode, TimeSpan? retryAfter, bool onlyIfQueued, CancellationToken cancellationToken);
}
