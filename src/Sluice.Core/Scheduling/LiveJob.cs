using System.Diagnostics;
using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Core.Queueing;
using Sluice.Core.Storage;

namespace Sluice.Core.Scheduling;

/// <summary>
/// In-memory control block of a job this process is responsible for: its cancellation and a single-winner
/// terminal flag, so that a cancel racing a completion produces exactly one outcome.
/// </summary>
internal sealed class LiveJob
{
    private readonly Lock _gate = new();
    private int _finished;

    public LiveJob(string id, string model) 
    {
        Id = id;
        Model = model;
    }

    public string Id { get; }

    public string Model { get; }

    /// <summary>Cancelled by <c>DELETE</c>, a disconnecting client, the deadline, or a newer run taking over (<see cref="Supersede"/>).</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    /// <summary>Set once the job has started running.</summary>
    public bool Running { get; set; }

    /// <summary>Status to record when <see cref="Cancellation"/> fires (cancelled or expired).</summary>
    public JobStatus CancelStatus { get; set; } = JobStatus.Cancelled;

    /// <summary>
    /// Cancelled because the request that created it went away unanswered: its cancelled outcome also frees its
    /// Idempotency-Key, so that client's retry creates the job again rather than replaying the cancel.
    /// </summary>
    public bool ReleaseIdempotencyKey { get; set; }

    /// <summary>The queue entry, once enqueued.</summary>
    public QueuedJob? Queued { get; set; }

    /// <summary>
    /// The queue entry whose run started last: while it waits out a retry's backoff, that run is not yet counted in its
    /// <see cref="QueuedJob.Attempts"/> (the retried copy carries it).
    /// </summary>
    public QueuedJob? Ran { get; private set; }

    /// <summary>
    /// The identity of the run of <see cref="Ran"/> (its attempt, when the store marked it started), made once when the
    /// run starts: the hub's <c>BeginRun</c> and every write of the run share it rather than each make their own.
    /// </summary>
    private JobRun? _ran;

    /// <summary>
    /// The identity of the run in progress (its attempt, its start as stored), or null when none is: what this run writes
    /// (its outcome, its retry, its move) the store applies only while the job is still in that run.
    /// </summary>
    public JobRun? Run => Running ? _ran : null;

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>The run in progress has begun to hand the job on (its retry or move is being stored): no cancel meant for that run lands any more.</summary>
    private bool _leavingRun;

    /// <summary>A cancel meant for the run in progress only (see <see cref="TryCancelRun"/>) got in before it began to hand the job on.</summary>
    private bool _runCancelled;

    /// <summary>
    /// Marks the run of <paramref name="job"/>, started at <paramref name="startedAt"/> as stored, in progress; returns
    /// that run's identity (the one <see cref="Run"/> answers while it is in progress).
    /// </summary>
    public JobRun StartRun(QueuedJob job, DateTimeOffset startedAt)
    {
        var run = new JobRun(job.Attempts + 1, startedAt);
        lock (_gate)
        {
            Running = true;
            Ran = job;
            _ran = run;
            _leavingRun = false;
        }

        return run;
    }

    /// <summary>
    /// Cancels the job only while it is still in <paramref name="run"/> (its attempt and start, as the store had them when
    /// the cancel was issued) and that run has not begun to hand the job on (see <see cref="TryLeaveRun"/>): a disconnect's
    /// cancel is for the run its client watched, never for the retry that run has stored. False when it did not land.
    /// </summary>
    public bool TryCancelRun(JobRun run, bool releaseIdempotencyKey)
    {
        lock (_gate)
        {
            if (_leavingRun || Run is not { } current || current.Attempt != run.Attempt
                || current.StartedAt.ToUnixTimeMilliseconds() != run.StartedAt.ToUnixTimeMilliseconds())
            {
                return false;
            }

            _runCancelled = true;
            CancelStatus = JobStatus.Cancelled;
            ReleaseIdempotencyKey |= releaseIdempotencyKey;
        }

        // Outside the gate: the token's callbacks are not run under it.
        JobLifecycle.TryCancel(this);
        return true;
    }

    /// <summary>
    /// The run's hand-back is stored (the job is queued again): from now on the job does not read running here, so a
    /// cancel settles it as a queued job (see <see cref="JobService.CancelAsync(string, bool, CancellationToken)"/>)
    /// rather than wait for a run that ends no more and store an outcome the run guard refuses. True when a cancel (or
    /// the deadline) got in before, which the caller then stores: a cancel sets the token before it reads
    /// <see cref="Running"/>, and this reads the token after clearing it, so at least one of the two sees the other.
    /// </summary>
    public bool HandBack()
    {
        Running = false;
        Interlocked.MemoryBarrier();
        return Cancellation.IsCancellationRequested;
    }

