using Sluice.Core.Jobs;
using Sluice.Core.Scheduling;

namespace Sluice.Server.Apis;

/// <summary>Waits for a job's terminal event (for <c>Prefer: wait</c>), cancelling the job if the client goes away.</summary>
internal static class JobWaiter
{
    /// <param name="observe">Sees every event up to the terminal one (the OpenAI endpoints count generated tokens with it).</param>
    public static async Task<JobRecord?> WaitAsync(JobService jobs, string id, TimeSpan timeout, CancellationToken aborted, bool cancelOnDisconnect, Action<JobEvent>? observe = null)
    {
        if (jobs.Events.TrySubscribe(id, 0, out var sub))
        {
            using (sub)
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(aborted))
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
                    if (aborted.IsCancellationRequested)
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
