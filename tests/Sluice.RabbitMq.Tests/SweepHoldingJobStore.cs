using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.RabbitMq.Tests;

/// <summary>
/// The node's own store with one window held open for a job (see <see cref="Arm"/>): its settle is stored, then answered
/// only once a background read (one that can be cancelled, as the event hub's sweep of its pending cancels reads with
/// its stopping token) has found the job ended; that read is answered only on <see cref="ReleaseRead"/>.
/// </summary>
internal sealed class SweepHoldingJobStore(IJobStore inner) : IJobStore, IJobEventStore, IJobPublicationStore, IJobDeadlineStore
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _jobId;

    /// <summary>Completed when a background read found the armed job ended (and is being held).</summary>
    public TaskCompletionSource ReadHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Holds the next settle of <paramref name="jobId"/> and the background read after it.</summary>
    public void Arm(string jobId) => _jobId = jobId;

    /// <summary>Answers the held read.</summary>
    public void ReleaseRead() => _release.TrySetResult();

    public async ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var job = await inner.GetAsync(id, cancellationToken);
        if (id == _jobId && cancellationToken.CanBeCanceled && job is not null && job.Status.IsTerminal() && ReadHeld.TrySetResult())
        {
            // Bounded: a test that never releases fails on its own assertions, not on a hung hub.
            await Task.WhenAny(_release.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken));
        }

        return job;
    }

    public async ValueTask<bool> CompleteAsync(JobCompletion completion, CancellationToken cancellationToken)
    {
        var settled = await inner.CompleteAsync(completion, cancellationToken);
        if (completion.JobId == _jobId)
        {
            // The hub sweeps once a second: at most 30 s, after which the test finds the read never came.
            await Task.WhenAny(ReadHeld.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken));
        }

        return settled;
    }

    public ValueTask InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public ValueTask<CreateJobResult> CreateAsync(JobRecord job, CancellationToken cancellationToken) => inner.CreateAsync(job, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

    public ValueTask<bool> MarkRunningAsync(string id, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken) =>
        inner.MarkRunningAsync(id, attempt, startedAt, cancellationToken);

    public ValueTask<bool> ScheduleRetryAsync(string id, int attempts, string? error, string? errorCode, TimeSpan? retryAfter, DateTimeOffset notBefore, JobRun? run, CancellationToken cancellationToken) =>
        inner.ScheduleRetryAsync(id, attempts, error, errorCode, retryAfter, notBefore, run, cancellationToken);

    public ValueTask<bool> RerouteAsync(string id, string model, string? modelVersion, string inputJson, int attempts, bool fallbackAllowed, DateTimeOffset at, JobRun? run, CancellationToken cancellationToken) =>
        inner.RerouteAsync(id, model, modelVersion, inputJson, attempts, fallbackAllowed, at, run, cancellationToken);

    public ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterId, CancellationToken cancellationToken) => inner.GetEventsAsync(jobId, afterId, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken) => inner.LoadUnfinishedAsync(cancellationToken);

    public ValueTask<JobRecord?> RequeueDeadLetterAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) => inner.RequeueDeadLetterAsync(id, now, cancellationToken);

    public ValueTask<bool> RestoreDeadLetterAsync(JobRecord deadLetter, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken) =>
        inner.RestoreDeadLetterAsync(deadLetter, events, cancellationToken);

    public ValueTask<string?> GetCachedResultAsync(string cacheKey, CancellationToken cancellationToken) => inner.GetCachedResultAsync(cacheKey, cancellationToken);

    public ValueTask PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => inner.PurgeAsync(olderThan, cancellationToken);

    public ValueTask<int> PurgeFinishedJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => inner.PurgeFinishedJobsAsync(now, limit, cancellationToken);

    public ValueTask<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => inner.GetOrAddSecretAsync(name, candidate, cancellationToken);

    public ValueTask<IReadOnlyList<JobEvent>> AppendEventsAsync(IReadOnlyList<JobEvent> events, CancellationToken cancellationToken) =>
        ((IJobEventStore)inner).AppendEventsAsync(events, cancellationToken);

    public ValueTask<long> GetLastEventIdAsync(string jobId, CancellationToken cancellationToken) => ((IJobEventStore)inner).GetLastEventIdAsync(jobId, cancellationToken);

    public ValueTask MarkPublishedAsync(IReadOnlyList<string> jobIds, DateTimeOffset at, CancellationToken cancellationToken) =>
        ((IJobPublicationStore)inner).MarkPublishedAsync(jobIds, at, cancellationToken);

    public ValueTask<IReadOnlyList<JobRecord>> ClaimUnpublishedAsync(DateTimeOffset createdBefore, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        ((IJobPublicationStore)inner).ClaimUnpublishedAsync(createdBefore, now, limit, cancellationToken);

    public ValueTask<IReadOnlyList<JobDeadline>> ListUnfinishedDeadlinesAsync(DateTimeOffset dueBefore, CancellationToken cancellationToken) =>
        ((IJobDeadlineStore)inner).ListUnfinishedDeadlinesAsync(dueBefore, cancellationToken);
}
