using Sluice.Core.Jobs;
using Sluice.Core.Storage;

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
    /// <paramref name="run"/> (a disconnect's cancel of a job read running) scopes the cancel to that run: a worker stops
    /// only that run (not once it has begun to store its retry), and the store settles the job only while it is still in
    /// it; null (a <c>DELETE</c>) cancels whatever run is live.
    /// </summary>
    ValueTask CancelRemoteAsync(string jobId, bool releaseIdempotencyKey, JobRun? run, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes a job no process is running in the store with <paramref name="status"/> and <paramref name="error"/>
    /// (guarded: with <paramref name="onlyIfQueued"/> only a job still queued, else any unfinished one) and publishes
    /// its terminal event; false when it was already finished (or had started). <paramref name="errorCode"/> (null: the
    /// one <paramref name="status"/> implies) and <paramref name="retryAfter"/> are stored with the error.
    /// </summary>
    ValueTask<bool> SettleAsync(string jobId, JobStatus status, string error, string? errorCode, TimeSpan? retryAfter, bool onlyIfQueued, CancellationToken cancellationToken);
}
