using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.Benchmarks.Core;

/// <summary>
/// A job store that keeps nothing and answers at once, so the batcher benchmarks measure the pipeline in process
/// (queue, batcher, lifecycle, events), not SQLite's fsyncs.
/// </summary>
internal sealed class NullJobStore : IJobStore
{
    public ValueTask InitializeAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<CreateJobResult> CreateAsync(JobRecord job, CancellationToken cancellationToken) => ValueTask.FromResult(new CreateJobResult(job, true));

    public ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken) => ValueTask.FromResult<JobRecord?>(null);

    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<JobRecord>>([]);

    public ValueTask<bool> MarkRunningAsync(string id, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    public ValueTask<bool> ScheduleRetryAsync(string id, int attempts, string? error, string? errorCode, TimeSpan? retryAfter, DateTimeOffset notBefore, JobRun? run, CancellationToken cancellationToken) =>
        ValueTask.FromResult(true);

    public ValueTask<bool> RerouteAsync(string id, string model, string? modelVersion, string inputJson, int attempts, bool fallbackAllowed, DateTimeOffset at, JobRun? run, CancellationToken cancellationToken) =>
        ValueTask.FromResult(true);

    public ValueTask<bool> CompleteAsync(JobCompletion completion, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    public ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterId, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<JobEvent>>([]);

    public ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<JobRecord>>([]);

    public ValueTask<JobRecord?> RequeueDeadLetterAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) => ValueTask.FromResult<JobRecord?>(null);

    public ValueTask<bool> RestoreDeadLetterAsync(JobRecord deadLetter, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    public ValueTask<string?> GetCachedResultAsync(string cacheKey, CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);

    public ValueTask PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<int> PurgeFinishedJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => ValueTask.FromResult(0);

    public ValueTask<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => ValueTask.FromResult(candidate);
}
