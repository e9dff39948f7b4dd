using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>
/// Durable state of jobs: records, results, replayable events, idempotency keys, dead letters and the durable
/// result cache. SQLite (embedded default) and PostgreSQL implement it. Every write is durable when its task
/// completes; implementations may group concurrent writes into one commit.
/// </summary>
public interface IJobStore
{
    /// <summary>Prepares the schema; called once at start.</summary>
    ValueTask InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores a new job. When it has an idempotency key already used by the same owner within the retention
    /// window, stores nothing and returns the original job with <c>Created = false</c>.
    /// </summary>
    ValueTask<CreateJobResult> CreateAsync(JobRecord job, CancellationToken cancellationToken);

    /// <summary>The job, or null.</summary>
    ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Jobs matching <paramref name="query"/>, newest first.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken);

    /// <summary>Marks an attempt started; returns false when the job is already terminal (do not run it).</summary>
    ValueTask<bool> MarkRunningAsync(string id, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken);

    /// <summary>
    /// Puts a job not yet terminal back to queued with <paramref name="attempts"/>, to run at <paramref name="notBefore"/>:
    /// a failed attempt (with its <paramref name="error"/>, its <paramref name="errorCode"/> and the wait it asked for,
    /// <paramref name="retryAfter"/>), or a run handed back at a server stop (error null: the job's error, code and wait
    /// are left as they were, since a stop is not the job's failure). With <paramref name="run"/>, only while the job is
    /// still running that run (see <see cref="JobCompletion.Run"/>): a run superseded meanwhile (its job dead-lettered
    /// by a sweep and requeued) must not send the live run's job back to queued. Returns false, changing nothing, when
    /// the job is terminal or (with <paramref name="run"/>) has left that run.
    /// </summary>
    ValueTask<bool> ScheduleRetryAsync(string id, int attempts, string? error, string? errorCode, TimeSpan? retryAfter, DateTimeOffset notBefore, JobRun? run, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a job not yet terminal to another model (its fallback): records <paramref name="model"/>, its
    /// <paramref name="modelVersion"/> and the <paramref name="inputJson"/> that model takes, drops the result-cache
    /// key (the key named the first model) and puts it back to queued with <paramref name="attempts"/>. Returns false,
    /// changing nothing, when the job is already terminal. A store that tracks publication
    /// (<see cref="IJobPublicationStore"/>) also marks the job unconfirmed, claimed at <paramref name="at"/>: the copy
    /// for the new model is not in the broker yet, and if the mover dies before publishing it, the sweep does.
    /// <paramref name="fallbackAllowed"/> is the permission to move the job leaves with: false after a move (a job moves
    /// at most once); true again when a move is undone (the fallback's queue refused it) and the job never left.
    /// With <paramref name="run"/> (a run the model refused), only while the job is still running that run, as for
    /// <see cref="ScheduleRetryAsync"/>; false, changing nothing, otherwise.
    /// </summary>
    ValueTask<bool> RerouteAsync(string id, string model, string? modelVersion, string inputJson, int attempts, bool fallbackAllowed, DateTimeOffset at, JobRun? run, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a terminal outcome and its events. Idempotent: returns false, changing nothing, when the job is
    /// already terminal (a redelivered or raced completion).
    /// </summary>
    ValueTask<bool> CompleteAsync(JobCompletion completion, CancellationToken cancellationToken);

    /// <summary>Events stored for a finished job with id greater than <paramref name="afterId"/>.</summary>
    ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterId, CancellationToken cancellationToken);

    /// <summary>Jobs not yet terminal (queued or interrupted while running), oldest first, for recovery at start.</summary>
    ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken);

    /// <summary>Puts a dead-lettered job back in the queue with a fresh attempt budget; false when it is not dead-lettered.</summary>
    ValueTask<JobRecord?> RequeueDeadLetterAsync(string id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Undoes <see cref="RequeueDeadLetterAsync"/> when the queue refused the job: puts back the dead letter as it
    /// was (<paramref name="deadLetter"/>, read before the requeue) with its <paramref name="events"/>, if the job is
    /// still queued. Returns false when it is not (a worker took it after all).
    /// </summary>
    ValueTask<bool> RestoreDeadLetterAsync(JobRecord deadLetter, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken);

    /// <summary>A durable cached result, or null.</summary>
    ValueTask<string?> GetCachedResultAsync(string cacheKey, CancellationToken cancellationToken);

    /// <summary>Deletes idempotency keys older than <paramref name="olderThan"/> and cache entries past their age.</summary>
    ValueTask PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes at most <paramref name="limit"/> jobs that finished (succeeded, failed, cancelled or expired) more than the
    /// store's job retention (<see cref="JobRetention"/>) before <paramref name="now"/>, with their events and result;
    /// returns how many. Never a queued or running job, however old, nor a dead-lettered one (an operator may still
    /// requeue it). Several processes sharing the store may purge at once: each job is deleted by one of them.
    /// </summary>
    ValueTask<int> PurgeFinishedJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The secret stored as <paramref name="name"/>, storing <paramref name="candidate"/> first when there is none.
    /// Insert-if-absent: processes sharing the store that ask at the same time all get the one stored first.
    /// </summary>
    ValueTask<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken);
}
