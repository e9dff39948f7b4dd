using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Apis;

/// <summary>
/// Waits for a job's terminal event (for <c>Prefer: wait</c>), cancelling the job if the client goes away: live from this
/// process's hub while it holds the job's stream, else from the store until the job ends (another process runs it).
/// </summary>
internal static class JobWaiter
{
    /// <param name="stopping">
    /// The server is stopping (SIGTERM): the wait ends with the job as it is now and the job is not cancelled. The
    /// host aborts requests still open at the end of its shutdown timeout, which must not read as a client leaving.
    /// </param>
    public static async Task<JobRecord?> WaitAsync(JobService jobs, string id, TimeSpan timeout, CancellationToken aborted, bool cancelOnDisconnect,
        CancellationToken stopping = default) =>
        (await WaitCoreAsync(jobs, id, timeout, aborted, cancelOnDisconnect, countTokens: false, stopWhenHeldBack: false, stopping).ConfigureAwait(false)).Job;

    /// <summary>
    /// As <see cref="WaitAsync"/>, also summing the <c>tokens</c> of the <c>delta</c> events seen: what the job
    /// generated even when it never finishes (the token limits charge it).
    /// </summary>
    /// <param name="stopWhenHeldBack">
    /// Stop at a retry the model holds back (see <see cref="CircuitRetry.HeldBackBy(JobEvent)"/>): the wait then ends with
    /// no job and that <c>retrying</c> event as <c>HeldBack</c>, and the job is left as it is (the caller decides its fate).
    /// </param>
    public static Task<(JobRecord? Job, int GeneratedTokens, JobEvent? HeldBack)> WaitCountingTokensAsync(JobService jobs, string id, TimeSpan timeout, CancellationToken aborted,
        bool cancelOnDisconnect, bool stopWhenHeldBack = false) =>
        WaitCoreAsync(jobs, id, timeout, aborted, cancelOnDisconnect, countTokens: true, stopWhenHeldBack, default);

    /// <summary>Store polling while the job is not live in this process's hub: from a quarter second, slowing to 2 s.</summary>
    private static readonly TimeSpan StorePollMin = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc cref="StorePollMin"/>
    private static readonly TimeSpan StorePollMax = TimeSpan.FromSeconds(2);

    private static async Task<(JobRecord? Job, int GeneratedTokens, JobEvent? HeldBack)> WaitCoreAsync(JobService jobs, string id, TimeSpan timeout, CancellationToken aborted, bool cancelOnDisconnect,
        bool countTokens, bool stopWhenHeldBack, CancellationToken stopping)
    {
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
                                    return stop.IsTerminal ? (await jobs.Store.GetAsync(id, CancellationToken.None).ConfigureAwait(false), generated, null) : (null, generated, stop);
                                }
                            }
                        }
                    }
                }

                // Not (or no longer) held here: another process runs the job (a gateway that did not accept it, or that
                // missed the start of its stream), or the hub let it go. Its outcome reaches the store: read it there,
                // with the events stored meanwhile, until the job ends. Reading the store once and answering with a job
                // still queued or running elsewhere failed (and cancelled) a job that was merely not finished yet.
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
                    await jobs.CancelAsync(id, CancellationToken.None).ConfigureAwait(false);
                }

                return (null, generated, null);
            }
        }

        // The wait ran out, or the server is stopping: the job as it is now.
        return (await jobs.Store.GetAsync(id, CancellationToken.None).ConfigureAwait(false), generated, null);
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
