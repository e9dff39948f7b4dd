using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;
using Sluice.Core.Storage;

namespace Sluice.Server.Apis;

/// <summary>
/// Waits for a job's terminal event (for <c>Prefer: wait</c>), cancelling the job if the client goes away: live from this
/// process's hub while it holds the job's stream, else from the store until the job ends (another process runs it).
/// A store outage during the wait is ridden out (polling on), never taken as the job's end.
/// </summary>
internal static class JobWaiter
{
    /// <param name="stopping">
    /// The server is closing its listeners (at SIGTERM, or at the end of its shutdown delay): the wait ends with the job
    /// as it is now and the job is not cancelled. The
    /// host aborts requests still open at the end of its shutdown timeout, which must not read as a client leaving.
    /// </param>
    /// <param name="known">
    /// The job as the caller last read it: the answer when the wait runs out while the store is unreachable (a store
    /// outage during the wait is ridden out, polling on; it neither ends the wait nor fails or cancels the job).
    /// </param>
    public static async Task<JobRecord?> WaitAsync(JobService jobs, JobRecord known, TimeSpan timeout, CancellationToken aborted, bool cancelOnDisconnect,
        CancellationToken stopping = default) =>
        (await WaitCoreAsync(jobs, known, timeout, aborted, cancelOnDisconnect, countTokens: false, stopWhenHeldBack: false, stopping).ConfigureAwait(false)).Job;

    /// <summary>
    /// As <see cref="WaitAsync"/>, also summing the <c>tokens</c> of the <c>delta</c> events seen: what the job
    /// generated even when it never finishes (the token limits charge it).
    /// </summary>
    /// <param name="stopWhenHeldBack">
    /// Stop at a retry the model holds back (see <see cref="CircuitRetry.HeldBackBy(JobEvent)"/>): the wait then ends with
    /// no job and that <c>retrying</c> event as <c>HeldBack</c>, and the job is left as it is (the caller decides its fate).
    /// </param>
    /// <param name="stopping">As for <see cref="WaitAsync"/>: the wait ends with the job as it is now, not cancelled.</param>
    public static Task<(JobRecord? Job, int GeneratedTokens, JobEvent? HeldBack)> WaitCountingTokensAsync(JobService jobs, JobRecord known, TimeSpan timeout, CancellationToken aborted,
        bool cancelOnDisconnect, bool stopWhenHeldBack = false, CancellationToken stopping = default) =>
        WaitCoreAsync(jobs, known, timeout, aborted, cancelOnDisconnect, countTokens: true, stopWhenHeldBack, stopping);

    /// <summary>Store polling while the job is not live in this process's hub: from a quarter second, slowing to 2 s.</summary>
    private static readonly TimeSpan StorePollMin = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc cref="StorePollMin"/>
    private static readonly TimeSpan StorePollMax = TimeSpan.FromSeconds(2);

    private static async Task<(JobRecord? Job, int GeneratedTokens, JobEvent? HeldBack)> WaitCoreAsync(JobService jobs, JobRecord known, TimeSpan timeout, CancellationToken aborted, bool cancelOnDisconnect,
        bool countTokens, bool stopWhenHeldBack, CancellationToken stopping)
    {
        var id = known.Id;
        var generated = 0;
        long afterId = 0;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        cts.CancelAfter(timeout);
        var ct = cts.Token;
        var poll = StorePollMin;
        try
        {
            while (true)
            {
                // Live events from this process's hub while it holds the job's stream.
                if (jobs.Events.TrySubscribe(id, afterId, out var sub))
                {
                    using (sub)
                    {
                        while (await sub.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
                        {
                            while (sub.Reader.TryRead(out var e))
                            {
                                if (e.Id <= afterId)
                                {
                                    continue;
                                }

                                afterId = e.Id;
                                if (Seen(e, countTokens, stopWhenHeldBack, ref generated) is { } stop)
                                {
                                    if (!stop.IsTerminal)
                                    {
                                        return (null, generated, stop);
                                    }

                                    try
                                    {
                                        return (await jobs.Store.GetAsync(id, CancellationToken.None).ConfigureAwait(false), generated, null);
                                    }
                                    catch (StoreUnavailableException)
                                    {
                                        // The outcome is stored (before its event was published): read it below once the store is back.
                                    }
                                }
                            }
                        }
                    }
                }

                // Not (or no longer) held here: another process runs the job (a gateway that did not accept it, or that
                // missed the start of its stream), or the hub let it go. Its outcome reaches the store: read it there,
                // with the events stored meanwhile, until the job ends. Reading the store once and answering with a job
                // still queued or running elsewhere failed (and cancelled) a job that was merely not finished yet.
                try
                {
                    var stored = await jobs.Store.GetEventsAsync(id, afterId, ct).ConfigureAwait(false);
                    for (var i = 0; i < stored.Count; i++)
                    {
                        afterId = stored[i].Id;
                        if (Seen(stored[i], countTokens, stopWhenHeldBack, ref generated) is { IsTerminal: false } heldBack)
                        {
                            return (null, generated, heldBack);
                        }
                    }

                    var current = await jobs.Store.GetAsync(id, ct).ConfigureAwait(false);
                    if (current is null || current.Status.IsTerminal())
                    {
                        return (current, generated, null);
                    }

                    known = current;
                }
                catch (StoreUnavailableException)
                {
                    // A store outage (a PostgreSQL restart) says nothing about the job, which runs on elsewhere: keep
                    // polling at the same pace until the store answers, the wait runs out or the client leaves.
                }

                await Task.Delay(poll, ct).ConfigureAwait(false);
                poll = poll * 2 > StorePollMax ? StorePollMax : poll * 2;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            if (aborted.IsCancellationRequested && !stopping.IsCancellationRequested)
            {
                if (cancelOnDisconnect)
                {
                    // Its client never had an answer: a retry with the same Idempotency-Key runs the job again.
                    await jobs.CancelAsync(id, releaseIdempotencyKey: true, CancellationToken.None).ConfigureAwait(false);
                }

                return (null, generated, null);
            }
        }

        // The wait ran out, or the server is stopping: the job as it is now, or as last read while the store is down.
        try
        {
            return (await jobs.Store.GetAsync(id, CancellationToken.None).ConfigureAwait(false), generated, null);
        }
        catch (StoreUnavailableException)
        {
            return (known, generated, null);
        }
    }

    /// <summary>
    /// Counts a <c>delta</c>'s tokens; returns the event when the wait stops at it (the terminal event, or a retry
    /// the model holds back when <paramref name="stopWhenHeldBack"/>), else null.
    /// </summary>
    private static JobEvent? Seen(JobEvent e, bool countTokens, bool stopWhenHeldBack, ref int generated)
    {
        if (countTokens && e.Type == JobEventTypes.Delta)
        {
            generated += OpenAiResult.DeltaTokens(e.DataJson);
        }

        if (e.IsTerminal || (stopWhenHeldBack && CircuitRetry.HeldBackBy(e) is not null))
        {
            return e;
        }

        return null;
    }
}
