using Sluice.Core.Jobs;

namespace Sluice.Core.Storage;

/// <summary>The terminal outcome of a job, written once (idempotent by job id).</summary>
public sealed record JobCompletion
{
    public required string JobId { get; init; }
    public required JobStatus Status { get; init; }
    public string? ResultJson { get; init; }
    public string? Error { get; init; }

    /// <summary>Why the job failed, one of <see cref="JobErrorCodes"/> (stored with <see cref="Error"/>; null keeps the stored one).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The wait the failure asked for (see <see cref="JobRecord.RetryAfter"/>); stored with <see cref="ErrorCode"/>.</summary>
    public TimeSpan? RetryAfter { get; init; }
    public int? BatchSize { get; init; }
    public double? QueuedMs { get; init; }
    public double? RunMs { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>The job's full event stream, kept for replay after it ends.</summary>
    public IReadOnlyList<JobEvent> Events { get; init; } = [];

    /// <summary>When set, the result is also stored in the durable result cache under this key.</summary>
    public string? CacheKey { get; init; }

    /// <summary>
    /// Complete only a job that no worker has started (status queued). Another process cancelling a job uses it
    /// so that the store, not a race, decides between the cancel and a worker's <see cref="IJobStore.MarkRunningAsync"/>.
    /// </summary>
    public bool OnlyIfQueued { get; init; }

    /// <summary>
    /// Complete only a job that is running (status running) with a deadline at or before this time ("at", so a timer due
    /// exactly at the deadline plus the grace is not lost to the millisecond precision of the stored deadline). A gateway
    /// uses it to expire a run that no worker ended (its worker died or hangs, and no other took it): the store, not a
    /// race, decides between that expiry and the outcome of a worker that is alive after all. Takes precedence over
    /// <see cref="OnlyIfQueued"/>.
    /// </summary>
    public DateTimeOffset? OnlyIfRunningPastDeadline { get; init; }

    /// <summary>
    /// The run whose outcome this is: its attempt and when the store marked it started (see
    /// <see cref="IJobStore.MarkRunningAsync"/>). Set, the completion applies only while the job is running that very
    /// run: a run superseded meanwhile (its job dead-lettered by a sweep and requeued, or taken over by another worker)
    /// is refused, so it can neither overwrite the next run's outcome nor end its stream. Null: not a run's outcome (a
    /// cancel, an expiry or a dead letter settled for the job as it stands).
    /// </summary>
    public JobRun? Run { get; init; }

    /// <summary>
    /// The <see cref="Events"/> follow whatever the store holds for the job when the completion commits: their ids
    /// are shifted past the last stored event, inside the same write. A process settling a job it does not run (a
    /// cancel, a deadline) numbers its terminal event from what it has seen, and the run's own last event (a
    /// <c>retrying</c>, a <c>rerouted</c>) may be stored under that id just before: the terminal event must not be
    /// the one lost. Read the events back for the ids they were stored under.
    /// </summary>
    public bool EventsFollowStored { get; init; }

    /// <summary>
    /// Also forget the job's idempotency key, in the same write: a submit the queue rejected (503, 429) was never
    /// accepted, so a retry with the same key must create and run a new job instead of replaying this failure.
    /// </summary>
    public bool ReleaseIdempotencyKey { get; init; }

    /// <summary>
    /// <paramref name="events"/> renumbered to start right after <paramref name="lastStored"/> when their first id
    /// does not already (see <see cref="EventsFollowStored"/>); the same list otherwise.
    /// </summary>
    public static IReadOnlyList<JobEvent> NumberAfter(IReadOnlyList<JobEvent> events, long lastStored)
    {
        if (events.Count == 0 || events[0].Id > lastStored)
        {
            return events;
        }

        var shift = lastStored + 1 - events[0].Id;
        var renumbered = new JobEvent[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            renumbered[i] = events[i] with { Id = events[i].Id + shift };
        }

        return renumbered;
    }
}
