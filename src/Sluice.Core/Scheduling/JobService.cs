using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sluice.Core.Caching;
using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Models;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;

namespace Sluice.Core.Scheduling;

/// <summary>
/// The front door of the pipeline: validates a submission against its model, answers from the result cache,
/// honours idempotency keys, journals the job durably, then queues it. Also cancels and requeues jobs.
/// </summary>
internal sealed partial class JobService
{
    private readonly ModelRegistry _registry;
    private readonly IJobStore _store;
    private readonly IJobQueue _queue;
    private readonly IJobEventHub _events;

    /// <summary>Per model: submits between the depth check and the enqueue, counted against the queue bound.</summary>
    private readonly ConcurrentDictionary<string, StrongBox<int>> _admitting = new(StringComparer.Ordinal);
    private readonly ResultCache _cache;
    private readonly CacheOptions _cacheOptions;

    /// <summary>Cache entries are the caller's own (<see cref="CacheOptions.Scope"/> <c>owner</c>).</summary>
    private readonly bool _cachePerOwner;
    private readonly JobLifecycle _lifecycle;
    private readonly LiveJobs _live;
    private readonly SluiceMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<JobService> _logger;

    public JobService(ModelRegistry registry, IJobStore store, IJobQueue queue, IJobEventHub events, ResultCache cache,
        IOptions<CacheOptions> cacheOptions, JobLifecycle lifecycle, LiveJobs live, SluiceMetrics metrics, TimeProvider time, ILogger<JobService> logger)
    {
        _registry = registry;
        _store = store;
        _queue = queue;
        _events = events;
        _cache = cache;
        _cacheOptions = cacheOptions.Value;
        _cachePerOwner = _cacheOptions.Scope != CacheOptions.GlobalScope;
        _lifecycle = lifecycle;
        _live = live;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public IJobStore Store => _store;

    public IJobEventHub Events => _events;

    public ModelRegistry Registry => _registry;

    public async ValueTask<SubmitOutcome> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        if (!_registry.TryGet(request.Model, out var entry))
        {
            return Reject(SubmitStatus.UnknownModel, "unknown_model");
        }

        if (entry.State != ModelState.Ready || entry.Model is null)
        {
            return Reject(SubmitStatus.ModelUnavailable, "model_unavailable", TimeSpan.FromSeconds(5), $"model '{entry.Name}' {entry.NotReadyReason}");
        }

        // Validate the input with the model itself, before anything is stored.
        object? parsed;
        bool deterministic;
        InputError error;
        switch (entry.Model)
        {
            case IBatchModel batch:
                if (!batch.TryParseInput(request.Input, out parsed, out error))
                {
                    return Reject(SubmitStatus.InvalidInput, "invalid_input", error: error);
                }

                deterministic = batch.Descriptor.Deterministic;
                break;
            case IGenerativeModel gen:
                var g = request.Generation;
                if (g is null && !gen.TryParseInput(request.Input, out g, out error))
                {
                    return Reject(SubmitStatus.InvalidInput, "invalid_input", error: error);
                }

                if (!gen.TryValidate(g!, out error))
                {
                    return Reject(SubmitStatus.InvalidInput, "invalid_input", error: error);
                }

                parsed = g;
                deterministic = gen.Descriptor.Deterministic && g!.IsDeterministic;
                break;
            default:
                return Reject(SubmitStatus.ModelUnavailable, "model_unavailable");
        }

        var now = _time.GetUtcNow();
        var inputJson = request.Input.ValueKind == JsonValueKind.Undefined ? "{}" : request.Input.GetRawText();
        var cacheKey = deterministic && request.UseCache && _cacheOptions.Enabled
            ? CacheKeys.For(entry.Name, entry.Model.Descriptor.CacheVersion ?? entry.Version, request.Input, _cachePerOwner ? request.Owner : null)
            : null;
        var deadlineMs = request.DeadlineMs ?? (entry.Settings.DefaultDeadlineMs > 0 ? entry.Settings.DefaultDeadlineMs : null);
        var job = new JobRecord
        {
            Id = JobIds.New(now),
            Model = entry.Name,
            ModelVersion = entry.Version,
            InputJson = inputJson,
            Priority = request.Priority,
            Owner = request.Owner,
            CreatedAt = now,
            Deadline = deadlineMs is { } ms ? now.AddMilliseconds(ms) : null,
            MaxAttempts = entry.Settings.MaxAttempts,
            TraceParent = request.TraceParent,
            IdempotencyKey = request.IdempotencyKey,
            RequestHash = request.BodyHash,
            CacheKey = cacheKey,
            FallbackAllowed = request.FallbackAllowed,
        };

        if (cacheKey is not null)
        {
            var cached = _cache.TryGet(cacheKey, out var hit) ? hit : await SafeCacheLookup(cacheKey, cancellationToken).ConfigureAwait(false);
            if (cached is not null)
            {
                _metrics.CacheRequests.Add(1, new KeyValuePair<string, object?>("result", "hit"));
                _cache.Put(cacheKey, cached);
                return await StoreCacheHitAsync(job, cached, cancellationToken).ConfigureAwait(false);
            }

            _metrics.CacheRequests.Add(1, new KeyValuePair<string, object?>("result", "miss"));
        }

        var admitting = _admitting.GetOrAdd(entry.Name, static _ => new StrongBox<int>());
        var position = Interlocked.Increment(ref admitting.Value);
        try
        {
            // Cheap early rejection keeps memory and the journal bounded under overload. Submits still on their way to
            // the journal hold a slot too: checking the queue alone let every concurrent submitter through.
            var depth = _queue.GetDepth(entry.Name).Total + position - 1;
            if (depth >= entry.Settings.MaxQueueDepth)
            {
                return Reject(SubmitStatus.QueueFull, "queue_full", RetryAfter(entry, depth, parsed), $"model '{entry.Name}' has {depth} jobs queued (max_queue_depth {entry.Settings.MaxQueueDepth})");
            }

            CreateJobResult created;
            try
            {
                created = await _store.CreateAsync(job, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.StoreUnavailable(_logger, ex);
                if (ex is StoreUnavailableException { OutcomeUnknown: true })
                {
                    // The create's commit went unanswered: the job may be stored, queued and never published, which a sweep
                    // would publish and run once the store is back. Refused here, so it ends refused if it is there at all.
                    _lifecycle.KeepUnansweredRefusal(job);
                }

                return Reject(SubmitStatus.Unavailable, "store_unavailable", TimeSpan.FromSeconds(2), "the job store is unavailable");
            }

            if (!created.Created)
            {
                if (_lifecycle.IsRefusalPending(created.Job.Id))
                {
                    // The key's job was refused (503) and its failed outcome, which releases the key, waits for the store:
                    // replaying it as queued would bind the key to a job that is to end refused, never run.
                    return Reject(SubmitStatus.Unavailable, "store_unavailable", TimeSpan.FromSeconds(2), "the job store is unavailable");
                }

                return created.Job.RequestHash == request.BodyHash || IsLegacyMatch(created.Job, request, entry.Name)
                    ? new SubmitOutcome(SubmitStatus.Replayed, created.Job)
                    : Reject(SubmitStatus.IdempotencyMismatch, "idempotency_mismatch", detail: "this Idempotency-Key was used with a different request body or on another endpoint");
            }

            var queued = new QueuedJob
            {
                Id = job.Id,
                Model = job.Model,
                Priority = job.Priority,
                InputJson = job.InputJson,
                Deadline = job.Deadline,
                EnqueuedAt = now,
                AcceptedAt = job.CreatedAt,
                MaxAttempts = job.MaxAttempts,
                Owner = job.Owner,
                TraceParent = job.TraceParent,
                CacheKey = cacheKey,
                Parsed = parsed,
                FallbackAllowed = request.FallbackAllowed,
            };
            _events.Append(job.Id, JobEventTypes.Queued, entry.QueuedEventData(job.Priority));
            TrackIfLocal(queued);
            var result = await _queue.EnqueueAsync(queued, cancellationToken).ConfigureAwait(false);
            if (result != EnqueueResult.Accepted)
            {
                if (result == EnqueueResult.Full && _queue is InProcessJobQueue inProcess)
                {
                    // Lost a race for the last slot after journaling: keep the promise, overshoot the bound by one.
                    inProcess.Restore(queued);
                }
                else
                {
                    // Rejected, so never accepted: the key is released with the failure so that the client's retry
                    // with the same Idempotency-Key creates the job instead of replaying this failure. A store that is
                    // down now gets that write later (kept, see PendingRefusals): the job must not run after a 503.
                    await _lifecycle.FinishAsync(queued, null, JobStatus.Failed, null, "rejected by the queue: " + result, null, 0,
                        releaseIdempotencyKey: true, errorCode: JobErrorCodes.QueueRejected, keepWhileStoreDown: true).ConfigureAwait(false);
                    return result == EnqueueResult.Full
                        ? Reject(SubmitStatus.QueueFull, "queue_full", RetryAfter(entry, depth, parsed))
                        : Reject(SubmitStatus.Unavailable, "queue_unavailable", TimeSpan.FromSeconds(2), "the queue is unavailable");
                }
            }

            _metrics.JobsSubmitted.Add(1, new KeyValuePair<string, object?>("model", job.Model), new KeyValuePair<string, object?>("priority", job.Priority.ToWire()));
            return new SubmitOutcome(SubmitStatus.Accepted, job);
        }
        finally
        {
            Interlocked.Decrement(ref admitting.Value);
        }
    }

    /// <summary>
    /// Cancels a job: a queued one never runs; a running generative one stops at its next step. Returns the
    /// job as stored afterwards, or null when unknown.
    /// </summary>
    public ValueTask<JobRecord?> CancelAsync(string id, CancellationToken cancellationToken) => CancelAsync(id, false, cancellationToken);

    /// <summary>
    /// As <see cref="CancelAsync(string, CancellationToken)"/>; <paramref name="releaseIdempotencyKey"/> (the request
    /// that created the job went away unanswered) also frees the job's Idempotency-Key with its cancelled outcome.
    /// </summary>
    public async ValueTask<JobRecord?> CancelAsync(string id, bool releaseIdempotencyKey, CancellationToken cancellationToken)
    {
        var record = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (record is null || record.Status.IsTerminal())
        {
            return record;
        }

        if (_live.TryGet(id, out var live))
        {
            if (releaseIdempotencyKey && record.Status == JobStatus.Running)
            {
                // A disconnect's cancel is for the run its client watched (as the store had it): it lands only while that
                // run is in progress and has not begun to store its retry, decided atomically with that step (see
                // LiveJob.TryCancelRun). A retry stored, or a requeue's next run, is no longer the client's to end.
                if (record.StartedAt is not { } started || !live.TryCancelRun(new JobRun(record.Attempts, started), releaseIdempotencyKey))
                {
                    return await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
                }
            }
            else if (releaseIdempotencyKey && !IsStill(live, record))
            {
                // Read while queued, and started since: that run is no longer the one its client left.
                return await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                live.CancelStatus = JobStatus.Cancelled;
                live.ReleaseIdempotencyKey |= releaseIdempotencyKey;
                JobLifecycle.TryCancel(live);
            }

            if (!live.Running && live.Queued is { } queued)
            {
                await _lifecycle.FinishAsync(queued, null, JobStatus.Cancelled, null, "cancelled by the client", null, 0).ConfigureAwait(false);
            }
            else
            {
                // Running: wait briefly for the batcher to stop it at its next step and store the outcome.
                try
                {
                    await live.Settled.Task.WaitAsync(CancelWait, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // A long step or batch: its outcome will be discarded anyway.
                    await SettleCancelledRunAsync(live).ConfigureAwait(false);
                    if (!releaseIdempotencyKey && !live.Running && _queue is not InProcessJobQueue && _events is IRemoteCancellation remote)
                    {
                        // With a broker, the run let go of the job while the cancel waited (its retry, its move to a fallback
                        // or a stop's hand-back was stored as the cancel landed): no run here ends that cancel any more, and
                        // the job's next copy may go to any worker. It is cancelled where it is now, as one run elsewhere.
                        await remote.CancelRemoteAsync(id, false, null, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The client went away: the cancel it asked for must still not stay in memory only.
                    await SettleCancelledRunAsync(live).ConfigureAwait(false);
                    throw;
                }
            }
        }
        else if (_events is IRemoteCancellation remote)
        {
            // Not live here: the cross-process hub settles it with the store and the worker that may run it. A disconnect's
            // cancel of a running job names the run its client watched: the retry or requeue after it is not the client's to end.
            var run = releaseIdempotencyKey && record.Status == JobStatus.Running && record.StartedAt is { } started ? new JobRun(record.Attempts, started) : null;
            await remote.CancelRemoteAsync(id, releaseIdempotencyKey, run, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Not live here (another process runs it): record the outcome; a worker that has not started it skips it.
            await _store.CompleteAsync(new JobCompletion { JobId = id, Status = JobStatus.Cancelled, Error = "cancelled by the client", ErrorCode = JobErrorCodes.Cancelled, CompletedAt = _time.GetUtcNow(), ReleaseIdempotencyKey = releaseIdempotencyKey }, cancellationToken).ConfigureAwait(false);
        }

        return await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a job whose model holds its retry back while its client waited on the request, and which the client was
    /// answered for at once (503 with the wait): nobody waits for that retry any more, so the job ends now,
    /// <c>failed</c> with <paramref name="error"/> (the refusal that held it back). Not <c>cancelled</c>: no client asked
    /// for that, and the job record and <c>sluice_jobs_finished_total</c> would then show an upstream that is unavailable
    /// as client cancellations. A job already running again (its retry came due meanwhile) is cancelled as by
    /// <see cref="CancelAsync(string, CancellationToken)"/>. <paramref name="errorCode"/> and <paramref name="retryAfter"/> are the refusal's (see
    /// <see cref="JobErrorCodes"/>), stored with the error. Returns the job as stored afterwards, or null when unknown.
    /// </summary>
    public async ValueTask<JobRecord?> FailUnwaitedAsync(string id, string error, string? errorCode, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var record = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (record is null || record.Status.IsTerminal())
        {
            return record;
        }

        if (_live.TryGet(id, out var live))
        {
            if (live.Running || live.Queued is not { } queued)
            {
                return await CancelAsync(id, cancellationToken).ConfigureAwait(false);
            }

            // Its queue entry, due when the hold-back ends, is skipped then (as for a cancelled one).
            JobLifecycle.TryCancel(live);
            await _lifecycle.FinishAsync(queued, null, JobStatus.Failed, null, error, null, 0, errorCode: errorCode, retryAfter: retryAfter).ConfigureAwait(false);
        }
        else if (_events is IRemoteCancellation remote)
        {
            // Another process holds it: settled in the store while it still waits (guarded), else cancelled there.
            if (!await remote.SettleAsync(id, JobStatus.Failed, error, errorCode, retryAfter, onlyIfQueued: true, cancellationToken).ConfigureAwait(false))
            {
                return await CancelAsync(id, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await _store.CompleteAsync(new JobCompletion { JobId = id, Status = JobStatus.Failed, Error = error, ErrorCode = errorCode, RetryAfter = retryAfter, CompletedAt = _time.GetUtcNow() }, cancellationToken).ConfigureAwait(false);
        }

        return await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether <paramref name="stored"/> holds a key stored before idempotency hashes covered the endpoint (the body's
    /// alone, <see cref="CacheKeys.LegacyBodyHash"/>) that this request repeats: same body and the same model (with the
    /// same fallback permission), the traces of its endpoint a job keeps, so a key reused elsewhere stays a mismatch.
    /// Such keys live out their 24 h retention; the hash is computed only after the current one did not match.
    /// </summary>
    private static bool IsLegacyMatch(JobRecord stored, SubmitRequest request, string model) =>
        stored.RequestHash is { } hash && request.BodyHash is not null && request.HashedBody.ValueKind != JsonValueKind.Undefined
        && string.Equals(stored.Model, model, StringComparison.Ordinal) && stored.FallbackAllowed == request.FallbackAllowed
        && string.Equals(hash, CacheKeys.LegacyBodyHash(request.HashedBody, request.HashedNullFields), StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="live"/> is still where <paramref name="record"/> (read queued when the cancel was issued)
    /// had the job: not started since. A running record's cancel is decided by <see cref="LiveJob.TryCancelRun"/>.
    /// </summary>
    private static bool IsStill(LiveJob live, JobRecord record) => record.Status != JobStatus.Running && !live.Running;

    /// <summary>How long a cancel waits for a running job to stop and store its own outcome.</summary>
    internal static readonly TimeSpan CancelWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Stores the outcome of a cancelled job that is still running here, without waiting for its step or batch to
    /// end. Until then the cancel lived in memory only: a crash, or a stop (which hands running jobs back to the
    /// queue), ran the job again. Only with the in-process queue, where this process alone runs the job: the batch's
    /// own outcome, when it comes, finds the job finished and changes nothing. With a broker the worker settles it
    /// (and the gateway after its own wait, see the cross-process hub).
    /// </summary>
    private async Task SettleCancelledRunAsync(LiveJob live)
    {
        if (_queue is InProcessJobQueue && live.Queued is { } job)
        {
            await _lifecycle.FinishAsync(job, null, live.CancelStatus, null, live.CancelStatus == JobStatus.Expired ? "deadline passed while running" : "cancelled by the client", null, 0).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Puts a dead-lettered job back in its queue; null when it is not dead-lettered. Throws
    /// <see cref="QueueUnavailableException"/> when the queue refuses it, after putting the dead letter back as it was.
    /// </summary>
    public async ValueTask<JobRecord?> RequeueAsync(string id, CancellationToken cancellationToken)
    {
        var before = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (before is not { Status: JobStatus.DeadLettered })
        {
            return null;
        }

        // The requeue drops the stored events; the new stream continues after the last id a client may have seen.
        // They are kept here to put them back if the queue refuses the job.
        var stored = await _store.GetEventsAsync(id, 0, cancellationToken).ConfigureAwait(false);
        var lastId = _events.NextId(id) - 1;
        if (stored.Count > 0)
        {
            lastId = Math.Max(lastId, stored[^1].Id);
        }

        var record = await _store.RequeueDeadLetterAsync(id, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return null;
        }

        // A run of the job still going on here (a stale one: its job was dead-lettered behind its back) is superseded
        // before the new stream starts, so none of its events lands in it (see LiveJob.Supersede).
        _live.Supersede(id);
        _events.Restart(id, lastId);

        // The store reset its attempts and dropped its deadline; it waits from now. An operator's requeue is a new
        // acceptance: the job's duration runs from it, as its dead letter already recorded the time before.
        var queued = QueuedJob.Requeued(record, _time.GetUtcNow());
        _events.Append(id, JobEventTypes.Queued, "{\"requeued\":true}");
        TrackIfLocal(queued);
        if (_queue is InProcessJobQueue inProcess)
        {
            inProcess.Restore(queued);
            return record;
        }

        var result = await _queue.EnqueueAsync(queued, cancellationToken).ConfigureAwait(false);
        if (result != EnqueueResult.Accepted)
        {
            // A queued job that is in no queue would never run and could not be requeued again: undo the reset, so
            // the job is a dead letter again and the client's retry of the requeue (503) can succeed later.
            _live.Remove(id);
            _events.Forget(id);
            await _store.RestoreDeadLetterAsync(before, stored, CancellationToken.None).ConfigureAwait(false);
            throw new QueueUnavailableException($"the queue did not take job '{id}' ({result.ToString().ToLowerInvariant()}); it is still dead-lettered");
        }

        return record;
    }

    /// <summary>
    /// With the in-process queue this process will run the job, so it tracks it now (cancel while queued, deadline).
    /// With a broker the worker that takes it tracks it; a gateway tracking it too would race that worker.
    /// </summary>
    private void TrackIfLocal(QueuedJob queued)
    {
        if (_queue is InProcessJobQueue)
        {
            _lifecycle.Track(queued);
        }
    }

    private async ValueTask<string?> SafeCacheLookup(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.GetCachedResultAsync(key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreUnavailable(_logger, ex);
            return null;
        }
    }

    private async ValueTask<SubmitOutcome> StoreCacheHitAsync(JobRecord job, string result, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var done = job with
        {
            Status = JobStatus.Succeeded,
            ResultJson = result,
            CompletedAt = now,
            QueuedMs = 0,
            RunMs = 0,
            BatchSize = 0,
            CacheKey = null,
        };
        try
        {
            var created = await _store.CreateAsync(done, cancellationToken).ConfigureAwait(false);
            if (!created.Created)
            {
                if (_lifecycle.IsRefusalPending(created.Job.Id))
                {
                    // The key's job was refused (503) and its failed outcome, which releases the key, waits for the store:
                    // replaying it as queued would bind the key to a job that is to end refused, never run.
                    return Reject(SubmitStatus.Unavailable, "store_unavailable", TimeSpan.FromSeconds(2), "the job store is unavailable");
                }

                return created.Job.RequestHash == job.RequestHash
                    ? new SubmitOutcome(SubmitStatus.Replayed, created.Job)
                    : Reject(SubmitStatus.IdempotencyMismatch, "idempotency_mismatch", detail: "this Idempotency-Key was used with a different request body or on another endpoint");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.StoreUnavailable(_logger, ex);
            return Reject(SubmitStatus.Unavailable, "store_unavailable", TimeSpan.FromSeconds(2), "the job store is unavailable");
        }

        return new SubmitOutcome(SubmitStatus.CacheHit, done);
    }

    private SubmitOutcome Reject(SubmitStatus status, string reason, TimeSpan retryAfter = default, string? detail = null, InputError error = default)
    {
        _metrics.Rejections.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return new SubmitOutcome(status, null, error, retryAfter, detail);
    }

    /// <summary>Retry-After of a full queue (see <see cref="DrainEstimate"/>); a generation's max_tokens sizes its run.</summary>
    private TimeSpan RetryAfter(ModelEntry entry, int depth, object? parsed) =>
        DrainEstimate.RetryAfter(entry, depth, parsed is GenerationRequest g ? g.MaxTokens : 0, _time);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1401, Level = LogLevel.Error, Message = "The job store is unavailable")]
        public static partial void StoreUnavailable(ILogger logger, Exception exception);
    }
}
