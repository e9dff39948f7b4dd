using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Sluice.Core.Metrics;

/// <summary>
/// Renders the <c>Sluice</c> meter in the Prometheus text exposition format (version 0.0.4). A small stand-in
/// for the OpenTelemetry Prometheus exporter or prometheus-net, which are not available here: counters become
/// <c>counter</c>, histograms <c>histogram</c> with fixed buckets, observable gauges <c>gauge</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] s_secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private static readonly double[] s_countBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();

    /// <summary>One scrape at a time: a scrape clears and refills the gauges, which would empty another one's mid-write.</summary>
    private readonly Lock _scrape = new();

    public PrometheusExporter(SluiceMetrics metrics)
    {
        var meter = metrics.Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                _instruments[instrument] = new InstrumentState(instrument, instrument.Unit == "s" ? s_secondsBuckets : s_countBuckets);
                listener.EnableMeasurementEvents(instrument, _instruments[instrument]);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.Start();
    }

    /// <summary>Writes every instrument's current values.</summary>
    public string Render()
    {
        lock (_scrape)
        {
            return RenderLocked();
        }
    }

    private string RenderLocked()
    {
        // Gauges are observed on demand: clear their last values, then ask for fresh ones.
        foreach (var state in _instruments.Values)
        {
            if (state.IsGauge)
            {
                state.Reset();
            }
        }

        _listener.RecordObservableInstruments();
        var sb = new StringBuilder(4096);
        var ordered = _instruments.Values.ToArray();
        Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var state in ordered)
        {
            state.Write(sb);
        }

        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Aggregates of one instrument, one series per label set.</summary>
    private sealed class InstrumentState(Instrument instrument, double[] buckets)
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

        public string Name => instrument.Name;

        public bool IsGauge => instrument.GetType().Name.StartsWith("ObservableGauge", StringComparison.Ordinal);

        private bool IsHistogram => instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);

        public void Reset() => _series.Clear();

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = LabelKey(tags);
            var series = _series.GetOrAdd(key, static (_, b) => new Series(b), buckets);
            if (IsHistogram)
            {
                series.Observe(value);
            }
            else if (IsGauge)
            {
                series.Set(value);
            }
            else
            {
                series.Add(value);
            }
        }

        public void Write(StringBuilder sb)
        {
            var type = IsHistogram ? "histogram" : IsGauge ? "gauge" : "counter";
            sb.Append("# HELP ").Append(Name).Append(' ').Append(Escape(instrument.Description ?? Name, help: true)).Append('\n');
            sb.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            var keys = _series.Keys.ToArray();
            Array.Sort(keys, StringComparer.Ordinal);
            long[]? snapshot = null;
            foreach (var key in keys)
            {
                var s = _series[key];
                if (IsHistogram)
                {
                    snapshot ??= new long[buckets.Length];
                    var (count, sum) = s.Snapshot(snapshot);
                    var cumulative = 0L;
                    for (var i = 0; i < buckets.Length; i++)
                    {
                        cumulative += snapshot[i];
                        WriteSample(sb, Name + "_bucket", key, "le=\"" + Format(buckets[i]) + "\"", cumulative);
                    }

                    WriteSample(sb, Name + "_bucket", key, "le=\"+Inf\"", count);
                    WriteSample(sb, Name + "_sum", key, null, sum);
                    WriteSample(sb, Name + "_count", key, null, count);
                }
                else
                {
                    WriteSample(sb, Name, key, null, s.Value);
                }
            }
        }

        private static void WriteSample(StringBuilder sb, string name, string labels, string? extra, double value)
        {
            sb.Append(name);
            if (labels.Length > 0 || extra is not null)
            {
                sb.Append('{').Append(labels);
                if (extra is not null)
                {
                    if (labels.Length > 0)
                    {
                        sb.Append(',');
                    }

                    sb.Append(extra);
                }

                sb.Append('}');
            }

            sb.Append(' ').Append(Format(value)).Append('\n');
        }

        private static string LabelKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return "";
            }

            var sb = new StringBuilder();
            for (var i = 0; i < tags.Length; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }

                sb.Append(tags[i].Key).Append("=\"").Append(Escape(Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "", help: false)).Append('"');
            }

            return sb.ToString();
        }
    }

    /// <summary>One label set's values.</summary>
    private sealed class Series(double[] buckets)
    {
        // Buckets, count and sum change together under the lock, so a scrape never sees an observation in a bucket
        // but not yet in _count (a +Inf bucket below the last finite one, which Prometheus reads as a broken histogram).
        private readonly long[] _buckets = new long[buckets.Length];
        private long _count;
        private double _sum;
        private double _value;
        private readonly Lock _lock = new();

        public double Value
        {
            get
            {
                lock (_lock)
                {
                    return _value;
                }
            }
        }

        /// <summary>Copies the per-bucket counts into <paramref name="into"/> and returns count and sum, all of one moment.</summary>
        public (long Count, double Sum) Snapshot(long[] into)
        {
            lock (_lock)
            {
                Array.Copy(_buckets, into, _buckets.Length);
                return (_count, _sum);
            }
        }

        public void Observe(double v)
        {
            var i = Array.BinarySearch(buckets, v);
            if (i < 0)
            {
                i = ~i;
            }

            lock (_lock)
            {
                if (i < _buckets.Length)
                {
                    _buckets[i]++;
                }

                _count++;
                _sum += v;
            }
        }

        public void Add(double v)
        {
            lock (_lock)
            {
                _value += v;
            }
        }

        public void Set(double v)
        {
            lock (_lock)
            {
                _value = v;
            }
        }
    }

    private static string Format(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string s, bool help)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '"' when !help: sb.Append("\\\""); break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }
}
