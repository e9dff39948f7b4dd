using Sluice.Core.Jobs;
using Sluice.Core.Storage;

namespace Sluice.Server.Tests.Infrastructure;

/// <summary>
/// A job store that can be taken down: while <see cref="Down"/> is set, every call throws
/// <see cref="StoreUnavailableException"/>, as the PostgreSQL store does once its connection retries are spent (and
/// while <see cref="Fault"/> is set, that exception).
/// It can also hold outcomes: while <see cref="HeldCompletions"/> is set, <see cref="CompleteAsync"/> waits for it (a
/// slow commit), after completing <see cref="CompletionHeld"/>; <see cref="HeldStarts"/> does the same for
/// <see cref="MarkRunningAsync"/>.
/// </summary>
internal sealed class OutageJobStore(IJobStore inner) : IJobStore
{
    public bool Down { get; set; }

    /// <summary>Completed when the store is asked for an outcome that <see cref="HeldCompletions"/> holds.</summary>
    public TaskCompletionSource CompletionHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, an outcome is written only once this completes.</summary>
    public TaskCompletionSource? HeldCompletions { get; set; }

    /// <summary>Completed when the store is asked to mark a run started that <see cref="HeldStarts"/> holds.</summary>
    public TaskCompletionSource StartHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, a run is marked started only once this completes.</summary>
    public TaskCompletionSource? HeldStarts { get; set; }

    /// <summary>While set, every call throws it: a bug rather than an outage, for the answers of an unhandled exception.</summary>
    public Exception? Fault { get; set; }

    private IJobStore Store => Fault is { } fault ? throw fault
        : Down ? throw new StoreUnavailableException("the job store is unavailable (test outage)") : inner;

    public ValueTask InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public ValueTask<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => Store.GetOrAddSecretAsync(name, candidate, cancellationToken);

    public ValueTask<CreateJobResult> CreateAsync(JobRecord job, CancellationToken cancellationToken) => Store.CreateAsync(job, cancellationToken);

    private int _healthLookups;

    /// <summary>How often the readiness check's lookup (of the id <c>job_health_probe</c>) reached the store.</summary>
    public int HealthLookups => Volatile.Read(ref _healthLookups);

    public async ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (id == "job_health_probe")
        {
            Interlocked.Increment(ref _healthLookups);
        }

        var job = await Store.GetAsync(id, cancellationToken);
        if (HeldReads is { } held)
        {
            ReadHeld.TrySetResult();
            await held.Task.WaitAsync(cancellationToken);
        }