    /// <summary>
    /// The run in progress begins to hand the job on (before its retry or its move to a fallback is stored); false when a cancel meant for this
    /// run got in first, which the run then ends with instead (see <see cref="TryCancelRun"/>).
    /// </summary>
    public bool TryLeaveRun()
    {
        lock (_gate)
        {
            if (_runCancelled)
            {
                return false;
            }

            _leavingRun = true;
            return true;
        }
    }

    /// <summary>The span of the run in progress, when something listens to the <c>Sluice</c> source.</summary>
    public Activity? RunSpan { get => Volatile.Read(ref _runSpan); set => Volatile.Write(ref _runSpan, value); }

    private Activity? _runSpan;

    /// <summary>Takes the run span for whoever ends the run (a finish racing a cancel ends it once).</summary>
    public Activity? TakeRunSpan() => _runSpan is null ? null : Interlocked.Exchange(ref _runSpan, null);

    /// <summary>The error a cancelled (or expired) job ends with, before or after its run started.</summary>
    public string CancelError(bool running) => CancelStatus == JobStatus.Expired
        ? (running ? "deadline passed while running" : "deadline passed")
        : (running ? "cancelled while running" : "cancelled");

    /// <summary>Completes once the terminal outcome is durably stored (or its write has failed).</summary>
    public TaskCompletionSource Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the deadline timer is armed (a retried job is tracked again but timed once).</summary>
    public bool TryArmDeadline() => Interlocked.Exchange(ref _deadlineArmed, 1) == 0;

    private int _deadlineArmed;

    private ITimer? _deadlineTimer;
    private int _retired;

    /// <summary>
    /// Keeps the deadline timer so that <see cref="Retire"/> disposes it: left to fire, a timer would keep this block and
    /// its queue entry (the input) alive until the deadline, up to a day after the job ended.
    /// </summary>
    public void HoldDeadlineTimer(ITimer timer)
    {
        Interlocked.Exchange(ref _deadlineTimer, timer);
        if (Volatile.Read(ref _retired) != 0)
        {
            // Retired while the timer was being made: this write came after its dispose, so dispose it here.
            DisposeDeadlineTimer();
        }
    }

    /// <summary>Disposes the deadline timer, once (it fired, or the block left <see cref="LiveJobs"/>).</summary>
    public void DisposeDeadlineTimer() => Interlocked.Exchange(ref _deadlineTimer, null)?.Dispose();

    /// <summary>
    /// The block has left <see cref="LiveJobs"/> for good (a block is never registered again): its deadline timer would
    /// find it gone and do nothing, so it is disposed now.
    /// </summary>
    public void Retire()
    {
        Interlocked.Exchange(ref _retired, 1);
        DisposeDeadlineTimer();
    }

    /// <summary>
    /// Claims the right to write the terminal outcome; true for exactly one caller. From then on
    /// <see cref="TryAppend"/> publishes nothing, so the terminal event's id, taken next, stays the one the store keeps.
    /// </summary>
    public bool TryFinish()
    {
        lock (_gate)
        {
            return Interlocked.Exchange(ref _finished, 1) == 0;
        }
    }

    /// <summary>A newer run of the job took over in this process (see <see cref="LiveJobs.Replace"/>): this run is stale.</summary>
    private bool _superseded;

    private int _droppedEvents;

    /// <summary>True once a newer run of the job took over in this process (see <see cref="Supersede"/>).</summary>
    public bool Superseded => Volatile.Read(ref _superseded);

    /// <summary>Events of this run dropped because it was superseded (see <see cref="TryAppend"/>).</summary>
    public int DroppedEvents => Volatile.Read(ref _droppedEvents);

    /// <summary>
    /// A newer run of the job takes over in this process (its job was requeued while this run still ran): from now on
    /// <see cref="TryAppend"/> publishes nothing of this run, whose job's stream (looked up by job id) is the new run's,
    /// and the run is cancelled, so it stops at its next step rather than run to an outcome the store refuses. Its
    /// cancel is not a client's: the run lets the job go as superseded (see <see cref="JobLifecycle.FinishAsync"/>).
    /// </summary>
    public void Supersede()
    {
        lock (_gate)
        {
            _superseded = true;
        }

        // Outside the gate: the token's callbacks are not run under it.
        JobLifecycle.TryCancel(this);
    }

    /// <summary>
    /// Publishes an event of the job's run (started, progress, delta, retrying, rerouted) unless its outcome is claimed.
    /// A batch still reporting after a cancel has settled the job would otherwise take the id reserved for the terminal
    /// event while the store is written: live clients would get the terminal event under another id than the stored
    /// one, and a client resuming after that id would never get it. Nothing either once the run is superseded (see
    /// <see cref="Supersede"/>): its events would land in the newer run's stream (counted in <see cref="DroppedEvents"/>).
    /// </summary>
    public bool TryAppend(IJobEventHub events, string type, string dataJson)
    {
        lock (_gate)
        {
            if (_finished != 0)
            {
                return false;
            }

            if (_superseded)
            {
                _droppedEvents++;
                return false;
            }

            events.Append(Id, type, dataJson);
            return true;
        }
    }
}
