using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Apis;

/// <summary>Waits for a job's terminal event (for <c>Prefer: wait</c>), cancelling the job if the client goes away.</summary>
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

    private static async Task<(JobRecord? Job, int GeneratedTokens, JobEvent? HeldBack)> WaitCoreAsync(JobService jobs, string id, TimeSpan timeout, CancellationToken aborted, bool cancelOnDisconnect,
        bool countTokens, bool stopWhenHeldBack, CancellationToken stopping)
    {
        var generated = 0;
        if (jobs.Events.TrySubscribe(id, 0, out var sub))
        {
            using (sub)
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping))
            {
                cts.CancelAfter(timeout);
                try
                {
                    while (await sub.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false))
                    {
                        while (sub.Reader.TryRead(out var e))
                        {
                            if (countTokens && e.Type == JobEventTypes.Delta)
                            {
                                generated += OpenAiResult.DeltaTokens(e.DataJson);
                            }

                            if (e.IsTerminal)
                            {
                                goto done;
                            }

                            if (stopWhenHeldBack && CircuitRetry.HeldBackBy(e) is not null)
                            {
                                return (null, generated, e);
                            }
                        }
                    }
                }
                catch (OperationCanceledException)
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
            }
        }

        done:
        return (await jobs.Store.GetAsync(id, CancellationToken.None).ConfigureAwait(false), generated, null);
    }
}
