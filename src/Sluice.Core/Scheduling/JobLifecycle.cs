using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Core.Caching;
using Sluice.Core.Configuration;
using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;
using Sluice.Core.Tracing;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Everything that happens to a job between the queue and its terminal state, shared by both batchers:
/// deciding whether a dequeued job may still run, the <c>started</c>/<c>progress</c>/<c>delta</c> events, and
/// the one terminal outcome (stored durably with its events before the event is published and the queue acked).
/// </summary>
internal sealed partial class JobLifecycle
{
    private readonly IJobStore _store;
    private readonly IJobEventHub _events;
    private readonly LiveJobs _live;
    private readonly SluiceMetrics _metrics;
    private readonly ResultCache _cache;
    private readonly TimeProvider _time;
    private readonly RetryOptions _retry;
    private readonly IJobQueue _queue;
    private readonly IJobRerouter _rerouter;
    private readonly PendingRefusals _refusals;
    private readonly ILogger<JobLifecycle> _logger;

    public JobLifecycle(IJobStore store, IJobEventHub events, LiveJobs live, SluiceMetrics metrics, ResultCache cache,
        TimeProvider time, IOptions<RetryOptions> retry, IJobQueue queue, IJobRerouter rerouter, PendingRefusals refusals, ILogger<JobLifecycle> logger)
    {
        _refusals = refusals;
        _queue = queue;
        _rerouter = rerouter;
        _store = store;
        _events = events;
        _live = live;
        _metrics = metrics;
        _cache = cache;
        _time = time;
        _retry = retry.Value;
        _logger = logger;
    }

    public TimeProvider Time => _time;

    /// <summary>Registers a job as live in this process and arms its deadline.</summary>
    public LiveJob Track(QueuedJob job)
    {
        var live = _live.GetOrAdd(job.Id, job.Model);
        if (live.Superseded || (live.Running && live.Ran is { } ran && !ReferenceEquals(ran, job) && !ReferenceEquals(live.Queued, job)))
        {
            // Another copy's run is still in progress here (a stale run: its job was dead-lettered by a sweep and requeued,
            // and the new copy came to this same worker). Each run keeps its own block: the new one its own run identity,
            // cancellation and finish flag; the stale one goes on with its own, so its outcome is checked against its own
            // run (and refused by the store) and its way out (removal by reference) leaves the new block registered.
            // A block superseded when this copy was delivered (see LiveJob.Supersede) is replaced too, even once its run
            // has begun to let go: it is not this copy's.
            live = _live.Replace(live, job.Model);
        }

        live.Queued = job;
        if (job.Deadline is { } deadline && live.TryArmDeadline())
        {
            var due = deadline - _time.GetUtcNow();
            if (due <= TimeSpan.Zero)
            {
                live.CancelStatus = JobStatus.Expired;
                live.Cancellation.Cancel();
            }
            else
            {
                ArmDeadline(job, live, due);
            }
        }

        return live;
    }

    /// <summary>
    /// A queued job past its deadline is expired at once; a running one stops at its next step. Its own method: the
    /// timer's closure would otherwise be allocated on every <see cref="Track"/>, deadline or not.
    /// </summary>
    private void ArmDeadline(QueuedJob job, LiveJob live, TimeSpan due)
    {
        var timer = _time.CreateTimer(
            _ =>
            {
                live.DisposeDeadlineTimer();
                // Only while this process still tracks this entry: a job that moved to a fallback on another
                // process (or went back to the broker) is timed there, and by the gateway that accepted it.
                if (!live.IsFinished && _live.TryGet(live.Id, out var current) && ReferenceEquals(current, live))
                {
                    live.CancelStatus = JobStatus.Expired;
                    TryCancel(live);
                    if (!live.Running)
                    {
                        // The copy the job is now (it may have moved to a fallback since it was tracked).
                        var copy = live.Queued ?? job;
                        _ = FinishAsync(copy, null, JobStatus.Expired, null, ExpiredBeforeRun(copy, ReferenceEquals(live.Ran, copy)), null, 0);
                    }
                }
            },
            null,
            due,
            Timeout.InfiniteTimeSpan);
        // Held by the block, which disposes it when the job leaves this process (see LiveJob.Retire), long before
        // its deadline as a rule.
        live.HoldDeadlineTimer(timer);
    }

    /// <summary>
    /// The error of a job whose deadline passed while it waited: a job that already ran (recovered after a crash, or
    /// waiting out a retry's backoff) did start, so saying it never could would mislead whoever reads why it ended.
    /// </summary>
    /// <param name="ranThisCopy">The job's run from this very queue entry started (it now waits out a retry's backoff),
    /// so that run is not yet in the entry's attempts.</param>
    internal static string ExpiredBeforeRun(QueuedJob job, bool ranThisCopy = false) => ExpiredBeforeRun(job.Attempts + (ranThisCopy ? 1 : 0));

