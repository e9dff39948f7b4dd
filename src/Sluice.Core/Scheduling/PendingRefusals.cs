using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sluice.Core.Events;
using Sluice.Core.Jobs;
using Sluice.Core.Metrics;
using Sluice.Core.Storage;

namespace Sluice.Core.Scheduling;

/// <summary>
/// Submits the queue refused (a broker's nack, return, confirm timeout or lost connection: the client got 503) whose
/// <c>failed</c> outcome, which also releases the Idempotency-Key, the store could not take then. Left unwritten, the
/// job stayed queued and never published, and the gateways' sweep published and ran it once the store was back: work
/// the client was told was refused. Each is written here in the background instead, retried while the store is down;
/// meanwhile <see cref="IsPending"/> keeps this process's sweep off the job. A graceful stop waits for them, bounded.
/// A submit whose create's commit went unanswered (the client got 503 too) is kept the same way: the job may be stored,
/// and if it is, it ends refused; if it is not, there is nothing to write.
/// </summary>
internal sealed partial class PendingRefusals : IAsyncDisposable
{
    /// <summary>How long a stop waits for the refusals still pending to reach the store.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly IJobStore _store;
    private readonly IJobEventHub _events;
    private readonly SluiceMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<PendingRefusals> _logger;

    /// <summary>
    /// Job ids whose refusal is not stored yet, with the job's model and acceptance (for the finished-jobs counter and
    /// duration), and whether the job may never have been stored (its create's commit went unanswered).
    /// </summary>
    private readonly ConcurrentDictionary<string, (string Model, DateTimeOffset AcceptedAt, bool MaybeUnstored)> _pending = new(StringComparer.Ordinal);
    private readonly Channel<JobCompletion> _writes = Channel.CreateUnbounded<JobCompletion>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _start = new();
    private Task? _writer;
    private int _disposed;

    public PendingRefusals(IJobStore store, IJobEventHub events, SluiceMetrics metrics, TimeProvider time, ILogger<PendingRefusals> logger)
    {
        _store = store;
        _events = events;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Refusals not stored yet.</summary>
    public int Count => _pending.Count;

    /// <summary>Whether the job's refusal waits here for the store: the job is to end failed, never to be published.</summary>
    public bool IsPending(string jobId) => _pending.ContainsKey(jobId);

    /// <summary>
    /// Keeps a refused job's outcome (its last event the terminal one) until the store takes it. <paramref name="maybeUnstored"/>:
    /// the job's create may not have committed (its commit went unanswered), so the store finding no such job is no surprise.
    /// </summary>
    public void Keep(JobCompletion refusal, string model, DateTimeOffset acceptedAt, bool maybeUnstored = false)
    {
        _pending[refusal.JobId] = (model, acceptedAt, maybeUnstored);
        if (!_writes.Writer.TryWrite(refusal))
        {
            // Stopping: what is left is logged by the stop.
            return;
        }

        if (maybeUnstored)
        {
            Log.KeptUnanswered(_logger, refusal.JobId);
        }
        else
        {
            Log.Kept(_logger, refusal.JobId);
        }

        if (_writer is null)
        {
            lock (_start)
            {
                // Not under the refused request's trace and log scope: the loop outlives it and writes other jobs too.
                using (ExecutionContext.SuppressFlow())
                {
                    _writer ??= Task.Run(() => WriteLoopAsync(_stopping.Token));
                }
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken ct)
    {
        var batch = new List<JobCompletion>();
        try
        {
            while (await _writes.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                Drain(batch);
                var backoff = Backoff.First;
                var failures = 0;
                for (var i = 0; i < batch.Count;)
                {
                    try
                    {
                        var stored = await _store.CompleteAsync(batch[i], ct).ConfigureAwait(false);
                        Settled(batch[i], stored, failures);
                        i++;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                    {
                        // Once per outage, not per try.
                        if (failures++ == 0)
                        {
                            Log.WriteFailed(_logger, batch.Count - i, ex.Message);
                        }

                        await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                        backoff = Backoff.Next(backoff, MaxBackoff);
                        // Refusals made during the outage are tried with these, not after them.
                        Drain(batch);
                    }
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Drain(List<JobCompletion> batch)
    {
        while (_writes.Reader.TryRead(out var refusal))
        {
            batch.Add(refusal);
        }
    }

    private void Settled(JobCompletion refusal, bool stored, int failures)
    {
        _pending.TryRemove(refusal.JobId, out var job);
        if (!stored && job.MaybeUnstored)
        {
            // The create's commit had not landed (or the job was settled by a write of its own since): nothing to run.
            _events.Complete(refusal.JobId);
            Log.NotStored(_logger, refusal.JobId);
            return;
        }

        if (!stored)
        {
            // Settled meanwhile by another write (a DELETE, its deadline, a worker that took a copy the broker had
            // after all): that outcome stands, and its stream ends where it was written.
            _events.Complete(refusal.JobId);
            Log.SettledElsewhere(_logger, refusal.JobId);
            return;
        }

        // The terminal event as stored, onto the job's live stream (which ends with it).
        _events.TryEnd(refusal.JobId, refusal.Events[^1]);
        // Counted and timed where it is stored, as JobLifecycle does for an outcome written at once; no span current (the
        // loop runs under none), so the duration's exemplar leads nowhere rather than to an unrelated trace.
        var modelTag = new KeyValuePair<string, object?>("model", job.Model);
        var statusTag = new KeyValuePair<string, object?>("status", JobStatus.Failed.ToWire());
        _metrics.JobsFinished.Add(1, modelTag, statusTag);
        _metrics.JobDuration.Record(Math.Max(0, (refusal.CompletedAt - job.AcceptedAt).TotalSeconds), modelTag, statusTag);
        Log.Stored(_logger, refusal.JobId, failures);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Store the refusals still pending before stopping: one lost here leaves its job queued and unpublished, and a
        // sweep publishes and runs it after RepublishAfter. Bounded, since a store that is down would hold the stop forever.
        _writes.Writer.TryComplete();
        if (_writer is { } writer)
        {
            await writer.WaitAsync(DrainTimeout, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (!_pending.IsEmpty)
        {
            Log.LeftAtStop(_logger, _pending.Count, DrainTimeout.TotalSeconds, string.Join(", ", _pending.Keys));
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_writer is { } stopped)
        {
            await stopped.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }
}
