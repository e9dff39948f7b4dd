using System.Diagnostics;
using Sluice.Core.Queueing;
using Sluice.Core.Scheduling;

namespace Sluice.Core.Tracing;

/// <summary>
/// The <c>Sluice</c> activity source and the spans of a job's life: <c>queue</c> (enqueue to the start of an attempt)
/// and <c>run</c> (that attempt), both children of the job's stored <c>traceparent</c>, so the trace continues across the
/// queue in this process and in a worker that read the job from the broker or the store; and <c>batch</c> (one model
/// call), a root linked to the run of every job it served, since one batch serves many traces. With no listener
/// attached every method returns at once, allocating nothing.
/// </summary>
public static class SluiceTracing
{
    /// <summary>Name of the activity source (what an OpenTelemetry tracer provider adds with <c>AddSource</c>).</summary>
    public const string SourceName = "Sluice";

    public const string QueueSpan = "queue";
    public const string RunSpan = "run";
    public const string BatchSpan = "batch";

    /// <summary>A wait for a free upstream slot (every one of the backend's <c>MaxConcurrency</c> calls in flight).</summary>
    public const string SlotWaitSpan = "slot_wait";

    /// <summary>
    /// A generative job's wait for room in its model (the engine's KV cache all reserved by running sequences): its
    /// sequence was refused and it waits at the head of the queue while the batch steps on.
    /// </summary>
    public const string RoomWaitSpan = "room_wait";

    // Attribute names: OpenTelemetry semantic conventions where one exists (error.type), sluice.* for ours.
    public const string JobIdTag = "sluice.job.id";
    public const string ModelTag = "sluice.model";
    public const string AttemptTag = "sluice.job.attempt";
    public const string OutcomeTag = "sluice.job.outcome";
    public const string BatchSizeTag = "sluice.batch.size";
    public const string ErrorTypeTag = "error.type";
    public const string BackendTag = "sluice.backend";

    /// <summary>Outcome of a run that ends in a retry, a move to a fallback, or a hand-back at a graceful stop.</summary>
    public const string RetryingOutcome = "retrying";
    public const string ReroutedOutcome = "rerouted";
    public const string ReleasedOutcome = "released";

    /// <summary>
    /// Outcome (and error type) of a run whose outcome the store refused: the job was settled elsewhere (cancelled
    /// through another gateway, dead-lettered by a sweep) or left this run, so its result was discarded.
    /// </summary>
    public const string SupersededOutcome = "superseded";

    /// <summary>Outcome of a run whose outcome could not be stored (the store failing): the job was handed back for later.</summary>
    public const string HandedBackOutcome = "handed_back";

    /// <summary>Outcome of a run whose delivery was lost (a broker redelivers the job elsewhere): it ends without an outcome.</summary>
    public const string AbandonedOutcome = "abandoned";

    /// <summary>Error type of a run the store could not record (<see cref="HandedBackOutcome"/>).</summary>
    public const string StoreUnavailableError = "store_unavailable";

    /// <summary>The one source of Sluice's spans.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Records the job's wait in the queue (from its enqueue time to <paramref name="now"/>) and starts its run span;
    /// null when nothing listens. Neither becomes <see cref="Activity.Current"/>: the caller's loop goes on for other jobs.
    /// </summary>
    internal static Activity? StartRun(QueuedJob job, DateTimeOffset now, int batchSize)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // A job without a stored (or with an unreadable) traceparent starts a trace of its own.
        ActivityContext.TryParse(job.TraceParent, null, isRemote: true, out var parent);
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var queued = Source.StartActivity(QueueSpan, ActivityKind.Internal, parent, startTime: job.EnqueuedAt < now ? job.EnqueuedAt : now);
            if (queued is not null)
            {
                Describe(queued, job);
                queued.SetEndTime(now.UtcDateTime);
                queued.Stop();
            }

            Activity.Current = null;
            var run = Source.StartActivity(RunSpan, ActivityKind.Internal, parent, startTime: now);
            if (run is not null)
            {
                Describe(run, job);
                if (run.IsAllDataRequested)
                {
                    run.SetTag(BatchSizeTag, batchSize);
                }
            }

            return run;
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// Makes <paramref name="span"/> <see cref="Activity.Current"/> for a measurement's exemplar, or none when it is null,
    /// and returns the one it replaced: the exemplar then leads to that span or to nothing, never to whatever else is
    /// current (a request that settled the job, which is not the job's trace). Changes nothing, so allocates nothing,
    /// when <paramref name="span"/> is current already (both null when nothing listens, so untraced runs pay nothing).
    /// Undone by <see cref="Restore"/>.
    /// </summary>
    internal static Activity? MakeCurrent(Activity? span)
    {
        var previous = Activity.Current;
        if (!ReferenceEquals(previous, span))
        {
            Activity.Current = span;
        }

        return previous;
    }

