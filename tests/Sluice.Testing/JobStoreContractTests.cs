using Sluice.Core.Jobs;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;
using Xunit;

namespace Sluice.Testing;

/// <summary>
/// What every <see cref="IJobStore"/> must do, written once and run by each store's test class against the real
/// store (SQLite on a throwaway file, PostgreSQL on a real server), so the embedded and the distributed store
/// cannot drift apart. A subclass supplies the store and adds only the cases specific to it.
/// </summary>
public abstract class JobStoreContractTests : IAsyncLifetime
{
    /// <summary>The store under test, initialised; replaced by <see cref="ReopenStoreAsync"/>.</summary>
    protected IJobStore Store { get; private set; } = null!;

    /// <summary>
    /// Opens and initialises a store over this test's storage (a file, a database). Called once per test, and again
    /// by <see cref="ReopenStoreAsync"/> after the previous store is disposed: the new store must then see the same
    /// data, as a restarted process would.
    /// </summary>
    protected abstract Task<IJobStore> OpenStoreAsync();

    /// <summary>
    /// Replaces this test's storage (the store is closed) with the schema of the build before
    /// <see cref="JobRecord.FallbackAllowed"/> was journaled, holding <paramref name="job"/> queued as that build
    /// wrote it, so that the next <see cref="OpenStoreAsync"/> has to upgrade it in place.
    /// </summary>
    protected abstract Task WritePreviousSchemaAsync(JobRecord job);

    public virtual async Task InitializeAsync() => Store = await OpenStoreAsync();

    public virtual async Task DisposeAsync() => await CloseStoreAsync();

    /// <summary>Disposes the store and opens a new one over the same storage (a process restart).</summary>
    protected async Task ReopenStoreAsync()
    {
        await CloseStoreAsync();
        Store = await OpenStoreAsync();
    }

    /// <summary>As <see cref="ReopenStoreAsync()"/>, with <paramref name="whileClosed"/> run in between (it may rewrite the storage).</summary>
    protected async Task ReopenStoreAsync(Func<Task> whileClosed)
    {
        await CloseStoreAsync();
        await whileClosed();
        Store = await OpenStoreAsync();
    }

    /// <summary>
    /// A queued job of owner <paramref name="owner"/>. The input has spaces and nesting and the job a trace parent,
    /// so a store that normalises JSON or drops a column fails the round trip.
    /// </summary>
    protected static JobRecord NewJob(string? key = null, string owner = "o", DateTimeOffset? at = null) => new()
    {
        Id = JobIds.New(at ?? DateTimeOffset.UtcNow),
        Model = "m",
        InputJson = "{\"x\": 1, \"a\": [1, 2]}",
        Owner = owner,
        CreatedAt = at ?? DateTimeOffset.UtcNow,
        IdempotencyKey = key,
        RequestHash = key is null ? null : "h",
        TraceParent = "00-abc-def-00",
    };