        return job;
    }

    /// <summary>Completed when a job read that <see cref="HeldReads"/> holds has been read.</summary>
    public TaskCompletionSource ReadHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, whoever reads a job gets it (as read then) only once this completes.</summary>
    public TaskCompletionSource? HeldReads { get; set; }

    public ValueTask<IReadOnlyList<JobRecord>> ListAsync(JobQuery query, CancellationToken cancellationToken) => Store.ListAsync(query, cancellationToken);

    private int _startsStored;
    private int _startsRefused;

    /// <summary>How many runs the store recorded as started (each one a run of the model).</summary>
    public int StartsStored => Volatile.Read(ref _startsStored);

    /// <summary>How many runs' starts met the outage (not run).</summary>
    public int StartsRefused => Volatile.Read(ref _startsRefused);

    public async ValueTask<bool> MarkRunningAsync(string id, int attempt, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        if (HeldStarts is { } held)
        {
            StartHeld.TrySetResult();
            await held.Task.WaitAsync(cancellationToken);
        }

        IJobStore store;
        try
        {
            store = Store;
        }
        catch (StoreUnavailableException)
        {
            Interlocked.Increment(ref _startsRefused);
            throw;
        }

        var started = await store.MarkRunningAsync(id, attempt, startedAt, cancellationToken);
        if (started)
        {
            Interlocked.Increment(ref _startsStored);
        }

        return started;
    }

    public async ValueTask<bool> ScheduleRetryAsync(string id, int attempts, string? error, string? errorCode, TimeSpan? retryAfter, DateTimeOffset notBefore, JobRun? run, CancellationToken cancellationToken)
    {
        if (HeldRetries is { } held)
        {
            RetryHeld.TrySetResult();
            await held.Task.WaitAsync(cancellationToken);
        }

        var scheduled = await Store.ScheduleRetryAsync(id, attempts, error, errorCode, retryAfter, notBefore, run, cancellationToken);
        RetryAnswered.TrySetResult(scheduled);
        if (HeldAfterRetries is { } after)
        {
            RetryCommitted.TrySetResult();
            await after.Task.WaitAsync(cancellationToken);
        }

        return scheduled;
    }

    /// <summary>Completed when a retry that <see cref="HeldAfterRetries"/> holds has been written.</summary>
    public TaskCompletionSource RetryCommitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, the scheduler of a retry hears back only once this completes (the retry is stored first).</summary>
    public TaskCompletionSource? HeldAfterRetries { get; set; }

    /// <summary>Completed when the store is asked to schedule a retry that <see cref="HeldRetries"/> holds.</summary>
    public TaskCompletionSource RetryHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, a retry is scheduled only once this completes.</summary>
    public TaskCompletionSource? HeldRetries { get; set; }

    /// <summary>Completed with the store's answer to the first retry it is asked to schedule, once written.</summary>
    public TaskCompletionSource<bool> RetryAnswered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask<bool> RerouteAsync(string id, string model, string? modelVersion, string inputJson, int attempts, bool fallbackAllowed, DateTimeOffset at, JobRun? run, CancellationToken cancellationToken)
    {
        var moved = await Store.RerouteAsync(id, model, modelVersion, inputJson, attempts, fallbackAllowed, at, run, cancellationToken);
        if (HeldAfterReroutes is { } after)
        {
            RerouteCommitted.TrySetResult();
            await after.Task.WaitAsync(cancellationToken);
        }

        return moved;
    }

    /// <summary>Completed when a move that <see cref="HeldAfterReroutes"/> holds has been written.</summary>
    public TaskCompletionSource RerouteCommitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, the mover of a job hears back only once this completes (the move is stored first).</summary>
    public TaskCompletionSource? HeldAfterReroutes { get; set; }

    public async ValueTask<bool> CompleteAsync(JobCompletion completion, CancellationToken cancellationToken)
    {
        if (HeldCompletions is { } held)
        {
            CompletionHeld.TrySetResult();
            await held.Task.WaitAsync(cancellationToken);
        }

        var stored = await Store.CompleteAsync(completion, cancellationToken);
        if (HeldAfterCompletions is { } after)
        {
            CompletionCommitted.TrySetResult();
            await after.Task.WaitAsync(cancellationToken);
        }

        return stored;
    }

    /// <summary>Completed when an outcome that <see cref="HeldAfterCompletions"/> holds has been written.</summary>
    public TaskCompletionSource CompletionCommitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>While set, the writer of an outcome hears back only once this completes (the outcome is committed first).</summary>
    public TaskCompletionSource? HeldAfterCompletions { get; set; }

    /// <summary>Calls of <see cref="GetEventsAsync"/> so far, answered or not (a wait polling the store makes one per round).</summary>
    public int EventReads => Volatile.Read(ref _eventReads);

    private int _eventReads;

    public ValueTask<IReadOnlyList<JobEvent>> GetEventsAsync(string jobId, long afterId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _eventReads);
        return Store.GetEventsAsync(jobId, afterId, cancellationToken);
    }

    public ValueTask<IReadOnlyList<JobRecord>> LoadUnfinishedAsync(CancellationToken cancellationToken) => Store.LoadUnfinishedAsync(cancellationToken);

    public ValueTask<JobRecord?> RequeueDeadLetterAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        Store.RequeueDeadLetterAsync(id, now, cancellationToken);

    public ValueTask<bool> RestoreDeadLetterAsync(JobRecord deadLetter, IReadOnlyList<JobEvent> events, CancellationToken cancellationToken) =>
        Store.RestoreDeadLetterAsync(deadLetter, events, cancellationToken);

    public ValueTask<string?> GetCachedResultAsync(string cacheKey, CancellationToken cancellationToken) => Store.GetCachedResultAsync(cacheKey, cancellationToken);

    public ValueTask PurgeAsync(DateTimeOffset olderThan, CancellationToken cancellationToken) => Store.PurgeAsync(olderThan, cancellationToken);

    public ValueTask<int> PurgeFinishedJobsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => Store.PurgeFinishedJobsAsync(now, limit, cancellationToken);
}
