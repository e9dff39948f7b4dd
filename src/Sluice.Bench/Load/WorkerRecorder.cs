using Sluice.Bench.Histograms;

namespace Sluice.Bench.Load;

/// <summary>
/// Everything one worker measures. Only its worker writes it (no locks, no interlocked); the runner merges all
/// workers' recorders once the stage is over. The counters are read racily (but atomically) by the live display.
/// </summary>
internal sealed class WorkerRecorder
{
    private long _sent;
    private long _succeeded;
    private long _rejected;
    private long _failed;
    private long _cancelled;

    public LogLinearHistogram Latency { get; } = new();

    /// <summary>Latency of succeeded requests only.</summary>
    public LogLinearHistogram SucceededLatency { get; } = new();

    public LogLinearHistogram TimeToFirstEvent { get; } = new();

    public LogLinearHistogram InterEvent { get; } = new();

    /// <summary>Count by outcome code (HTTP status or <see cref="OutcomeCodes"/>).</summary>
    public Dictionary<int, long> ByCode { get; } = [];

    public long Sent => Volatile.Read(ref _sent);

    public long Succeeded => Volatile.Read(ref _succeeded);

    public long Rejected => Volatile.Read(ref _rejected);

    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Requests in flight when the run was stopped (Ctrl+C); not in <see cref="Sent"/> or any figure of it.</summary>
    public long Cancelled => Volatile.Read(ref _cancelled);

    public long RejectedWithRetryAfter { get; private set; }

    public long Accepted { get; private set; }

    public long AcceptedThenLost { get; private set; }

    public long BatchSizeSum { get; private set; }

    public long BatchSizeCount { get; private set; }

    /// <summary>Requests the open-loop client dropped because its backlog was full (not sent).</summary>
    public long ClientDropped { get; set; }

    /// <summary>Timestamp of the last completion recorded.</summary>
    public long LastCompletionTimestamp { get; private set; }

    public void Record(RequestContext context, RequestOutcome outcome, long latencyMicros, long completedTimestamp)
    {
        if (outcome.Kind == OutcomeKind.Cancelled)
        {
            // Cut short by the client, not answered: its latency and status would only skew the figures of the target.
            Volatile.Write(ref _cancelled, _cancelled + 1);
            return;
        }

        Latency.Record(latencyMicros);
        switch (outcome.Kind)
        {
            case OutcomeKind.Succeeded:
                SucceededLatency.Record(latencyMicros);
                Volatile.Write(ref _succeeded, _succeeded + 1);
                break;
            case OutcomeKind.Rejected:
                Volatile.Write(ref _rejected, _rejected + 1);
                if (context.RetryAfterSeen)
                {
                    RejectedWithRetryAfter++;
                }

                break;
            default:
                Volatile.Write(ref _failed, _failed + 1);
                break;
        }

        Volatile.Write(ref _sent, _sent + 1);
        ref long slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(ByCode, outcome.Code, out _);
        slot++;
        if (context.Accepted)
        {
            Accepted++;
            if (outcome.Kind != OutcomeKind.Succeeded)
            {
                AcceptedThenLost++;
            }
        }

        if (context.BatchSize > 0)
        {
            BatchSizeSum += context.BatchSize;
            BatchSizeCount++;
        }

        if (completedTimestamp > LastCompletionTimestamp)
        {
            LastCompletionTimestamp = completedTimestamp;
        }
    }
}