    /// <summary>Undoes <see cref="MakeCurrent"/>: <paramref name="previous"/> is current again.</summary>
    internal static void Restore(Activity? span, Activity? previous)
    {
        if (!ReferenceEquals(previous, span))
        {
            Activity.Current = previous;
        }
    }

    /// <summary>Records on a run span begun before its batch was known how many jobs the batch started with.</summary>
    internal static void SetBatchSize(Activity run, int batchSize)
    {
        if (run.IsAllDataRequested)
        {
            run.SetTag(BatchSizeTag, batchSize);
        }
    }

    /// <summary>Ends a run span with the job's outcome (a terminal status, or retrying, rerouted, released).</summary>
    /// <param name="errorType">Why it did not succeed (a job error code), or null.</param>
    internal static void EndRun(Activity? run, string outcome, string? errorType, bool failed)
    {
        if (run is null)
        {
            return;
        }

        if (run.IsAllDataRequested)
        {
            run.SetTag(OutcomeTag, outcome);
            if (errorType is not null)
            {
                run.SetTag(ErrorTypeTag, errorType);
            }
        }

        if (failed)
        {
            run.SetStatus(ActivityStatusCode.Error, errorType);
        }

        run.Stop();
    }

    /// <summary>
    /// Starts the span of one model call over <paramref name="count"/> jobs, linked to each job's run span; it is
    /// <see cref="Activity.Current"/> until stopped (a backend call it makes nests under it). Null when nothing listens.
    /// </summary>
    internal static Activity? StartBatch(string model, LiveJob[] lives, int count)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var linked = 0;
        for (var i = 0; i < count; i++)
        {
            if (lives[i].RunSpan is not null)
            {
                linked++;
            }
        }

        var links = new ActivityLink[linked];
        linked = 0;
        for (var i = 0; i < count; i++)
        {
            if (lives[i].RunSpan is { } run)
            {
                links[linked++] = new ActivityLink(run.Context);
            }
        }

        // A root of its own: the batch belongs to none of the traces it serves.
        Activity.Current = null;
        var batch = Source.StartActivity(BatchSpan, ActivityKind.Internal, default(ActivityContext), links: links);
        if (batch is { IsAllDataRequested: true })
        {
            batch.SetTag(ModelTag, model);
            batch.SetTag(BatchSizeTag, count);
        }

        return batch;
    }

    /// <summary>Ends a batch span; <paramref name="error"/> is the exception that failed the whole batch, if any.</summary>
    internal static void EndBatch(Activity? batch, Exception? error)
    {
        if (batch is null)
        {
            return;
        }

        if (error is not null)
        {
            batch.SetTag(ErrorTypeTag, error.GetType().FullName);
            batch.SetStatus(ActivityStatusCode.Error, error.Message);
        }

        batch.Stop();
        Activity.Current = null;
    }

    /// <summary>
    /// Starts the span of a wait for a free slot of <paramref name="backend"/>'s upstream, a child of the current span (a
    /// job's <c>run</c>, a <c>batch</c>); it is current until disposed, which ends it on every way out of the wait. Null
    /// when nothing listens or no span is current (a health probe belongs to no trace).
    /// </summary>
    public static Activity? StartSlotWait(string backend)
    {
        if (!Source.HasListeners() || Activity.Current is null)
        {
            return null;
        }

        var wait = Source.StartActivity(SlotWaitSpan, ActivityKind.Internal);
        if (wait is { IsAllDataRequested: true })
        {
            wait.SetTag(BackendTag, backend);
        }

        return wait;
    }

    /// <summary>
    /// Starts the span of a generative job's wait for room in <paramref name="model"/>, a child of its
    /// <paramref name="run"/>; not made current (the batcher goes on stepping the other sequences). Null when the run is
    /// not traced.
    /// </summary>
    internal static Activity? StartRoomWait(Activity? run, string model)
    {
        if (run is null)
        {
            return null;
        }

        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            var wait = Source.StartActivity(RoomWaitSpan, ActivityKind.Internal, run.Context);
            if (wait is { IsAllDataRequested: true })
            {
                wait.SetTag(ModelTag, model);
            }

            return wait;
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>
    /// Ends a wait span begun by <see cref="StartRoomWait"/> (nothing when null), at <paramref name="endedAt"/> when given
    /// (the try that found room began then), else now; <see cref="Activity.Current"/> is left as it was.
    /// </summary>
    internal static void EndWait(Activity? wait, DateTime endedAt = default)
    {
        if (wait is null)
        {
            return;
        }

        if (endedAt != default)
        {
            wait.SetEndTime(endedAt);
        }

        var current = Activity.Current;
        wait.Stop();
        Activity.Current = current;
    }

    private static void Describe(Activity activity, QueuedJob job)
    {
        if (!activity.IsAllDataRequested)
        {
            return;
        }

        activity.SetTag(JobIdTag, job.Id);
        activity.SetTag(ModelTag, job.Model);
        activity.SetTag(AttemptTag, job.Attempts + 1);
    }
}
