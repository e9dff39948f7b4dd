using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Apis;

/// <summary>Waits for a job's terminal event (for <c>Prefer: wait</c>), cancelling the job if the client goes away.</summary>
internal static class JobWaiter
{
    /// <param name="observe">Sees every event up to the terminal one (the OpenAI endpoints count generated tokens with it).</param>
    /// <param name="stopping">
    /// The server is stopping (SIGTERM): the wait ends with the job as it is now and the job is not cancelled. The
    /// host aborts requests still open at the end of its shutdown timeout, which must not read as a client leaving.
    /// </param>
    public static async Task<JobRecord?> WaitAsync(JobService jobs, string id, TimeSpan timeout, CancellationToken aborted, bool cancelOnDisconnect, Action<JobEvent>? observe = null,
        CancellationToken stopping = default)
    {
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
                            observe?.Invoke(e);
                            if (e.IsTerminal)
                            {
                                goto done;
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

                        return null;
                    }
                }
            }
        }

        done:
        return await jobs.Store.GetAsync(id, CancellationToken.None).ConfigureAwait(false);
    }
}