    /// <summary>The same error for a job that has run <paramref name="runs"/> times (its stored attempts).</summary>
    internal static string ExpiredBeforeRun(int runs)
    {
        return runs == 0
            ? "deadline passed before the job could start"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"deadline passed before the job could run again (after {runs} attempt{(runs == 1 ? "" : "s")})");
    }

    /// <summary>
    /// The error of a job a gateway expires because it was still running <paramref name="grace"/> after its deadline:
    /// its worker would have stopped it at the deadline, so none was running it any more (killed or hung). Says it
    /// ran, as "deadline passed while running" does, and why no worker's own outcome followed.
    /// </summary>
    internal static string ExpiredWhileRunningUnattended(int runs, TimeSpan grace) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"deadline passed while running (attempt {runs}), and no worker stopped the job within {grace.TotalSeconds:0.###} s after it (its worker died or hangs)");

    /// <summary>
    /// Called for each job a batcher takes from its queue. False means the job must not run (cancelled, expired,
    /// already finished); its outcome is recorded and the delivery acknowledged here.
    /// </summary>
    public bool ShouldRun(QueuedJob job, IJobQueueReader reader, out LiveJob live)
    {
        if (reader.IsStale(job))
        {
            // Its delivery went with a lost broker connection: the redelivered copy is the one to run.
            live = new LiveJob(job.Id, job.Model);
            return false;
        }

        live = Track(job);
        if (live.IsFinished)
        {
            _live.Remove(live);
            if (_queue is InProcessJobQueue)
            {
                _ = reader.AcknowledgeAsync(job, CancellationToken.None).AsTask();
            }
            else
            {
                // Settled here by a caller holding no delivery (a DELETE, the deadline) whose write may still fail: acknowledged
                // now, the job would then be in no queue (the gateways' sweep republishes only jobs never confirmed).
                _ = LetGoSettledElsewhereAsync(job, reader, live);
            }

            return false;
        }

        // From here on, a DELETE or the deadline timer (holding no delivery) may have claimed the outcome since Track:
        // the delivery is let go either way.
        if (job.Attempts >= job.MaxAttempts)
        {
            // Redelivered after its worker died on the last allowed attempt: a poison job, never run again.
            _ = FinishAsync(job, reader, JobStatus.DeadLettered, null, "interrupted on its last attempt (the worker running it died)", null, 0, errorCode: JobErrorCodes.WorkerLost, letGoWhenSettledElsewhere: true);
            return false;
        }

        if (job.Deadline is { } deadline && deadline <= _time.GetUtcNow())
        {
            _ = FinishAsync(job, reader, JobStatus.Expired, null, ExpiredBeforeRun(job), null, 0, letGoWhenSettledElsewhere: true);
            return false;
        }

        if (live.Cancellation.IsCancellationRequested)
        {
            _ = FinishAsync(job, reader, live.CancelStatus, null, live.CancelError(running: false), null, 0, letGoWhenSettledElsewhere: true);
            return false;
        }

        return true;
    }

    /// <summary>
    /// For a job that may fall back and is about to run (or whose run the model refused before doing any work):
    /// when its model cannot take it now, moves it to the fallback the rerouter names and returns true (the batcher
    /// lets go of it). Answers false at once, without allocating, for other jobs.
    /// </summary>
    public bool TryReroute(QueuedJob job, IJobQueueReader reader, LiveJob live)
    {
        if (!job.FallbackAllowed || !_rerouter.TryReroute(job.Model, job.InputJson, job.Parsed, out var plan) || plan is null)
        {
            return false;
        }

        _ = RerouteAsync(job, reader, live, plan);
        return true;
    }

    private async Task RerouteAsync(QueuedJob job, IJobQueueReader reader, LiveJob live, JobReroute plan)
    {
        SluiceTracing.EndRun(live.TakeRunSpan(), SluiceTracing.ReroutedOutcome, null, failed: false);
        try
        {
            await MoveAsync(job, reader, live, plan).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Fire-and-forget from the batcher: never unobserved. The delivery this process still holds (or the
            // sweep, for a move the store recorded) brings the job back.
            Log.StoreWriteFailed(_logger, ex, job.Id);
            _live.Remove(live);
        }
    }

    /// <summary>
    /// Moves the job: the store first (guarded, so a job cancelled meanwhile stays cancelled), then the
    /// <c>rerouted</c> event, then the fallback's queue, and only then the old delivery is let go, so a broker
    /// never holds the job in neither queue. Same id, events, deadline, owner and priority; the attempt a refused
    /// run counted is given back (a model that never took the job is not the job's failure).
    /// </summary>
    private async Task MoveAsync(QueuedJob job, IJobQueueReader reader, LiveJob live, JobReroute plan)
    {
        if (Abandoned(job, reader))
        {
            return;
        }

        if (!live.TryLeaveRun())
        {
            // A cancel meant for this run (its client went away) landed before the move was stored: the run ends with it,
            // guarded by the run as any outcome. From here on such a cancel no longer lands: once the move is stored it
            // would end the moved copy's run (the embedded queue keeps this block for it), which is not the client's to end.
            await FinishAsync(job, reader, live.CancelStatus, null, live.CancelError(running: true), null, 0, run: live).ConfigureAwait(false);
            return;
        }

        // A job moves once: the fallback was judged able to take it, and two models that fall back to each other
        // must not bounce a job between them while both wait for a trial call.
        var moved = job.MovedTo(plan.Model, plan.InputJson, plan.Parsed);
        try
        {
            // A run the model refused moves the job only while the job is still in that run (see FailAsync).
            if (!await _store.RerouteAsync(job.Id, plan.Model, plan.ModelVersion, plan.InputJson, job.Attempts, fallbackAllowed: false, _time.GetUtcNow(), live.Run, CancellationToken.None).ConfigureAwait(false))
            {
                // Already terminal elsewhere (cancelled through another gateway), or this run superseded: nothing to move.
                await LetGoAsync(job, reader, live).ConfigureAwait(false);
                return;
            }
        }
        catch (Exception ex)
        {
            // The store is failing: hand the job back to its own queue, uncounted; it is judged again when it comes back.
            Log.StoreWriteFailed(_logger, ex, job.Id);
            EndRunHandedBack(live);
            _live.Remove(live);
            await reader.RetryLaterAsync(Uncounted(job), StoreOutageDelay, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        if (_queue is not InProcessJobQueue)
        {
            if (live.Cancellation.IsCancellationRequested)
            {
                // Cancelled (or expired) while the move was written: the cancel reached this process only, so end
                // the job here rather than hand a copy that never saw it to whichever worker takes the fallback.
                live.Running = false;
                await FinishAsync(job, reader, live.CancelStatus, null, live.CancelError(running: false), null, 0, letGoWhenSettledElsewhere: true).ConfigureAwait(false);
                return;
            }

            // The fallback's copy may be taken by any worker: this process stops tracking it, so a cancel or its
            // deadline here goes through the store and the broker like for any job it does not run.
            _live.Remove(live);
        }

        live.Running = false;
        live.Queued = moved;
        live.TryAppend(_events, JobEventTypes.Rerouted,
            $"{{\"from\":{JsonSerializer.Serialize(job.Model, CoreJsonContext.Default.String)},\"to\":{JsonSerializer.Serialize(plan.Model, CoreJsonContext.Default.String)},\"reason\":{JsonSerializer.Serialize(plan.Reason, CoreJsonContext.Default.String)}}}");
        _metrics.JobsRerouted.Add(1, new KeyValuePair<string, object?>("model", job.Model), new KeyValuePair<string, object?>("fallback", plan.Model));
        Log.Rerouted(_logger, job.Id, job.Model, plan.Model, plan.Reason);
        var result = await _queue.EnqueueAsync(moved, CancellationToken.None).ConfigureAwait(false);
        if (result == EnqueueResult.Full && _queue is InProcessJobQueue inProcess)
        {
            // The job was accepted once; a full fallback queue takes it over its bound rather than fail it.
            inProcess.Restore(moved);
        }
        else if (result != EnqueueResult.Accepted)
        {
            // The broker refused it: put it back on the model it came from, where it is judged again later.
            Log.RerouteRefused(_logger, job.Id, plan.Model, result.ToString());
            live.Queued = job;
            live.TryAppend(_events, JobEventTypes.Rerouted,
                $"{{\"from\":{JsonSerializer.Serialize(plan.Model, CoreJsonContext.Default.String)},\"to\":{JsonSerializer.Serialize(job.Model, CoreJsonContext.Default.String)},\"reason\":\"the fallback's queue did not take the job\"}}");
            try
            {
                await _store.RerouteAsync(job.Id, job.Model, plan.FromModelVersion, job.InputJson, job.Attempts, job.FallbackAllowed, _time.GetUtcNow(), null, CancellationToken.None).ConfigureAwait(false);
                if (_store is IJobPublicationStore publication)
                {
                    // Back on its own model, whose delivery this process still holds: it is in the broker, not one for the sweep.
                    await publication.MarkPublishedAsync([job.Id], _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                Log.StoreWriteFailed(_logger, ex, job.Id);
            }

            await reader.RetryLaterAsync(Uncounted(job), StoreOutageDelay, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        await reader.AcknowledgeAsync(job, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Expires a job the batcher's latency model says cannot finish before its deadline (shed, never run).</summary>
    public void Shed(QueuedJob job, IJobQueueReader reader, double predictedMs)
    {
        _metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", "deadline_shed"));
        // A DELETE or the deadline may have claimed it while the batch was collected (they hold no delivery): let go either way.
        _ = FinishAsync(job, reader, JobStatus.Expired, null, $"shed: predicted run time {predictedMs:F0} ms would miss the deadline", null, 0, letGoWhenSettledElsewhere: true);
    }

    /// <summary>Marks attempts started (one grouped commit) and emits <c>started</c>; returns jobs that may run.</summary>
    public async ValueTask<int> StartAsync(QueuedJob[] jobs, LiveJob[] lives, int count, IJobQueueReader reader, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var tasks = new ValueTask<bool>[count];
        for (var i = 0; i < count; i++)
        {
            tasks[i] = _store.MarkRunningAsync(jobs[i].Id, jobs[i].Attempts + 1, now, cancellationToken);
        }

        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            bool ok;
            try
            {
                ok = await tasks[i].ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The store is failing: do not run it now, and do not drop it either (a broker would forget it
                // once acknowledged): hand it back for later without counting an attempt.
                Log.StoreWriteFailed(_logger, ex, jobs[i].Id);
                EndRunHandedBack(lives[i]);
                _live.Remove(lives[i]);
                _ = reader.RetryLaterAsync(Uncounted(jobs[i]), StoreOutageDelay, CancellationToken.None).AsTask();
                continue;
            }

            if (!ok)
            {
                // Already terminal elsewhere (cancelled through another gateway): do not run. A run span begun before
                // the start was stored (a remote sequence's upstream call) ends with it.
                lives[i].TryFinish();
                EndRunSuperseded(lives[i]);
                _ = reader.AcknowledgeAsync(jobs[i], CancellationToken.None).AsTask();
                _live.Remove(lives[i]);
                // The outcome is stored (elsewhere): whoever tracked another copy onto this block meanwhile, or a cancel
                // here, waits on Settled (up to a minute) before letting its delivery go or reading the store.
                lives[i].Settled.TrySetResult();
                continue;
            }

            var run = lives[i].StartRun(jobs[i], now);
            // A remote generative job's span begins with its upstream call, before this store write (ContinuousBatcher).
            if (lives[i].RunSpan is { } begun)
            {
                SluiceTracing.SetBatchSize(begun, count);
            }
            else
            {
                lives[i].RunSpan = SluiceTracing.StartRun(jobs[i], now, count);
            }

            // The run's events name it from its started event on: a store keeping them refuses them once the job has left it.
            _events.BeginRun(jobs[i].Id, run);
            var waited = (now - jobs[i].EnqueuedAt).TotalSeconds;
            // Recorded with the run span current, so the wait's exemplar (OpenMetrics) points at the job's trace.
            var outer = SluiceTracing.MakeCurrent(lives[i].RunSpan);
            _metrics.QueueWait.Record(Math.Max(0, waited), new KeyValuePair<string, object?>("model", jobs[i].Model));
            SluiceTracing.Restore(lives[i].RunSpan, outer);
            lives[i].TryAppend(_events, JobEventTypes.Started, $"{{\"attempt\":{jobs[i].Attempts + 1},\"batch_size\":{count}}}");
            jobs[kept] = jobs[i];
            lives[kept] = lives[i];
            kept++;
        }

        return kept;
    }

    /// <summary>A progress event of the run of <paramref name="run"/> (its control block: never another run's stream).</summary>
    public void Progress(LiveJob run, string stage, double fraction, JsonElement? data)
    {
        var json = data is { } d
            ? $"{{\"stage\":{JsonSerializer.Serialize(stage, CoreJsonContext.Default.String)},\"fraction\":{Math.Clamp(fraction, 0, 1).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)},\"data\":{d.GetRawText()}}}"
            : $"{{\"stage\":{JsonSerializer.Serialize(stage, CoreJsonContext.Default.String)},\"fraction\":{Math.Clamp(fraction, 0, 1).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}}}";
        AppendRunEvent(run, JobEventTypes.Progress, json);
    }

    /// <summary>A delta event of the run of <paramref name="run"/> (its control block: never another run's stream).</summary>
    public void Delta(LiveJob run, string text, int tokens)
    {
        AppendRunEvent(run, JobEventTypes.Delta, $"{{\"text\":{JsonSerializer.Serialize(text, CoreJsonContext.Default.String)},\"tokens\":{tokens}}}");
    }

    /// <summary>
    /// An event a run reports, through its own control block (see <see cref="LiveJob.TryAppend"/>): the hub keys streams
    /// by job id, so a stale run looked up by id would report into the stream of the newer run that took over here.
    /// </summary>
    private void AppendRunEvent(LiveJob run, string type, string dataJson)
    {
        if (!run.TryAppend(_events, type, dataJson) && run.Superseded && run.DroppedEvents == 1)
        {
            Log.StaleRunEventsDropped(_logger, run.Id, type);
        }
    }

    /// <summary>
    /// A run's result; <paramref name="run"/> is the control block the run started with (see <see cref="FinishAsync"/>).
    /// <paramref name="cacheable"/> false keeps it out of the result cache (see <see cref="Models.FinishReason.ContentFilter"/>).
    /// </summary>
    public Task SucceedAsync(QueuedJob job, IJobQueueReader reader, string resultJson, int batchSize, double runMs, LiveJob? run = null, bool cacheable = true) =>
        FinishAsync(job, reader, JobStatus.Succeeded, resultJson, null, batchSize, runMs, run: run, cacheable: cacheable);

    /// <summary>
    /// A failed attempt: retried with backoff while attempts remain, else dead-lettered (or failed when not retryable).
    /// <paramref name="retryAfter"/> (the model's "not before": an open circuit's next trial) holds the retry back at
    /// least that long, though never past the job's deadline (the deadline then expires it as it would in the queue).
    /// <paramref name="errorCode"/> says why (one of <see cref="JobErrorCodes"/>; null: <c>model_error</c>); it is stored,
    /// with <paramref name="retryAfter"/>, beside the error and in the <c>retrying</c> or terminal event.
    /// A job that may fall back moves to its fallback instead when that wait is longer than its backoff and the
    /// rerouter finds a model that can take it (see <see cref="IJobRerouter.TryRerouteHeldBack"/>).
    /// </summary>
    public async Task FailAsync(QueuedJob job, IJobQueueReader reader, LiveJob live, string error, bool retryable, int batchSize, double runMs, TimeSpan? retryAfter = null, string? errorCode = null)
    {
        errorCode ??= JobErrorCodes.ModelError;
        if (retryAfter <= TimeSpan.Zero)
        {
            // A Retry-After date already past asks for no wait: none is stored or shown.
            retryAfter = null;
        }

        if (Abandoned(job, reader))
        {
            return;
        }

        if (live.IsFinished)
        {
            // Settled while its step ran (a cancel that did not wait for it): the failure changes nothing, and a retry
            // would only be counted, logged and dropped. With a broker that outcome may still be written (and fail): the
            // delivery is let go once it is stored, as a run's outcome that lost its claim.
            if (_queue is InProcessJobQueue)
            {
                await reader.AcknowledgeAsync(job, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await LetGoSettledElsewhereAsync(job, reader, live).ConfigureAwait(false);
            }

            return;
        }

        var attempts = job.Attempts + 1;
        if (!retryable)
        {
            await FinishAsync(job, reader, JobStatus.Failed, null, error, batchSize, runMs, errorCode: errorCode, retryAfter: retryAfter, run: live).ConfigureAwait(false);
            return;
        }

        var backoff = RetryDelay(attempts);
        if (retryAfter is { } wait && wait > backoff && job.FallbackAllowed
            && _rerouter.TryRerouteHeldBack(job.Model, job.InputJson, job.Parsed, wait, out var plan) && plan is not null)
        {
            // The upstream turned the call away for longer than the backoff (its Retry-After): a job that may fall back
            // moves now rather than wait (possibly an hour) while its fallback idles, also on its last attempt, which
            // the move gives back (the upstream did not take the call). The move is the store's to decide, as any.
            await RerouteAsync(job, reader, live, plan).ConfigureAwait(false);
            return;
        }

        if (attempts >= job.MaxAttempts)
        {
            await FinishAsync(job, reader, JobStatus.DeadLettered, null, error, batchSize, runMs, errorCode: errorCode, retryAfter: retryAfter, run: live).ConfigureAwait(false);
            return;
        }

        if (!live.TryLeaveRun())
        {
            // A cancel meant for this run (its client went away) landed before the retry was stored: the run ends with
            // it, guarded by the run as any outcome. From here on such a cancel no longer lands (see JobService.CancelAsync).
            await FinishAsync(job, reader, live.CancelStatus, null, live.CancelError(running: true), batchSize, runMs, run: live).ConfigureAwait(false);
            return;
        }

        var now = _time.GetUtcNow();
        var delay = HoldBack(backoff, retryAfter, job.Deadline, now);
        var notBefore = now + delay;
        try
        {
            // Only while the job is still in this run: a run superseded meanwhile (its job dead-lettered by a sweep and
            // requeued, its next run started) must not send the job back to queued under the next run's feet.
            if (!await _store.ScheduleRetryAsync(job.Id, attempts, error, errorCode, retryAfter, notBefore, live.Run, CancellationToken.None).ConfigureAwait(false))
            {
                await LetGoAsync(job, reader, live).ConfigureAwait(false);
                return;
            }
        }
        catch (Exception ex)
        {
            // The store is failing: run the same attempt again later rather than leave the delivery stranded.
            Log.StoreWriteFailed(_logger, ex, job.Id);
            EndRunHandedBack(live);
            _live.Remove(live);
            await reader.RetryLaterAsync(Uncounted(job), StoreOutageDelay, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        live.Running = false;
        SluiceTracing.EndRun(live.TakeRunSpan(), SluiceTracing.RetryingOutcome, errorCode, failed: true);
        _metrics.JobRetries.Add(1, new KeyValuePair<string, object?>("model", job.Model));
        // held_back: the model asked for this wait (an open circuit's trial, the upstream's Retry-After), not the backoff;
        // a client waiting on its request is then answered rather than kept for it.
        live.TryAppend(_events, JobEventTypes.Retrying, $"{{\"attempt\":{attempts},\"error\":{JsonSerializer.Serialize(error, CoreJsonContext.Default.String)}{FailureData(errorCode, retryAfter)},\"delay_ms\":{(long)delay.TotalMilliseconds}{(delay > backoff ? ",\"held_back\":true" : "")}}}");
        Log.Retrying(_logger, job.Id, attempts, delay.TotalMilliseconds, error);
        await reader.RetryLaterAsync(job, delay, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// At a graceful stop, after the batchers have stopped: every job that was running here goes back to queued
    /// with the attempts it had before this run. A stop (a deploy, a scale-down) is not the job's fault; counting
    /// it would dead-letter healthy jobs after a few rolling restarts. Returns how many were released.
    /// </summary>
    public async Task<int> ReleaseRunningAsync(CancellationToken cancellationToken)
    {
        var released = 0;
        var now = _time.GetUtcNow();
        foreach (var live in _live.Snapshot())
        {
            if (!live.Running || live.IsFinished || live.Queued is not { } job)
            {
                continue;
            }

            if (_queue is InProcessJobQueue && live.Cancellation.IsCancellationRequested)
            {
                // Cancelled or past its deadline while it ran, and stopped by the stop before its step could see it:
                // its outcome is decided, and handing it back would run it again after the restart. Embedded only:
                // a broker worker also cancels runs it must let go (a lost connection, a superseded copy), whose
                // redelivered copy runs elsewhere; there a client's cancel is settled by the gateway.
                await FinishAsync(job, null, live.CancelStatus, null, live.CancelError(running: true), null, 0).ConfigureAwait(false);
                continue;
            }

            try
            {
                // Guarded by the store (only a job still queued or running changes), so a job that finished as the
                // batcher stopped keeps its outcome. No error: the stop is not the job's, and it may yet succeed.
                // Only while the job is still in this run: one superseded meanwhile is not this process's to hand back.
                if (await _store.ScheduleRetryAsync(job.Id, job.Attempts, null, null, null, now, live.Run, cancellationToken).ConfigureAwait(false))
                {
                    SluiceTracing.EndRun(live.TakeRunSpan(), SluiceTracing.ReleasedOutcome, null, failed: false);
                    if (live.HandBack() && !live.Superseded && _queue is InProcessJobQueue)
                    {
                        // Cancelled (or past its deadline) after the check above, while the hand-back was written: the
                        // cancel waits for a run no batcher ends any more, and its own settle names that run, which the
                        // store has left. The job is queued now: its cancel is stored as a queued job's, not lost to the
                        // restart. One that comes later finds the job no longer running here and does the same itself.
                        await FinishAsync(job, null, live.CancelStatus, null, live.CancelError(running: false), null, 0).ConfigureAwait(false);
                        continue;
                    }

                    released++;
                }
                else
                {
                    // Settled elsewhere, or the job left this run: nothing of it is this process's to hand back.
                    EndRunSuperseded(live);
                }
            }
            catch (OperationCanceledException)
            {
                // The stop's time ran out (the host's ShutdownTimeout and ModelHost.HandBackGrace after it): the rest
                // stay running, and recovery counts their attempt.
                EndRunHandedBack(live);
                break;
            }
            catch (Exception ex)
            {
                // Left as running: recovery counts the attempt, as after a crash.
                Log.StoreWriteFailed(_logger, ex, job.Id);
                EndRunHandedBack(live);
            }
        }

        return released;
    }

    /// <summary>Pause before a job handed back during a store outage is delivered again.</summary>
    internal static readonly TimeSpan StoreOutageDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long a finished job's outcome is retried against a failing store before the work is given back (embedded queue).</summary>
    internal static readonly TimeSpan StoreOutagePatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether a finished run's outcome that the store refused to take is tried again. With a broker, for as long as
    /// this process holds the job's delivery: handed back, the job ran again after the outage (the same attempt, a
    /// second whole stream), and that run's start made the store refuse the first run's events still waiting here,
    /// leaving a gap in the stream's ids. The embedded queue gives up after <see cref="StoreOutagePatience"/>.
    /// </summary>
    private bool KeepsOutcome(QueuedJob job, IJobQueueReader reader, DateTimeOffset giveUpAt) =>
        _queue.RecoversFromStore ? _time.GetUtcNow() < giveUpAt : !reader.IsStale(job);

    /// <summary>A copy for <see cref="IJobQueueReader.RetryLaterAsync"/> that does not count another attempt.</summary>
    internal static QueuedJob Uncounted(QueuedJob job) => job.With(job.Attempts - 1);

    /// <summary>
    /// A retry's wait: <paramref name="backoff"/>, raised to <paramref name="retryAfter"/> when the model asked for a
    /// longer wait (an open circuit's next trial). The raise stops at <paramref name="deadline"/> (a job that cannot
    /// run again in time is expired there by its deadline, not kept queued past it) and at <see cref="WaitLimits.MaxWait"/>;
    /// it never shortens the backoff.
    /// </summary>
    internal static TimeSpan HoldBack(TimeSpan backoff, TimeSpan? retryAfter, DateTimeOffset? deadline, DateTimeOffset now)
    {
        if (retryAfter is not { } wait || wait <= backoff)
        {
            return backoff;
        }

        if (wait > WaitLimits.MaxWait)
        {
            wait = WaitLimits.MaxWait;
        }

        if (deadline is { } d && now + wait > d)
        {
            wait = d - now > backoff ? d - now : backoff;
        }

        return wait;
    }

    /// <summary>Exponential backoff with jitter for the given (1-based) attempt.</summary>
    public TimeSpan RetryDelay(int attempt)
    {
        var exp = _retry.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1));
        var capped = Math.Min(exp, _retry.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (Random.Shared.NextDouble() * 0.5)));
    }

    /// <summary>Cancels a live job's token (it stops at its next step or is skipped when dequeued).</summary>
    public static void TryCancel(LiveJob live)
    {
        try
        {
            live.Cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Finished and removed concurrently: nothing left to cancel.
        }
    }

    /// <summary>Whether the job was refused and its failed outcome still waits for the store (see <see cref="PendingRefusals"/>).</summary>
    public bool IsRefusalPending(string jobId) => _refusals.IsPending(jobId);

    /// <summary>
    /// Refuses a submit whose create's commit the store never answered (the client is answered 503): the job may be stored
    /// as queued all the same, and must then end failed, its Idempotency-Key released, never published by a sweep. Not tried
    /// at once (the store just failed to answer, and the client waits for its 503): <see cref="PendingRefusals"/> writes it
    /// once the store answers, and finds nothing to write when the commit did not land.
    /// </summary>
    public void KeepUnansweredRefusal(JobRecord job)
    {
        const string error = "refused: the job store did not answer the submit's commit";
        var now = _time.GetUtcNow();
        var data = TerminalData(JobStatus.Failed, null, error, JobErrorCodes.StoreUnanswered, null);
        _refusals.Keep(new JobCompletion
        {
            JobId = job.Id,
            Status = JobStatus.Failed,
            Error = error,
            ErrorCode = JobErrorCodes.StoreUnanswered,
            QueuedMs = Math.Max(0, (now - job.CreatedAt).TotalMilliseconds),
            RunMs = 0,
            CompletedAt = now,
            // Nothing of the job's was published or stored but its row: its stream is the terminal event alone.
            Events = [new JobEvent(job.Id, 1, JobEventTypes.ForStatus(JobStatus.Failed), data, now)],
            EventsFollowStored = true,
            ReleaseIdempotencyKey = true,
        }, job.Model, job.CreatedAt, maybeUnstored: true);
    }

    /// <summary>
    /// Writes the single terminal outcome: stores it with the full event stream, then publishes the terminal
    /// event, fills the cache and acknowledges the delivery. A second caller for the same job does nothing.
    /// <paramref name="errorCode"/> says why a job did not succeed (null: the one its status implies, see
    /// <see cref="JobErrorCodes.ForStatus"/>), with the wait the failure asked for, <paramref name="retryAfter"/>.
    /// <paramref name="run"/> is the control block a batcher's run started with (null: the one registered for the job):
    /// a requeue may have registered the next run's under the same id meanwhile, which this outcome must not settle.
    /// A running job's outcome is stored only while the store still has the job in this run (see <see cref="JobCompletion.Run"/>).
    /// A success fills the result cache unless <paramref name="cacheable"/> is false. <paramref name="letGoWhenSettledElsewhere"/>:
    /// only this caller can let <paramref name="reader"/>'s delivery go, also when a caller without one claimed the outcome first
    /// (always so for a run's outcome, <paramref name="run"/> given). <paramref name="keepWhileStoreDown"/> (a submit the
    /// queue refused, answered 503): an outcome the store cannot take now is kept by <see cref="PendingRefusals"/> and
    /// written once it can, instead of leaving the job queued for a sweep or a restart to run.
    /// </summary>
    public async Task FinishAsync(QueuedJob job, IJobQueueReader? reader, JobStatus status, string? resultJson, string? error, int? batchSize, double runMs,
        bool releaseIdempotencyKey = false, string? errorCode = null, TimeSpan? retryAfter = null, LiveJob? run = null, bool cacheable = true,
        bool letGoWhenSettledElsewhere = false, bool keepWhileStoreDown = false)
    {
        errorCode ??= JobErrorCodes.ForStatus(status);
        if (reader is not null && Abandoned(job, reader))
        {
            return;
        }

        var live = run ?? _live.GetOrAdd(job.Id, job.Model);
        if (live.Superseded && reader is not null && status is JobStatus.Cancelled or JobStatus.Expired)
        {
            // Stopped because a newer run of the job took over here (LiveJob.Supersede): not the client's cancel, and
            // no outcome of this run's to store (the store has moved on, or the newer copy comes back to run).
            Log.StaleRunStopped(_logger, job.Id, job.Attempts + 1);
            await LetGoAsync(job, reader, live).ConfigureAwait(false);
            return;
        }

        if (!live.TryFinish())
        {
            // Only a broker's delivery needs letting go (the embedded queue's acknowledgement is a no-op). A run's own
            // outcome loses its claim only to a caller holding no delivery: a DELETE or the deadline that found the job
            // not yet running here while its start was stored, the run then started all the same.
            if ((letGoWhenSettledElsewhere || run is not null) && reader is not null && _queue is not InProcessJobQueue)
            {
                await LetGoSettledElsewhereAsync(job, reader, live).ConfigureAwait(false);
            }

            return;
        }

        // A run's outcome names the run (its attempt, its start as stored): the store refuses it once the job has left that run.
        var runIdentity = live.Run;
        releaseIdempotencyKey |= status == JobStatus.Cancelled && live.ReleaseIdempotencyKey;

        try
        {
            var now = _time.GetUtcNow();
            var type = JobEventTypes.ForStatus(status);
            var data = TerminalData(status, resultJson, error, errorCode, retryAfter);
            // One copy of the held events with the terminal one after them; that very event is the one published below.
            var events = _events.Snapshot(job.Id, room: 1);
            events[^1] = new JobEvent(job.Id, _events.NextId(job.Id), type, data, now);
            var queuedMs = live.Running || status == JobStatus.Succeeded ? Math.Max(0, (now - job.EnqueuedAt).TotalMilliseconds - runMs) : (now - job.EnqueuedAt).TotalMilliseconds;
            var cacheKey = status == JobStatus.Succeeded && cacheable ? job.CacheKey : null;
            bool stored;
            var backoff = Backoff.First;
            var giveUpAt = now + StoreOutagePatience;
            var failedWrites = 0;
            var completion = new JobCompletion
            {
                JobId = job.Id,
                Status = status,
                ResultJson = resultJson,
                Error = error,
                ErrorCode = errorCode,
                RetryAfter = retryAfter,
                BatchSize = batchSize,
                QueuedMs = Math.Max(0, queuedMs),
                RunMs = runMs,
                CompletedAt = now,
                Events = events,
                CacheKey = cacheKey,
                ReleaseIdempotencyKey = releaseIdempotencyKey,
                Run = runIdentity,
            };
            retry:
            try
            {
                stored = await _store.CompleteAsync(completion, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (reader is null && keepWhileStoreDown)
                {
                    // The client is told the submit was refused: the job must end so, not stay queued for the sweep to
                    // publish and run once the store is back. Kept until stored (PendingRefusals logs it, not as an error).
                    _live.Remove(live);
                    _refusals.Keep(completion, job.Model, job.AcceptedAt);
                    return;
                }

                // Once per outcome, not once per try: a worker holds every outcome of an outage of any length.
                if (failedWrites++ == 0)
                {
                    Log.StoreWriteFailed(_logger, ex, job.Id);
                }

                if (reader is not null && KeepsOutcome(job, reader, giveUpAt))
                {
                    // A store restart takes seconds: keep the outcome and try again before giving the work up.
                    await Task.Delay(backoff, _time).ConfigureAwait(false);
                    backoff = Backoff.Next(backoff, TimeSpan.FromSeconds(2));
                    goto retry;
                }

                if (reader is not null && Abandoned(job, reader))
                {
                    // The delivery went with a lost broker connection: the broker redelivers the job, and that copy is
                    // checked against the store. Handing this one back as well would queue a second copy.
                    return;
                }

                // Not stored: the job stays unfinished in the store. Forget it here so that a redelivery runs it
                // afresh, and hand the delivery back (the embedded queue also recovers it from the store on restart).
                EndRunHandedBack(live);
                _live.Remove(live);
                if (reader is not null)
                {
                    await reader.RetryLaterAsync(Uncounted(job), StoreOutageDelay, CancellationToken.None).ConfigureAwait(false);
                }

                return;
            }

            if (failedWrites > 0)
            {
                Log.OutcomeStoredAfterOutage(_logger, job.Id, failedWrites);
            }

            if (!stored)
            {
                // Another process already wrote this job's outcome (a redelivery after a crash, or a cancel through
                // another gateway), or this run was superseded (its job dead-lettered by a sweep and requeued): publish
                // nothing, so there is no second result and no duplicate terminal event. The stream is ended only while
                // this process still holds the job as this run: a requeue's next run has its own stream under the same id.
                if (!live.Superseded && _live.TryGet(job.Id, out var current) && ReferenceEquals(current, live))
                {
                    _events.Complete(job.Id);
                }

                EndRunSuperseded(live);
                if (reader is not null)
                {
                    await reader.AcknowledgeAsync(job, CancellationToken.None).ConfigureAwait(false);
                }

                _live.Remove(live);
                return;
            }

            if (reader is null && status != JobStatus.DeadLettered && _queue is InProcessJobQueue inProcess)
            {
                // Settled while it waited (a DELETE, the deadline, a disconnect): its entry leaves the queue now, so it
                // no longer holds a max_queue_depth slot or counts in the depth and drain estimate until a batcher reaches
                // it. Not after a dead letter: a requeue of it may already have queued the job's next run.
                inProcess.TryRemove(job);
            }

            // Only onto this run's stream: a requeue of the dead letter just stored may already have started the next
            // run's stream (seeded past this event's id), which this end must not close.
            _events.TryEnd(job.Id, events[^1]);
            if (cacheKey is not null && resultJson is not null)
            {
                _cache.Put(cacheKey, resultJson);
            }

            var modelTag = new KeyValuePair<string, object?>("model", job.Model);
            var statusTag = new KeyValuePair<string, object?>("status", status.ToWire());
            _metrics.JobsFinished.Add(1, modelTag, statusTag);
            // Once per job, where it is counted finished, from its acceptance (not the enqueue time a retry moves); wall
            // clock against another process's with a broker, so never negative under skew. With the run span current,
            // so the exemplar (OpenMetrics) points at the job's trace; with none when it never ran here (settled while
            // queued), rather than at the request that settled it (a DELETE's own trace).
            var outer = SluiceTracing.MakeCurrent(live.RunSpan);
            _metrics.JobDuration.Record(Math.Max(0, (now - job.AcceptedAt).TotalSeconds), modelTag, statusTag);
            SluiceTracing.Restore(live.RunSpan, outer);
            SluiceTracing.EndRun(live.TakeRunSpan(), status.ToWire(), status == JobStatus.Succeeded ? null : errorCode,
                failed: status is JobStatus.Failed or JobStatus.DeadLettered or JobStatus.Expired);
            if (reader is not null)
            {
                if (status == JobStatus.DeadLettered)
                {
                    await reader.DeadLetterAsync(job, error ?? "dead-lettered", CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await reader.AcknowledgeAsync(job, CancellationToken.None).ConfigureAwait(false);
                }
            }

            // This run's control block only: a requeue may have registered the next run's under the same id.
            _live.Remove(live);
            if (status is JobStatus.Failed or JobStatus.DeadLettered)
            {
                Log.JobFailed(_logger, job.Id, job.Model, status.ToWire(), error ?? "");
            }
        }
        finally
        {
            // Whoever waits for this job's outcome (a cancel request) may read the store now.
            live.Settled.TrySetResult();
        }
    }

    /// <summary>
    /// A run whose retry or move the store refused: its job is terminal (settled through another process) or has left
    /// this run (dead-lettered by a sweep and requeued). The run ends here with no retry, no event and no second copy in
    /// the queue; its delivery is let go, and the stream ended only while this process still holds the job as this run
    /// (a requeue's next run has its own stream under the same id).
    /// </summary>
    private async Task LetGoAsync(QueuedJob job, IJobQueueReader reader, LiveJob live)
    {
        live.TryFinish();
        live.Running = false;
        EndRunSuperseded(live);
        // A superseded run's block may still be registered until the newer copy is taken (a delivery supersedes it
        // first): the stream is then already the newer run's.
        if (!live.Superseded && _live.TryGet(job.Id, out var current) && ReferenceEquals(current, live))
        {
            _events.Complete(job.Id);
        }

        _live.Remove(live);
        live.Settled.TrySetResult();
        await reader.AcknowledgeAsync(job, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// The delivery of a job whose outcome a caller without it claimed first (a cancel in this process that found the job
    /// no longer running here, its deadline): acknowledged once that outcome is stored, or handed back when its write
    /// failed. Left alone, the delivery would stay unacknowledged (a prefetch slot lost) until its channel closes.
    /// </summary>
    private async Task LetGoSettledElsewhereAsync(QueuedJob job, IJobQueueReader reader, LiveJob live)
    {
        try
        {
            await live.Settled.Task.WaitAsync(2 * StoreOutagePatience, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Whether it was stored is the store's to say.
        }

        JobRecord? record;
        try
        {
            record = await _store.GetAsync(job.Id, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.StoreWriteFailed(_logger, ex, job.Id);
            await reader.RetryLaterAsync(Uncounted(job), StoreOutageDelay, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        if (record is null || record.Status.IsTerminal())
        {
            await reader.AcknowledgeAsync(job, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            // Not stored: the job comes back and is judged again (a copy the store no longer names is dropped then).
            await reader.RetryLaterAsync(Uncounted(job), StoreOutageDelay, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A run whose delivery can no longer be settled (see <see cref="IJobQueueReader.IsStale"/>) ends here without
    /// an outcome, a retry or a terminal event: the broker redelivers the job and only that copy completes. This
    /// process forgets the run, so a redelivery here starts afresh.
    /// </summary>
    private bool Abandoned(QueuedJob job, IJobQueueReader reader)
    {
        if (!reader.IsStale(job))
        {
            return false;
        }

        if (_live.TryGet(job.Id, out var live) && ReferenceEquals(live.Queued, job))
        {
            SluiceTracing.EndRun(live.TakeRunSpan(), SluiceTracing.AbandonedOutcome, SluiceTracing.AbandonedOutcome, failed: true);
            _live.Remove(live);
            live.Settled.TrySetResult();
        }

        Log.RunAbandoned(_logger, job.Id);
        return true;
    }

    /// <summary>Ends a run span (if one is still open) whose outcome the store refused: the job was settled elsewhere.</summary>
    private static void EndRunSuperseded(LiveJob live) =>
        SluiceTracing.EndRun(live.TakeRunSpan(), SluiceTracing.SupersededOutcome, SluiceTracing.SupersededOutcome, failed: true);

    /// <summary>Ends a run span (if one is still open) whose job was handed back because the store could not record it.</summary>
    private static void EndRunHandedBack(LiveJob live) =>
        SluiceTracing.EndRun(live.TakeRunSpan(), SluiceTracing.HandedBackOutcome, SluiceTracing.StoreUnavailableError, failed: true);

    /// <summary>The data of a job's terminal event (also what a process synthesises from a stored record).</summary>
    internal static string TerminalData(JobStatus status, string? resultJson, string? error, string? errorCode, TimeSpan? retryAfter)
    {
        // A status's wire name is lower-case letters and '_', which JSON writes as they are: no serializer, no extra string.
        var s = status.ToWire();
        if (status == JobStatus.Succeeded)
        {
            return $"{{\"status\":\"{s}\",\"result\":{resultJson ?? "null"}}}";
        }

        // Without an error text the status stands for it.
        return error is null
            ? $"{{\"status\":\"{s}\",\"error\":\"{s}\"{FailureData(errorCode, retryAfter)}}}"
            : $"{{\"status\":\"{s}\",\"error\":{JsonSerializer.Serialize(error, CoreJsonContext.Default.String)}{FailureData(errorCode, retryAfter)}}}";
    }

    /// <summary>
    /// The <c>error_code</c> and <c>retry_after_ms</c> members of a <c>retrying</c> or terminal event, each after a comma
    /// (empty when there is neither): a client reads why and how long to wait there rather than from the error text.
    /// </summary>
    private static string FailureData(string? errorCode, TimeSpan? retryAfter)
    {
        var code = errorCode is null ? "" : $",\"error_code\":{JsonSerializer.Serialize(errorCode, CoreJsonContext.Default.String)}";
        return retryAfter is { } wait
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{code},\"retry_after_ms\":{(long)Math.Ceiling(wait.TotalMilliseconds)}")
            : code;
    }
}
