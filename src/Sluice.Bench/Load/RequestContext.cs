namespace Sluice.Bench.Load;

/// <summary>
/// Per-worker, reused state of the request in flight. Targets call <see cref="OnEvent"/> for each streamed event and
/// set the flags the response carries; the worker records them when the request ends.
/// </summary>
internal sealed class RequestContext
{
    private readonly TimeProvider _time;
    private long _lastEventTimestamp;

    public RequestContext(WorkerRecorder recorder, TimeProvider time)
    {
        Recorder = recorder;
        _time = time;
    }

    public WorkerRecorder Recorder { get; }

    /// <summary>Sequence number of the request in the run (0-based), for targets that vary their payload.</summary>
    public long Sequence { get; private set; }

    /// <summary>When the request was due (open loop: its scheduled arrival; closed loop: when it was sent).</summary>
    public long StartTimestamp { get; private set; }

    /// <summary>Whether this request is measured (false during warm-up).</summary>
    public bool Recording { get; private set; }

    /// <summary>Number of stream events seen so far.</summary>
    public int EventCount { get; private set; }

    /// <summary>The response carried a Retry-After header.</summary>
    public bool RetryAfterSeen { get; set; }

    /// <summary>The server accepted the job (202/200 with an id), whatever happened next.</summary>
    public bool Accepted { get; set; }

    /// <summary>Batch size the server reported for the job, or 0.</summary>
    public int BatchSize { get; set; }

    public void Reset(long sequence, long startTimestamp, bool recording)
    {
        Sequence = sequence;
        StartTimestamp = startTimestamp;
        Recording = recording;
        EventCount = 0;
        RetryAfterSeen = false;
        Accepted = false;
        BatchSize = 0;
    }

    /// <summary>Records one streamed event: time to first event, then the gap since the previous one.</summary>
    public void OnEvent()
    {
        long now = _time.GetTimestamp();
        if (Recording)
        {
            if (EventCount == 0)
            {
                Recorder.TimeToFirstEvent.Record(Micros(StartTimestamp, now));
            }
            else
            {
                Recorder.InterEvent.Record(Micros(_lastEventTimestamp, now));
            }
        }

        _lastEventTimestamp = now;
        EventCount++;
    }

    public long Micros(long from, long to) => (long)_time.GetElapsedTime(from, to).TotalMicroseconds;
}
