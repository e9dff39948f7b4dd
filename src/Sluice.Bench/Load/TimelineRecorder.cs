using Sluice.Bench.Histograms;

namespace Sluice.Bench.Load;

/// <summary>
/// Per-window counts and a coarse (5-bit, ≤1.6% error) latency histogram, shared by all workers through interlocked
/// updates. It only feeds the latency-over-time chart; the stage's percentiles come from the per-worker histograms.
/// Windows are keyed by when the request was due, relative to the start of measuring.
/// </summary>
internal sealed class TimelineRecorder
{
    private const int PrecisionBits = 5;
    private readonly TimelineWindow?[] _windows;
    private readonly long _windowMicros;

    public TimelineRecorder(TimeSpan length, TimeSpan window)
    {
        _windowMicros = Math.Max(1, (long)window.TotalMicroseconds);
        long count = Math.Clamp((long)Math.Ceiling(length.TotalMicroseconds / _windowMicros) + 1, 1, 4000);
        _windows = new TimelineWindow?[count];
        Window = window;
    }

    public TimeSpan Window { get; }

    public void RecordArrival(long offsetMicros) => Get(offsetMicros)?.AddOffered();

    public void RecordCompletion(long offsetMicros, OutcomeKind kind, long latencyMicros) => Get(offsetMicros)?.Add(kind, latencyMicros);

    public IReadOnlyList<TimelinePoint> ToPoints()
    {
        var points = new List<TimelinePoint>(_windows.Length);
        double seconds = Window.TotalSeconds;
        int last = -1;
        for (int i = 0; i < _windows.Length; i++)
        {
            if (_windows[i] is not null)
            {
                last = i;
            }
        }

        for (int i = 0; i <= last; i++)
        {
            TimelineWindow? w = _windows[i];
            if (w is null)
            {
                points.Add(new TimelinePoint { StartSeconds = i * seconds });
                continue;
            }

            points.Add(new TimelinePoint
            {
                StartSeconds = i * seconds,
                OfferedPerSecond = w.Offered / seconds,
                SucceededPerSecond = w.Succeeded / seconds,
                RejectedPerSecond = w.Rejected / seconds,
                FailedPerSecond = w.Failed / seconds,
                P50Ms = w.Latency.ValueAtPercentile(50) / 1000.0,
                P99Ms = w.Latency.ValueAtPercentile(99) / 1000.0,
                MaxMs = w.Latency.Max / 1000.0,
            });
        }

        return points;
    }

    private TimelineWindow? Get(long offsetMicros)
    {
        if (offsetMicros < 0)
        {
            return null;
        }

        long index = offsetMicros / _windowMicros;
        if (index >= _windows.Length)
        {
            index = _windows.Length - 1;
        }

        TimelineWindow? w = Volatile.Read(ref _windows[index]);
        if (w is null)
        {
            var created = new TimelineWindow(PrecisionBits);
            w = Interlocked.CompareExchange(ref _windows[index], created, null) ?? created;
        }

        return w;
    }
}