    [Fact]
    public async Task CompleteAsync_OnlyIfRunningPastDeadline_SettlesOnlyARunningJobWhoseDeadlineIsNotAfterTheCutoff()
    {
        var now = DateTimeOffset.UtcNow;
        var deadline = now.AddSeconds(-10);
        JobCompletion Expire(string id, DateTimeOffset cutoff) =>
            new() { JobId = id, Status = JobStatus.Expired, Error = "overdue", CompletedAt = now, OnlyIfRunningPastDeadline = cutoff };

        var queued = (await Store.CreateAsync(NewJob() with { Deadline = deadline }, CancellationToken.None)).Job;
        var running = (await Store.CreateAsync(NewJob() with { Deadline = deadline }, CancellationToken.None)).Job;
        Assert.True(await Store.MarkRunningAsync(running.Id, 1, now, CancellationToken.None));

        // A queued job is the queued-deadline timer's; a deadline not yet that far past is the worker's to stop.
        Assert.False(await Store.CompleteAsync(Expire(queued.Id, now), CancellationToken.None));
        Assert.False(await Store.CompleteAsync(Expire(running.Id, deadline.AddSeconds(-1)), CancellationToken.None));
        Assert.Equal(JobStatus.Running, (await Store.GetAsync(running.Id, CancellationToken.None))!.Status);

        // At the cutoff to the millisecond counts: the gateway's timer is due exactly at the deadline plus the grace.
        Assert.True(await Store.CompleteAsync(Expire(running.Id, deadline), CancellationToken.None));
        // The worker that comes back with an outcome finds the job finished: refused, the expiry stays.
        Assert.False(await Store.CompleteAsync(new JobCompletion { JobId = running.Id, Status = JobStatus.Succeeded, ResultJson = "{}", CompletedAt = now }, CancellationToken.None));
        var stored = await Store.GetAsync(running.Id, CancellationToken.None);
        Assert.Equal((JobStatus.Expired, "overdue"), (stored!.Status, stored.Error));
        Assert.Equal(JobStatus.Queued, (await Store.GetAsync(queued.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task CompleteAsync_OnlyIfRunningPastDeadline_AfterTheWorkersOutcome_RefusedAndTheOutcomeStays()
    {
        var now = DateTimeOffset.UtcNow;
        var deadline = now.AddSeconds(-10);
        var job = (await Store.CreateAsync(NewJob() with { Deadline = deadline }, CancellationToken.None)).Job;
        Assert.True(await Store.MarkRunningAsync(job.Id, 1, now, CancellationToken.None));

        // The worker was alive after all and stored its outcome first: the gateway's expiry must not replace it.
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Expired, Error = "the worker's", CompletedAt = now }, CancellationToken.None));
        Assert.False(await Store.CompleteAsync(
            new JobCompletion { JobId = job.Id, Status = JobStatus.Expired, Error = "the gateway's", CompletedAt = now, OnlyIfRunningPastDeadline = now },
            CancellationToken.None));
        Assert.Equal("the worker's", (await Store.GetAsync(job.Id, CancellationToken.None))!.Error);

        // The running guard wins over the queued one: a completion carrying both settles a running job, never a queued one.
        var queued = (await Store.CreateAsync(NewJob() with { Deadline = deadline }, CancellationToken.None)).Job;
        var running = (await Store.CreateAsync(NewJob() with { Deadline = deadline }, CancellationToken.None)).Job;
        Assert.True(await Store.MarkRunningAsync(running.Id, 1, now, CancellationToken.None));
        JobCompletion Both(string id) => new() { JobId = id, Status = JobStatus.Expired, Error = "overdue", CompletedAt = now, OnlyIfQueued = true, OnlyIfRunningPastDeadline = now };
        Assert.False(await Store.CompleteAsync(Both(queued.Id), CancellationToken.None));
        Assert.True(await Store.CompleteAsync(Both(running.Id), CancellationToken.None));
        Assert.Equal(JobStatus.Queued, (await Store.GetAsync(queued.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task CreateAsync_ThenGet_RoundTripsEveryField()
    {
        var job = NewJob() with { Deadline = DateTimeOffset.UtcNow.AddMinutes(1), Priority = JobPriority.High, MaxAttempts = 5, CacheKey = "ck", FallbackAllowed = true };
        Assert.True((await Store.CreateAsync(job, CancellationToken.None)).Created);
        var stored = await Store.GetAsync(job.Id, CancellationToken.None);
        // Times are stored as Unix milliseconds; the input text is kept byte for byte (not normalised as jsonb would).
        Assert.Equal(job with { Deadline = DateTimeOffset.FromUnixTimeMilliseconds(job.Deadline!.Value.ToUnixTimeMilliseconds()), CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedAt.ToUnixTimeMilliseconds()) }, stored);
        Assert.Null(await Store.GetAsync("job_missing", CancellationToken.None));
    }

    [Fact]
    public async Task CreateAsync_SameOwnerAndKey_ReturnsOriginal()
    {
        var first = await Store.CreateAsync(NewJob("k"), CancellationToken.None);
        var second = await Store.CreateAsync(NewJob("k"), CancellationToken.None);
        var otherOwner = await Store.CreateAsync(NewJob("k", owner: "p"), CancellationToken.None);
        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Job.Id, second.Job.Id);
        Assert.True(otherOwner.Created);
    }

    [Fact]
    public async Task CreateAsync_SameOwnerAndKeyConcurrently_OneJobWins()
    {
        // A client retrying before its first request is answered: the store, not the caller, must pick one job.
        var tasks = Enumerable.Range(0, 20).Select(_ => Store.CreateAsync(NewJob("k"), CancellationToken.None).AsTask()).ToArray();
        await Task.WhenAll(tasks);
        Assert.Equal(1, tasks.Count(t => t.Result.Created));
        Assert.Single(tasks.Select(t => t.Result.Job.Id).Distinct());
        var otherOwner = await Store.CreateAsync(NewJob("k", owner: "p"), CancellationToken.None);
        Assert.True(otherOwner.Created);
    }

    [Fact]
    public async Task CreateAsync_KeyOlderThanRetention_CreatesNewJob()
    {
        var old = await Store.CreateAsync(NewJob("k", at: DateTimeOffset.UtcNow.AddHours(-25)), CancellationToken.None);
        var fresh = await Store.CreateAsync(NewJob("k"), CancellationToken.None);
        Assert.True(fresh.Created);
        Assert.NotEqual(old.Job.Id, fresh.Job.Id);
    }

    [Fact]
    public async Task CompleteAsync_Twice_SecondChangesNothing()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var events = new[] { new JobEvent(job.Id, 1, "queued", "{}", DateTimeOffset.UtcNow), new JobEvent(job.Id, 2, "completed", "{\"status\":\"succeeded\"}", DateTimeOffset.UtcNow) };
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Succeeded, ResultJson = "1", CompletedAt = DateTimeOffset.UtcNow, Events = events }, CancellationToken.None));
        Assert.False(await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Failed, Error = "late", CompletedAt = DateTimeOffset.UtcNow, Events = events }, CancellationToken.None));
        var stored = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Succeeded, stored!.Status);
        Assert.Equal("1", stored.ResultJson);
        Assert.Equal(2, (await Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Count);
        Assert.False(await Store.MarkRunningAsync(job.Id, 2, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task CompleteAsync_RunTheJobHasLeft_RefusedWhileTheCurrentRunsOutcomeIsStored()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var first = new JobRun(1, DateTimeOffset.UtcNow.AddSeconds(-10));
        Assert.True(await Store.MarkRunningAsync(job.Id, first.Attempt, first.StartedAt, CancellationToken.None));

        // A sweep dead-letters the job behind its run's back, and it is requeued; the next run starts as attempt 1 again.
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "lease lost", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));
        Assert.NotNull(await Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.False(await Store.CompleteAsync(Completion(first, "\"stale\""), CancellationToken.None));
        var second = new JobRun(1, DateTimeOffset.UtcNow);
        Assert.True(await Store.MarkRunningAsync(job.Id, second.Attempt, second.StartedAt, CancellationToken.None));

        // The first run's outcome, late: the same attempt number, but not the run the job is in.
        Assert.False(await Store.CompleteAsync(Completion(first, "\"stale\""), CancellationToken.None));
        Assert.Equal(JobStatus.Running, (await Store.GetAsync(job.Id, CancellationToken.None))!.Status);
        Assert.True(await Store.CompleteAsync(Completion(second, "\"fresh\""), CancellationToken.None));
        var stored = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Succeeded, stored!.Status);
        Assert.Equal("\"fresh\"", stored.ResultJson);

        JobCompletion Completion(JobRun run, string result) => new()
        {
            JobId = job.Id,
            Status = JobStatus.Succeeded,
            ResultJson = result,
            CompletedAt = DateTimeOffset.UtcNow,
            Run = run,
        };
    }

    [Fact]
    public async Task ScheduleRetryAsync_RunTheJobHasLeft_RefusedAndReportedWhileTheCurrentRunsRetryIsStored()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var (first, second) = await RequeuedBehindItsRunAsync(job);

        // The first run fails late: the same attempt number as the run the job is in, but not that run.
        Assert.False(await Store.ScheduleRetryAsync(job.Id, 1, "stale", JobErrorCodes.ModelError, null, DateTimeOffset.UtcNow.AddMinutes(5), first, CancellationToken.None));
        var running = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Running, running!.Status);
        Assert.NotEqual("stale", running.Error);
        Assert.Null(running.NotBefore);

        Assert.True(await Store.ScheduleRetryAsync(job.Id, 1, "fresh", JobErrorCodes.ModelError, null, DateTimeOffset.UtcNow, second, CancellationToken.None));
        var retrying = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Queued, retrying!.Status);
        Assert.Equal("fresh", retrying.Error);

        // Queued now: no run is in progress, so no run's retry applies (a run handed back at a stop neither).
        Assert.False(await Store.ScheduleRetryAsync(job.Id, 1, null, null, null, DateTimeOffset.UtcNow, second, CancellationToken.None));
    }

    [Fact]
    public async Task RerouteAsync_RunTheJobHasLeft_RefusedAndTheJobStaysOnItsModel()
    {
        var job = (await Store.CreateAsync(NewJob() with { FallbackAllowed = true }, CancellationToken.None)).Job;
        var (first, second) = await RequeuedBehindItsRunAsync(job);

        Assert.False(await Store.RerouteAsync(job.Id, "fallback", null, "{}", 0, false, DateTimeOffset.UtcNow, first, CancellationToken.None));
        var running = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Running, running!.Status);
        Assert.Equal(job.Model, running.Model);
        Assert.True(running.FallbackAllowed);

        Assert.True(await Store.RerouteAsync(job.Id, "fallback", null, "{}", 0, false, DateTimeOffset.UtcNow, second, CancellationToken.None));
        Assert.Equal("fallback", (await Store.GetAsync(job.Id, CancellationToken.None))!.Model);
    }

    /// <summary>
    /// Starts a run of <paramref name="job"/> (attempt 1), has a sweep dead-letter it behind that run's back, requeues
    /// it and starts its next run, attempt 1 again: returns both runs.
    /// </summary>
    private async Task<(JobRun First, JobRun Second)> RequeuedBehindItsRunAsync(JobRecord job)
    {
        var first = new JobRun(1, DateTimeOffset.UtcNow.AddSeconds(-10));
        Assert.True(await Store.MarkRunningAsync(job.Id, first.Attempt, first.StartedAt, CancellationToken.None));
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "lease lost", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));
        Assert.NotNull(await Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None));
        var second = new JobRun(1, DateTimeOffset.UtcNow);
        Assert.True(await Store.MarkRunningAsync(job.Id, second.Attempt, second.StartedAt, CancellationToken.None));
        return (first, second);
    }

    [Fact]
    public async Task CompleteAsync_EventsFollowStoredWhileTheRunStoredAnEventUnderTheSameId_TerminalEventStoredAfterIt()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        var terminalId = 1L;
        if (Store is IJobEventStore running)
        {
            // The run stores its event 1 just before another process settles the job numbering its terminal event 1 too.
            await running.AppendEventsAsync([new JobEvent(job.Id, 1, "retrying", "{}", DateTimeOffset.UtcNow) { Attempt = 1 }], CancellationToken.None);
            terminalId = 2;
        }

        Assert.True(await Store.CompleteAsync(new JobCompletion
        {
            JobId = job.Id,
            Status = JobStatus.Cancelled,
            Error = "cancelled by the client",
            CompletedAt = DateTimeOffset.UtcNow,
            Events = [new JobEvent(job.Id, 1, "cancelled", "{}", DateTimeOffset.UtcNow)],
            EventsFollowStored = true,
        }, CancellationToken.None));

        // The stream ends with its terminal event, whatever the run stored before it.
        var stored = await Store.GetEventsAsync(job.Id, 0, CancellationToken.None);
        Assert.Equal(terminalId, stored.Count);
        Assert.Equal("cancelled", stored[^1].Type);
        Assert.Equal(terminalId, stored[^1].Id);
    }

    [Fact]
    public async Task GetOrAddSecretAsync_ConcurrentCandidatesThenReopen_EveryCallerGetsTheFirstStoredOne()
    {
        var candidates = Enumerable.Range(1, 8).Select(i => Enumerable.Repeat((byte)i, 32).ToArray()).ToArray();

        var got = await Task.WhenAll(candidates.Select(c => Store.GetOrAddSecretAsync("s", c, CancellationToken.None).AsTask()));
        var other = await Store.GetOrAddSecretAsync("other", new byte[32], CancellationToken.None);
        await ReopenStoreAsync();
        var afterRestart = await Store.GetOrAddSecretAsync("s", new byte[32], CancellationToken.None);

        Assert.Contains(candidates, c => c.AsSpan().SequenceEqual(got[0]));
        Assert.All(got, g => Assert.Equal(got[0], g));
        Assert.Equal(got[0], afterRestart);
        Assert.Equal(new byte[32], other);
    }

    [Fact]
    public async Task LoadUnfinishedAsync_AfterReopen_ReturnsQueuedAndRunningOnly()
    {
        var queued = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var running = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var done = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.MarkRunningAsync(running.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        await Store.CompleteAsync(new JobCompletion { JobId = done.Id, Status = JobStatus.Succeeded, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);

        // Recovery runs in a new process: what it loads must come from durable storage, not the old store's memory.
        await ReopenStoreAsync();
        var unfinished = await Store.LoadUnfinishedAsync(CancellationToken.None);
        Assert.Equal(new[] { queued.Id, running.Id }.Order(), unfinished.Select(j => j.Id).Order());
        Assert.Equal(1, unfinished.Single(j => j.Id == running.Id).Attempts);
    }

    [Fact]
    public async Task LoadUnfinishedAsync_FallbackAllowedJobsAfterReopen_RecoveredWithThePermissionToMove()
    {
        var routed = (await Store.CreateAsync(NewJob() with { FallbackAllowed = true }, CancellationToken.None)).Job;
        var direct = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var interrupted = (await Store.CreateAsync(NewJob() with { FallbackAllowed = true }, CancellationToken.None)).Job;
        await Store.MarkRunningAsync(interrupted.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);

        // A crash: the queue's memory is gone, and what recovery queues again is built from the store alone.
        await ReopenStoreAsync();
        var recovered = (await Store.LoadUnfinishedAsync(CancellationToken.None)).ToDictionary(j => j.Id, QueuedJob.FromRecord);

        Assert.True(recovered[routed.Id].FallbackAllowed);
        Assert.False(recovered[direct.Id].FallbackAllowed);
        Assert.True(recovered[interrupted.Id].FallbackAllowed);
    }

    [Fact]
    public async Task InitializeAsync_StorageOfThePreviousSchema_UpgradedInPlaceKeepingItsJobs()
    {
        var old = NewJob() with { Priority = JobPriority.Low, CacheKey = "ck" };
        await CloseStoreAsync();
        await WritePreviousSchemaAsync(old);

        Store = await OpenStoreAsync();

        // The job written before the column existed is still there, whole, and was never given the permission.
        var kept = await Store.GetAsync(old.Id, CancellationToken.None);
        Assert.Equal(old with { CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(old.CreatedAt.ToUnixTimeMilliseconds()) }, kept);
        Assert.False(kept!.FallbackAllowed);
        Assert.Equal([old.Id], (await Store.LoadUnfinishedAsync(CancellationToken.None)).Select(j => j.Id));
        var routed = (await Store.CreateAsync(NewJob() with { FallbackAllowed = true }, CancellationToken.None)).Job;
        Assert.True((await Store.GetAsync(routed.Id, CancellationToken.None))!.FallbackAllowed);

        // Opening the upgraded storage again migrates nothing twice.
        await ReopenStoreAsync();
        Assert.True((await Store.GetAsync(routed.Id, CancellationToken.None))!.FallbackAllowed);
        Assert.False((await Store.GetAsync(old.Id, CancellationToken.None))!.FallbackAllowed);
    }

    [Fact]
    public async Task ScheduleRetryAsync_WithoutError_RequeuesKeepingTheLastErrorAndNeverTouchesAFinishedJob()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        await Store.ScheduleRetryAsync(job.Id, 1, "boom", null, null, DateTimeOffset.UtcNow, null, CancellationToken.None);
        await Store.MarkRunningAsync(job.Id, 2, DateTimeOffset.UtcNow, CancellationToken.None);

        // A run handed back at a server stop: queued again with the attempts it had, the failure before it kept.
        await Store.ScheduleRetryAsync(job.Id, 1, null, null, null, DateTimeOffset.UtcNow, null, CancellationToken.None);
        var requeued = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Queued, requeued!.Status);
        Assert.Equal(1, requeued.Attempts);
        Assert.Equal("boom", requeued.Error);

        await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Succeeded, ResultJson = "1", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        await Store.ScheduleRetryAsync(job.Id, 0, null, null, null, DateTimeOffset.UtcNow, null, CancellationToken.None);
        Assert.Equal(JobStatus.Succeeded, (await Store.GetAsync(job.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task ScheduleRetryAndCompleteAsync_FailureCodeAndWait_StoredWithTheErrorAndReadBack()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);

        // A failed attempt refused by the open circuit: its code and the time to the trial are kept with its error.
        await Store.ScheduleRetryAsync(job.Id, 1, "backend 'b': circuit open", JobErrorCodes.CircuitOpen, TimeSpan.FromMilliseconds(30_100), DateTimeOffset.UtcNow, null, CancellationToken.None);
        var retrying = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobErrorCodes.CircuitOpen, retrying!.ErrorCode);
        Assert.Equal(TimeSpan.FromMilliseconds(30_100), retrying.RetryAfter);

        // A run handed back at a server stop is no failure: the last one's code and wait stay, as its error does.
        await Store.MarkRunningAsync(job.Id, 2, DateTimeOffset.UtcNow, CancellationToken.None);
        await Store.ScheduleRetryAsync(job.Id, 1, null, null, null, DateTimeOffset.UtcNow, null, CancellationToken.None);
        var handedBack = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobErrorCodes.CircuitOpen, handedBack!.ErrorCode);
        Assert.Equal(TimeSpan.FromMilliseconds(30_100), handedBack.RetryAfter);

        // The next failure asks for no wait: the earlier wait, which was the circuit's, does not stay with it.
        await Store.MarkRunningAsync(job.Id, 2, DateTimeOffset.UtcNow, CancellationToken.None);
        await Store.ScheduleRetryAsync(job.Id, 2, "backend 'b': connection failed", JobErrorCodes.UpstreamError, null, DateTimeOffset.UtcNow, null, CancellationToken.None);
        var again = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobErrorCodes.UpstreamError, again!.ErrorCode);
        Assert.Null(again.RetryAfter);

        await Store.MarkRunningAsync(job.Id, 3, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.True(await Store.CompleteAsync(new JobCompletion
        {
            JobId = job.Id,
            Status = JobStatus.DeadLettered,
            Error = "backend 'b': upstream answered 429 Too Many Requests",
            ErrorCode = JobErrorCodes.UpstreamUnavailable,
            RetryAfter = TimeSpan.FromSeconds(7),
            CompletedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None));

        var done = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobErrorCodes.UpstreamUnavailable, done!.ErrorCode);
        Assert.Equal(TimeSpan.FromSeconds(7), done.RetryAfter);
        var listed = Assert.Single(await Store.ListAsync(new JobQuery { Owner = job.Owner, Status = JobStatus.DeadLettered }, CancellationToken.None), j => j.Id == job.Id);
        Assert.Equal(JobErrorCodes.UpstreamUnavailable, listed.ErrorCode);
        Assert.Equal(TimeSpan.FromSeconds(7), listed.RetryAfter);

        // And after a restart, as any other column.
        await ReopenStoreAsync();
        var reopened = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobErrorCodes.UpstreamUnavailable, reopened!.ErrorCode);
        Assert.Equal(TimeSpan.FromSeconds(7), reopened.RetryAfter);
    }

    [Fact]
    public async Task ScheduleRetryCompleteAndCreateAsync_ErrorWithNul_StoredWithTheNulAsReplacementCharacter()
    {
        // An upstream's answer quoted in an error can hold a NUL, which PostgreSQL's text refuses: the outcome is stored
        // all the same (else the job stays running), the NUL as U+FFFD and the rest (an emoji, Hebrew) as it is.
        const string error = "backend 'b': upstream answered 400 Bad Request: bad\0input \U0001F600 \u05E9\u05DC\u05D5\u05DD";
        var expected = error.Replace('\0', '\uFFFD');
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.True(await Store.ScheduleRetryAsync(job.Id, 1, error, JobErrorCodes.UpstreamError, null, DateTimeOffset.UtcNow, null, CancellationToken.None));
        Assert.Equal(expected, (await Store.GetAsync(job.Id, CancellationToken.None))!.Error);

        await Store.MarkRunningAsync(job.Id, 2, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Failed, Error = error, ErrorCode = JobErrorCodes.UpstreamError, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));

        // A record written whole (as a restored dead letter is) too.
        var written = (await Store.CreateAsync(NewJob() with { Status = JobStatus.Failed, Error = error }, CancellationToken.None)).Job;

        await ReopenStoreAsync();
        var done = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Failed, done!.Status);
        Assert.Equal(expected, done.Error);
        Assert.Equal(expected, (await Store.GetAsync(written.Id, CancellationToken.None))!.Error);
    }

    [Fact]
    public async Task RerouteAsync_RunningJob_MovesToModelQueuedWithoutCacheKeyAndNeverTouchesAFinishedJob()
    {
        var job = (await Store.CreateAsync(NewJob() with { ModelVersion = "v1", CacheKey = "ck", FallbackAllowed = true }, CancellationToken.None)).Job;
        await Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);

        // A run the model refused before any work: moved to the fallback, queued again with the attempt given back.
        Assert.True(await Store.RerouteAsync(job.Id, "fallback", "v2", "{\"prompt\": \"p\"}", 0, false, DateTimeOffset.UtcNow, null, CancellationToken.None));
        var moved = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Queued, moved!.Status);
        Assert.Equal("fallback", moved.Model);
        Assert.Equal("v2", moved.ModelVersion);
        Assert.Equal("{\"prompt\": \"p\"}", moved.InputJson);
        Assert.Equal(0, moved.Attempts);
        Assert.Null(moved.CacheKey);
        Assert.Equal(job.Owner, moved.Owner);
        Assert.Equal(job.TraceParent, moved.TraceParent);
        // Moved once: a recovery of the moved job must not move it again.
        Assert.False(moved.FallbackAllowed);
        await ReopenStoreAsync();
        Assert.False(Assert.Single(await Store.LoadUnfinishedAsync(CancellationToken.None), j => j.Id == job.Id).FallbackAllowed);

        await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Cancelled, CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        Assert.False(await Store.RerouteAsync(job.Id, "m", "v1", job.InputJson, 0, false, DateTimeOffset.UtcNow, null, CancellationToken.None));
        var done = await Store.GetAsync(job.Id, CancellationToken.None);
        Assert.Equal(JobStatus.Cancelled, done!.Status);
        Assert.Equal("fallback", done.Model);
    }

    [Fact]
    public async Task RerouteAsync_MoveUndoneBecauseTheFallbackRefused_KeepsThePermissionToMove()
    {
        var job = (await Store.CreateAsync(NewJob() with { FallbackAllowed = true }, CancellationToken.None)).Job;
        Assert.True(await Store.RerouteAsync(job.Id, "fallback", null, "{}", 0, false, DateTimeOffset.UtcNow, null, CancellationToken.None));

        // The fallback's queue refused the copy: back on its own model, the job never moved and may still move.
        Assert.True(await Store.RerouteAsync(job.Id, job.Model, null, job.InputJson, 0, true, DateTimeOffset.UtcNow, null, CancellationToken.None));
        await ReopenStoreAsync();
        var back = Assert.Single(await Store.LoadUnfinishedAsync(CancellationToken.None), j => j.Id == job.Id);
        Assert.Equal(job.Model, back.Model);
        Assert.True(back.FallbackAllowed);
    }

    [Fact]
    public async Task RequeueDeadLetterAsync_DeadLettered_ResetsAttemptsAndStream()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.MarkRunningAsync(job.Id, 3, DateTimeOffset.UtcNow, CancellationToken.None);
        await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "boom", CompletedAt = DateTimeOffset.UtcNow, Events = [new JobEvent(job.Id, 1, "dead_lettered", "{}", DateTimeOffset.UtcNow)] }, CancellationToken.None);
        var dead = await Store.ListAsync(new JobQuery { Owner = "o", Status = JobStatus.DeadLettered }, CancellationToken.None);
        Assert.Equal("boom", Assert.Single(dead).Error);
        var requeued = await Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.NotNull(requeued);
        Assert.Equal(JobStatus.Queued, requeued!.Status);
        Assert.Equal(0, requeued.Attempts);
        // The old run's events go (the new run's ids continue after them): a replay would otherwise stop at its terminal event.
        Assert.Empty(await Store.GetEventsAsync(job.Id, 0, CancellationToken.None));
        Assert.Null(await Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task RestoreDeadLetterAsync_AfterRequeue_JobIsTheSameDeadLetterWithItsStream()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.MarkRunningAsync(job.Id, 3, DateTimeOffset.UtcNow, CancellationToken.None);
        var events = new[] { new JobEvent(job.Id, 1, "queued", "{}", DateTimeOffset.UtcNow), new JobEvent(job.Id, 2, "dead_lettered", "{}", DateTimeOffset.UtcNow) };
        await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.DeadLettered, Error = "boom", CompletedAt = DateTimeOffset.UtcNow, Events = events }, CancellationToken.None);
        var dead = (await Store.GetAsync(job.Id, CancellationToken.None))!;
        var stream = await Store.GetEventsAsync(job.Id, 0, CancellationToken.None);
        await Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.True(await Store.RestoreDeadLetterAsync(dead, stream, CancellationToken.None));

        Assert.Equal(dead, await Store.GetAsync(job.Id, CancellationToken.None));
        Assert.Equal(stream.Select(e => (e.Id, e.Type)), (await Store.GetEventsAsync(job.Id, 0, CancellationToken.None)).Select(e => (e.Id, e.Type)));
        // Only a job still queued is restored: one a worker has started is left to the worker.
        await Store.RequeueDeadLetterAsync(job.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        await Store.MarkRunningAsync(job.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.False(await Store.RestoreDeadLetterAsync(dead, stream, CancellationToken.None));
        Assert.Equal(JobStatus.Running, (await Store.GetAsync(job.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task CompleteAsync_ReleaseIdempotencyKey_SameKeyCreatesANewJob()
    {
        var rejected = (await Store.CreateAsync(NewJob("k"), CancellationToken.None)).Job;
        await Store.CompleteAsync(new JobCompletion { JobId = rejected.Id, Status = JobStatus.Failed, Error = "rejected by the queue", CompletedAt = DateTimeOffset.UtcNow, ReleaseIdempotencyKey = true }, CancellationToken.None);

        var retry = await Store.CreateAsync(NewJob("k"), CancellationToken.None);

        Assert.True(retry.Created);
        Assert.NotEqual(rejected.Id, retry.Job.Id);
        var replay = await Store.CreateAsync(NewJob("k"), CancellationToken.None);
        Assert.False(replay.Created);
        Assert.Equal(retry.Job.Id, replay.Job.Id);
        Assert.Equal(JobStatus.Failed, (await Store.GetAsync(rejected.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task ListAsync_FiltersAndPagesNewestFirst()
    {
        var t = DateTimeOffset.UtcNow;
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await Store.CreateAsync(NewJob(at: t.AddMilliseconds(i * 10)), CancellationToken.None)).Job.Id);
        }

        await Store.CreateAsync(NewJob(owner: "p"), CancellationToken.None);
        var otherModel = (await Store.CreateAsync(NewJob(owner: "p") with { Model = "m2" }, CancellationToken.None)).Job;
        var page = await Store.ListAsync(new JobQuery { Owner = "o", Limit = 2 }, CancellationToken.None);
        Assert.Equal(ids.AsEnumerable().Reverse().Take(2), page.Select(j => j.Id));
        var next = await Store.ListAsync(new JobQuery { Owner = "o", Limit = 10, Before = page[^1].Id }, CancellationToken.None);
        Assert.Equal(ids.AsEnumerable().Reverse().Skip(2), next.Select(j => j.Id));
        var byModel = await Store.ListAsync(new JobQuery { Model = "m2" }, CancellationToken.None);
        Assert.Equal(otherModel.Id, Assert.Single(byModel).Id);
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = ids[1], Status = JobStatus.Succeeded, ResultJson = "1", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None));
        var succeeded = await Store.ListAsync(new JobQuery { Status = JobStatus.Succeeded }, CancellationToken.None);
        Assert.Equal(ids[1], Assert.Single(succeeded).Id);
    }

    // A cancel that must not overwrite a start: the store, not a race, decides between the two.
    [Fact]
    public async Task CompleteAsync_OnlyIfQueuedAfterWorkerStarted_LosesToTheWorker()
    {
        var queued = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        var running = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        Assert.True(await Store.MarkRunningAsync(running.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
        var cancel = (string id) => new JobCompletion { JobId = id, Status = JobStatus.Cancelled, CompletedAt = DateTimeOffset.UtcNow, OnlyIfQueued = true };
        Assert.True(await Store.CompleteAsync(cancel(queued.Id), CancellationToken.None));
        Assert.False(await Store.CompleteAsync(cancel(running.Id), CancellationToken.None));
        Assert.False(await Store.MarkRunningAsync(queued.Id, 1, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal(JobStatus.Running, (await Store.GetAsync(running.Id, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task GetCachedResultAsync_AfterSuccessWithCacheKey_ReturnsResult()
    {
        var job = (await Store.CreateAsync(NewJob(), CancellationToken.None)).Job;
        await Store.CompleteAsync(new JobCompletion { JobId = job.Id, Status = JobStatus.Succeeded, ResultJson = "{\"r\":1}", CacheKey = "ck", CompletedAt = DateTimeOffset.UtcNow }, CancellationToken.None);
        Assert.Equal("{\"r\":1}", await Store.GetCachedResultAsync("ck", CancellationToken.None));
        Assert.Null(await Store.GetCachedResultAsync("other", CancellationToken.None));
    }

    [Fact]
    public async Task PurgeFinishedJobsAsync_PastTheRetention_DeletesFinishedJobsWithTheirEventsKeepsUnfinishedDeadLetteredAndRecent()
    {
        var now = DateTimeOffset.UtcNow;
        var past = now - JobRetention.Default - TimeSpan.FromHours(1);
        var recent = now - JobRetention.Default + TimeSpan.FromHours(1);
        var ancient = now - TimeSpan.FromDays(400);
        var purged = new List<string>();
        foreach (var status in new[] { JobStatus.Succeeded, JobStatus.Failed, JobStatus.Cancelled, JobStatus.Expired })
        {
            purged.Add(await FinishedAsync(status, past, ancient));
        }

        // However old: a queued job has not run yet, a running one is running, a dead letter waits for an operator.
        var queued = (await Store.CreateAsync(NewJob(at: ancient), CancellationToken.None)).Job.Id;
        var running = (await Store.CreateAsync(NewJob(at: ancient), CancellationToken.None)).Job.Id;
        Assert.True(await Store.MarkRunningAsync(running, 1, ancient, CancellationToken.None));
        var dead = await FinishedAsync(JobStatus.DeadLettered, past, ancient);
        var young = await FinishedAsync(JobStatus.Succeeded, recent, ancient);

        Assert.Equal(4, await Store.PurgeFinishedJobsAsync(now, JobRetention.BatchSize, CancellationToken.None));

        foreach (var id in purged)
        {
            Assert.Null(await Store.GetAsync(id, CancellationToken.None));
            Assert.Empty(await Store.GetEventsAsync(id, 0, CancellationToken.None));
        }

        Assert.Equal(JobStatus.Queued, (await Store.GetAsync(queued, CancellationToken.None))!.Status);
        Assert.Equal(JobStatus.Running, (await Store.GetAsync(running, CancellationToken.None))!.Status);
        Assert.Equal(JobStatus.DeadLettered, (await Store.GetAsync(dead, CancellationToken.None))!.Status);
        Assert.Equal(2, (await Store.GetEventsAsync(dead, 0, CancellationToken.None)).Count);
        Assert.Equal(JobStatus.Succeeded, (await Store.GetAsync(young, CancellationToken.None))!.Status);
        Assert.Equal(2, (await Store.GetEventsAsync(young, 0, CancellationToken.None)).Count);
        var listed = await Store.ListAsync(new JobQuery { Owner = "o" }, CancellationToken.None);
        Assert.Equal(new[] { queued, running, dead, young }.Order(), listed.Select(j => j.Id).Order());
        Assert.Equal(0, await Store.PurgeFinishedJobsAsync(now, JobRetention.BatchSize, CancellationToken.None));
    }

    [Fact]
    public async Task PurgeFinishedJobsAsync_MoreThanOneBatch_EachCallDeletesAtMostTheLimitUntilNoneIsLeft()
    {
        var now = DateTimeOffset.UtcNow;
        var past = now - JobRetention.Default - TimeSpan.FromMinutes(1);
        var ids = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            ids.Add(await FinishedAsync(JobStatus.Succeeded, past.AddMilliseconds(-i), past.AddHours(-1)));
        }

        Assert.Equal(10, await Store.PurgeFinishedJobsAsync(now, 10, CancellationToken.None));
        Assert.Equal(15, (await Store.ListAsync(new JobQuery { Owner = "o", Limit = 100 }, CancellationToken.None)).Count);
        Assert.Equal(10, await Store.PurgeFinishedJobsAsync(now, 10, CancellationToken.None));
        Assert.Equal(5, await Store.PurgeFinishedJobsAsync(now, 10, CancellationToken.None));
        Assert.Equal(0, await Store.PurgeFinishedJobsAsync(now, 10, CancellationToken.None));

        Assert.Empty(await Store.ListAsync(new JobQuery { Owner = "o", Limit = 100 }, CancellationToken.None));
        foreach (var id in ids)
        {
            Assert.Empty(await Store.GetEventsAsync(id, 0, CancellationToken.None));
        }
    }

    /// <summary>A job created at <paramref name="createdAt"/> that ended <paramref name="status"/> at <paramref name="finishedAt"/> with two events.</summary>
    protected async Task<string> FinishedAsync(JobStatus status, DateTimeOffset finishedAt, DateTimeOffset createdAt)
    {
        var id = (await Store.CreateAsync(NewJob(at: createdAt), CancellationToken.None)).Job.Id;
        Assert.True(await Store.MarkRunningAsync(id, 1, createdAt, CancellationToken.None));
        JobEvent[] events = [new JobEvent(id, 1, "started", "{}", createdAt), new JobEvent(id, 2, status.ToWire(), "{}", finishedAt)];
        Assert.True(await Store.CompleteAsync(new JobCompletion { JobId = id, Status = status, CompletedAt = finishedAt, Events = events }, CancellationToken.None));
        return id;
    }

    private async Task CloseStoreAsync()
    {
        // IJobStore is not disposable itself, but both real stores hold a file or a connection pool.
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }
}
