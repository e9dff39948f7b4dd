using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Sluice.Core.Metrics;

/// <summary>
/// Renders the <c>Sluice</c> meter in the Prometheus text exposition format (version 0.0.4) or in OpenMetrics 1.0.
/// A small stand-in for the OpenTelemetry Prometheus exporter or prometheus-net, which are not available here:
/// counters become <c>counter</c>, histograms <c>histogram</c> with fixed buckets, observable gauges <c>gauge</c>.
/// Latency histograms (unit <c>s</c>) keep, per bucket, the last measurement recorded under a sampled
/// <see cref="Activity"/> as an exemplar, which only the OpenMetrics format can carry.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private static readonly double[] s_secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    private static readonly double[] s_countBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    /// <summary>Content type of <see cref="Render(bool)"/> without OpenMetrics (what the exporter always answered).</summary>
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Content type of <see cref="Render(bool)"/> with OpenMetrics.</summary>
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();

    /// <summary>One scrape at a time: a scrape clears and refills the gauges, which would empty another one's mid-write.</summary>
    private readonly Lock _scrape = new();

    public PrometheusExporter(SluiceMetrics metrics, TimeProvider? time = null)
    {
        var meter = metrics.Meter;
        _time = time ?? TimeProvider.System;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                _instruments[instrument] = new InstrumentState(instrument, instrument.Unit == "s" ? s_secondsBuckets : s_countBuckets, _time);
                listener.EnableMeasurementEvents(instrument, _instruments[instrument]);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.Start();
    }

    /// <summary>Writes every instrument's current values in the Prometheus text format 0.0.4.</summary>
    public string Render() => Render(openMetrics: false);

    /// <summary>Writes every instrument's current values, in OpenMetrics 1.0 (with exemplars) or the text format 0.0.4.</summary>
    public string Render(bool openMetrics)
    {
        lock (_scrape)
        {
            return RenderLocked(openMetrics);
        }
    }

    private string RenderLocked(bool openMetrics)
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
            state.Write(sb, openMetrics);
        }

        if (openMetrics)
        {
            sb.Append("# EOF\n");
        }

        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Aggregates of one instrument, one series per label set.</summary>
    private sealed class InstrumentState
    {
        /// <summary>Label sets up to this long are written on the stack when looked up; longer ones in a pooled buffer.</summary>
        private const int StackLabelChars = 256;

        private readonly Instrument _instrument;
        private readonly double[] _buckets;
        private readonly TimeProvider _time;
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

        /// <summary>The same series looked up by the label text as a span, so a measurement of a known label set allocates nothing.</summary>
        private readonly ConcurrentDictionary<string, Series>.AlternateLookup<ReadOnlySpan<char>> _seriesByLabels;

        /// <summary>Latency histograms keep exemplars (a slot per bucket, allocated with the series).</summary>
        private readonly bool _exemplars;

        // The kind, from the instrument's type name once: every measurement asks.
        private readonly bool _isHistogram;
        private readonly bool _isGauge;

        public InstrumentState(Instrument instrument, double[] buckets, TimeProvider time)
        {
            _instrument = instrument;
            _buckets = buckets;
            _time = time;
            _seriesByLabels = _series.GetAlternateLookup<ReadOnlySpan<char>>();
            _isHistogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
            _isGauge = instrument.GetType().Name.StartsWith("ObservableGauge", StringComparison.Ordinal);
            _exemplars = instrument.Unit == "s" && _isHistogram;
        }

        public string Name => _instrument.Name;

        public bool IsGauge => _isGauge;

        private bool IsHistogram => _isHistogram;

        private bool IsCounter => !IsHistogram && !IsGauge;

        public void Reset() => _series.Clear();

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = SeriesOf(tags);
            if (IsHistogram)
            {
                // Only a sampled span of a traced source is worth pointing at: an unsampled one is never exported, and
                // ASP.NET Core makes a request activity of no source (for log scopes) even with tracing off.
                if (_exemplars && Activity.Current is { Recorded: true } activity && activity.IdFormat == ActivityIdFormat.W3C && activity.Source.HasListeners())
                {
                    series.Observe(value, activity.TraceId, activity.SpanId, _time.GetUtcNow().ToUnixTimeMilliseconds());
                }
                else
                {
                    series.Observe(value);
                }
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

        /// <summary>
        /// The family in the text format 0.0.4 or, with <paramref name="openMetrics"/>, in OpenMetrics 1.0: there a
        /// counter's family is named without <c>_total</c> (its sample keeps it), a latency histogram declares its unit,
        /// the help is escaped as a label value (quotes too), and a bucket that holds an exemplar prints it after its value.
        /// </summary>
        public void Write(StringBuilder sb, bool openMetrics)
        {
            var type = IsHistogram ? "histogram" : IsGauge ? "gauge" : "counter";
            var family = openMetrics && IsCounter && Name.EndsWith("_total", StringComparison.Ordinal) ? Name[..^"_total".Length] : Name;
            if (openMetrics)
            {
                sb.Append("# TYPE ").Append(family).Append(' ').Append(type).Append('\n');
                if (_instrument.Unit == "s" && family.EndsWith("_seconds", StringComparison.Ordinal))
                {
                    sb.Append("# UNIT ").Append(family).Append(" seconds\n");
                }

                sb.Append("# HELP ").Append(family).Append(' ').Append(Escape(_instrument.Description ?? family, help: false)).Append('\n');
            }
            else
            {
                sb.Append("# HELP ").Append(Name).Append(' ').Append(Escape(_instrument.Description ?? Name, help: true)).Append('\n');
                sb.Append("# TYPE ").Append(Name).Append(' ').Append(type).Append('\n');
            }

            var keys = _series.Keys.ToArray();
            Array.Sort(keys, StringComparer.Ordinal);
            long[]? snapshot = null;
            Exemplar[]? exemplars = null;
            foreach (var key in keys)
            {
                var s = _series[key];
                if (IsHistogram)
                {
                    snapshot ??= new long[_buckets.Length];
                    if (openMetrics && _exemplars)
                    {
                        exemplars ??= new Exemplar[_buckets.Length + 1];
                    }

                    var (count, sum) = s.Snapshot(snapshot, exemplars);
                    var cumulative = 0L;
                    for (var i = 0; i < _buckets.Length; i++)
                    {
                        cumulative += snapshot[i];
                        WriteSample(sb, family + "_bucket", key, "le=\"" + Format(_buckets[i]) + "\"", cumulative, newLine: exemplars is null);
                        WriteExemplar(sb, exemplars, i);
                    }

                    WriteSample(sb, family + "_bucket", key, "le=\"+Inf\"", count, newLine: exemplars is null);
                    WriteExemplar(sb, exemplars, _buckets.Length);
                    WriteSample(sb, family + "_sum", key, null, sum);
                    WriteSample(sb, family + "_count", key, null, count);
                }
                else
                {
                    WriteSample(sb, openMetrics && IsCounter ? family + "_total" : family, key, null, s.Value);
                }
            }
        }

        /// <summary>Ends a bucket's line, with <c> # {trace_id="…",span_id="…"} value timestamp</c> when it holds an exemplar.</summary>
        private static void WriteExemplar(StringBuilder sb, Exemplar[]? exemplars, int bucket)
        {
            if (exemplars is null)
            {
                return;
            }

            ref readonly var e = ref exemplars[bucket];
            if (e.TraceId != default)
            {
                sb.Append(" # {trace_id=\"").Append(e.TraceId.ToHexString()).Append("\",span_id=\"").Append(e.SpanId.ToHexString()).Append("\"} ")
                    .Append(Format(e.Value)).Append(' ')
                    .Append((e.TimestampMs / 1000.0).ToString("0.###", CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
        }

        private static void WriteSample(StringBuilder sb, string name, string labels, string? extra, double value, bool newLine = true)
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

            sb.Append(' ').Append(Format(value));
            if (newLine)
            {
                sb.Append('\n');
            }
        }

        /// <summary>
        /// The series of <paramref name="tags"/>: its label text (<c>k="v",…</c>, values escaped) is written into a
        /// buffer and looked up as a span; only a label set seen for the first time becomes a string.
        /// </summary>
        private Series SeriesOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            char[]? rented = null;
            Span<char> buffer = stackalloc char[StackLabelChars];
            try
            {
                int written;
                while (!TryWriteLabels(tags, buffer, out written))
                {
                    var larger = ArrayPool<char>.Shared.Rent(buffer.Length * 2);
                    if (rented is not null)
                    {
                        ArrayPool<char>.Shared.Return(rented);
                    }

                    rented = larger;
                    buffer = rented;
                }

                var labels = buffer[..written];
                return _seriesByLabels.TryGetValue(labels, out var series)
                    ? series
                    : _series.GetOrAdd(labels.ToString(), static (_, state) => new Series(state.buckets, state.exemplars), (buckets: _buckets, exemplars: _exemplars));
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }
            }
        }

        /// <summary>Writes the label text of <paramref name="tags"/>; false when <paramref name="into"/> is too short.</summary>
        private static bool TryWriteLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> into, out int written)
        {
            written = 0;
            Span<char> number = stackalloc char[32];
            for (var i = 0; i < tags.Length; i++)
            {
                if ((i > 0 && !TryAppend(into, ref written, ",")) || !TryAppend(into, ref written, tags[i].Key) || !TryAppend(into, ref written, "=\""))
                {
                    return false;
                }

                // Strings and integers (status codes) without a string per measurement; anything else as Convert.ToString writes it.
                scoped ReadOnlySpan<char> value;
                switch (tags[i].Value)
                {
                    case string s:
                        value = s;
                        break;
                    case int n when n.TryFormat(number, out var w, default, CultureInfo.InvariantCulture):
                        value = number[..w];
                        break;
                    case long n when n.TryFormat(number, out var w, default, CultureInfo.InvariantCulture):
                        value = number[..w];
                        break;
                    default:
                        value = Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "";
                        break;
                }

                if (!TryAppendEscaped(into, ref written, value) || !TryAppend(into, ref written, "\""))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool TryAppend(Span<char> into, ref int written, ReadOnlySpan<char> text)
        {
            if (!text.TryCopyTo(into[written..]))
            {
                return false;
            }

            written += text.Length;
            return true;
        }

        /// <summary>A label value escaped as <see cref="Escape"/> escapes it (backslash, newline, double quote).</summary>
        private static bool TryAppendEscaped(Span<char> into, ref int written, ReadOnlySpan<char> value)
        {
            foreach (var c in value)
            {
                var ok = c switch
                {
                    '\\' => TryAppend(into, ref written, "\\\\"),
                    '\n' => TryAppend(into, ref written, "\\n"),
                    '"' => TryAppend(into, ref written, "\\\""),
                    _ => TryAppend(into, ref written, new ReadOnlySpan<char>(in c)),
                };
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The last measurement of one bucket taken under a sampled span; a default trace id marks an empty slot.</summary>
    private struct Exemplar
    {
        public ActivityTraceId TraceId;
        public ActivitySpanId SpanId;
        public double Value;
        public long TimestampMs;
    }

    /// <summary>One label set's values.</summary>
    private sealed class Series(double[] buckets, bool exemplars)
    {
        // Buckets, count and sum change together under the lock, so a scrape never sees an observation in a bucket
        // but not yet in _count (a +Inf bucket below the last finite one, which Prometheus reads as a broken histogram).
        private readonly long[] _buckets = new long[buckets.Length];

        /// <summary>A slot per bucket and one for +Inf, allocated once and overwritten: recording allocates nothing.</summary>
        private readonly Exemplar[]? _exemplars = exemplars ? new Exemplar[buckets.Length + 1] : null;
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

        /// <summary>
        /// Copies the per-bucket counts into <paramref name="into"/>, and the exemplars (if kept) into
        /// <paramref name="exemplarsInto"/> when given, and returns count and sum, all of one moment.
        /// </summary>
        public (long Count, double Sum) Snapshot(long[] into, Exemplar[]? exemplarsInto)
        {
            lock (_lock)
            {
                Array.Copy(_buckets, into, _buckets.Length);
                if (exemplarsInto is not null && _exemplars is not null)
                {
                    Array.Copy(_exemplars, exemplarsInto, _exemplars.Length);
                }

                return (_count, _sum);
            }
        }

        public void Observe(double v)
        {
            var i = BucketOf(v);
            lock (_lock)
            {
                Count(i, v);
            }
        }

        /// <summary>Adds <paramref name="v"/> to bucket <paramref name="i"/> (none past the last bound: +Inf is the count); under the lock.</summary>
        private void Count(int i, double v)
        {
            if (i < _buckets.Length)
            {
                _buckets[i]++;
            }

            _count++;
            _sum += v;
        }

        /// <summary>Observes <paramref name="v"/> and makes it its bucket's exemplar, under the lock the counts already take.</summary>
        public void Observe(double v, ActivityTraceId traceId, ActivitySpanId spanId, long timestampMs)
        {
            var i = BucketOf(v);
            lock (_lock)
            {
                Count(i, v);
                if (_exemplars is not null)
                {
                    ref var e = ref _exemplars[i];
                    e.TraceId = traceId;
                    e.SpanId = spanId;
                    e.Value = v;
                    e.TimestampMs = timestampMs;
                }
            }
        }

        private int BucketOf(double v)
        {
            var i = Array.BinarySearch(buckets, v);
            return i < 0 ? ~i : i;
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
