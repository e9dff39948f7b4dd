using Sluice.Bench.Histograms;

namespace Sluice.Bench.Load;

/// <summary>One window of <see cref="TimelineRecorder"/>; updated with interlocked operations.</summary>
internal sealed class TimelineWindow
{
    private long _offered;
    private long _succeeded;
    private long _rejected;
    private long _failed;

    public TimelineWindow(int precisionBits)
    {
        Latency = new LogLinearHistogram(precisionBits);
    }

    public LogLinearHistogram Latency { get; }

    public long Offered => Volatile.Read(ref _offered);

    public long Succeeded => Volatile.Read(ref _succeeded);

    public long Rejected => Volatile.Read(ref _rejected);

    public long Failed => Volatile.Read(ref _failed);

    public void AddOffered() => Interlocked.Increment(ref _offered);

    public void Add(OutcomeKind kind, long latencyMicros)
    {
        switch (kind)
        {
            case OutcomeKind.Succeeded:
                Interlocked.Increment(ref _succeeded);
                Latency.RecordConcurrent(latencyMicros);
                break;
            case OutcomeKind.Rejected:
                Interlocked.Increment(ref _rejected);
                break;
            default:
                Interlocked.Increment(ref _failed);
                break;
        }
    }
}
