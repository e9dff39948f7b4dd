using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Sluice.Core.Metrics;

/// <summary>
/// Renders one meter (the <c>Sluice</c> meter, or the blog's <c>Sluice.Blog</c>) in the Prometheus text exposition format (version 0.0.4) or in OpenMetrics 1.0.
/// A small stand-in for the OpenTelemetry Prometheus exporter or prometheus-net, which are not available here:
/// counters and observable counters become <c>counter</c>, histograms <c>histogram</c> with fixed buckets (or the ones the
/// instrument's advice names), observable gauges
/// and observable up-down counters <c>gauge</c>.
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

    /// <summary>Bumped after an instrument is published: the sorted copy below is then rebuilt.</summary>
    private int _instrumentsVersion;
    private int _orderedVersion = -1;
    private InstrumentState[] _ordered = [];

    /// <summary>One scrape at a time: a scrape clears and refills the gauges, which would empty another one's mid-write.</summary>
    private readonly Lock _scrape = new();

    public PrometheusExporter(SluiceMetrics metrics, TimeProvider? time = null)
        : this(metrics.Meter, time)
    {
    }

    /// <summary>An exporter of <paramref name="meter"/> alone (the blog's own meter, say), by reference: another meter of the same name is not read.</summary>
    public PrometheusExporter(Meter meter, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                var state = new InstrumentState(instrument, BucketsOf(instrument), _time);
                _instruments[instrument] = state;
                Interlocked.Increment(ref _instrumentsVersion);
                listener.EnableMeasurementEvents(instrument, state);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.SetMeasurementEventCallback<double>(static (i, v, tags, state) => ((InstrumentState)state!).Record(v, tags));
        _listener.Start();
    }

    /// <summary>
    /// A histogram's bucket bounds: the ones its instrument advises (<see cref="InstrumentAdvice{T}.HistogramBucketBoundaries"/>,
    /// as the OpenTelemetry exporter honours them), else the fixed seconds or count buckets.
    /// </summary>
    private static double[] BucketsOf(Instrument instrument)
    {
        if (instrument is Instrument<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } advised })
        {
            return [.. advised];
        }

        return instrument.Unit == "s" ? s_secondsBuckets : s_countBuckets;
    }

    /// <summary>Writes every instrument's current values in the Prometheus text format 0.0.4.</summary>
    public string Render() => Render(openMetrics: false);

    /// <summary>Writes every instrument's current values, in OpenMetrics 1.0 (with exemplars) or the text format 0.0.4.</summary>
    public string Render(bool openMetrics)
    {
        using var output = new PooledByteWriter();
        Render(output, openMetrics);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>
    /// Writes every instrument's current values as UTF-8 into <paramref name="output"/> (what <c>/metrics</c> sends):
    /// names, headers, label sets and bucket bounds are encoded once and copied, numbers formatted in place.
    /// </summary>
    public void Render(IBufferWriter<byte> output, bool openMetrics)
    {
        lock (_scrape)
        {
            RenderLocked(output, openMetrics);
        }
    }

    private void RenderLocked(IBufferWriter<byte> output, bool openMetrics)
    {
        var ordered = OrderedInstruments();

        // Gauges are observed on demand: only the label sets observed now are written (the others are dropped).
        foreach (var state in ordered)
        {
            state.BeginObservation();
        }

        _listener.RecordObservableInstruments();
        foreach (var state in ordered)
        {
            state.EndObservation();
        }

        foreach (var state in ordered)
        {
            state.Write(output, openMetrics);
        }

        if (openMetrics)
        {
            output.Write("# EOF\n"u8);
        }
    }

    /// <summary>The instruments by name, sorted again only when one was published since the last scrape (under the scrape lock).</summary>
    private InstrumentState[] OrderedInstruments()
    {
        var version = Volatile.Read(ref _instrumentsVersion);
        if (version != _orderedVersion)
        {
            var ordered = _instruments.Values.ToArray();
            Array.Sort(ordered, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            _ordered = ordered;
            _orderedVersion = version;
        }

        return _ordered;
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

        // The kind, from the instrument's type name once: every measurement asks. An observable instrument (gauge,
        // counter or up-down counter) reports its current value or running total when a scrape asks, so its series are
        // set, not added to, and dropped when an observation no longer reports them.
        private readonly bool _isHistogram;
        private readonly bool _isGauge;
        private readonly bool _isObserved;

        // What every scrape writes the same, as UTF-8 once: the family's header lines in each format, the sample
        // names (a counter's sample ends in _total in OpenMetrics, so it differs only for a counter named without it), and
        // each bucket's le label.
        private readonly byte[] _textHeader;
        private readonly byte[] _openMetricsHeader;
        private readonly byte[] _name;
        private readonly byte[] _openMetricsName;
        private readonly byte[] _bucketName;
        private readonly byte[] _sumName;
        private readonly byte[] _countName;
        private readonly byte[][] _bucketBounds;

        /// <summary>Bumped after a series is added or removed: the sorted copy below is then rebuilt.</summary>
        private int _seriesVersion;
        private int _sortedVersion = -1;
        private Series[] _sorted = [];

        /// <summary>A scrape's copy of one series' buckets and exemplars (scrapes take turns).</summary>
        private readonly long[] _snapshot;
        private readonly Exemplar[] _exemplarSnapshot;

        /// <summary>The gauge observation under way: series not observed in it are dropped at its end.</summary>
        private int _observation;

        public InstrumentState(Instrument instrument, double[] buckets, TimeProvider time)
        {
            _instrument = instrument;
            _buckets = buckets;
            _time = time;
            _seriesByLabels = _series.GetAlternateLookup<ReadOnlySpan<char>>();
            _isHistogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
            var typeName = instrument.GetType().Name;
            _isObserved = typeName.StartsWith("Observable", StringComparison.Ordinal);
            _isGauge = typeName.StartsWith("ObservableGauge", StringComparison.Ordinal) || typeName.StartsWith("ObservableUpDownCounter", StringComparison.Ordinal);
            _exemplars = instrument.Unit == "s" && _isHistogram;

            var name = instrument.Name;
            var type = IsHistogram ? "histogram" : IsGauge ? "gauge" : "counter";

            // OpenMetrics names a counter's family without _total (its sample keeps it), declares a latency
            // histogram's unit, and escapes the help as a label value (quotes too).
            var family = IsCounter && name.EndsWith("_total", StringComparison.Ordinal) ? name[..^"_total".Length] : name;
            _textHeader = Encoding.UTF8.GetBytes(
                "# HELP " + name + " " + Escape(instrument.Description ?? name, help: true) + "\n# TYPE " + name + " " + type + "\n");
            _openMetricsHeader = Encoding.UTF8.GetBytes(
                "# TYPE " + family + " " + type + "\n"
                + (instrument.Unit == "s" && family.EndsWith("_seconds", StringComparison.Ordinal) ? "# UNIT " + family + " seconds\n" : "")
                + "# HELP " + family + " " + Escape(instrument.Description ?? family, help: false) + "\n");
            _name = Encoding.UTF8.GetBytes(name);
            // OpenMetrics requires a counter's sample to end in _total; every Sluice counter's name does, but one that
            // did not would otherwise be written without it (invalid there; the text format keeps the name as it is).
            _openMetricsName = IsCounter && !name.EndsWith("_total", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(name + "_total") : _name;
            _bucketName = Encoding.UTF8.GetBytes(name + "_bucket");
            _sumName = Encoding.UTF8.GetBytes(name + "_sum");
            _countName = Encoding.UTF8.GetBytes(name + "_count");
            _bucketBounds = new byte[buckets.Length + 1][];
            for (var i = 0; i < buckets.Length; i++)
            {
                _bucketBounds[i] = Encoding.UTF8.GetBytes("le=\"" + Format(buckets[i]) + "\"");
            }

            _bucketBounds[buckets.Length] = "le=\"+Inf\""u8.ToArray();
            _snapshot = _isHistogram ? new long[buckets.Length] : [];
            _exemplarSnapshot = _exemplars ? new Exemplar[buckets.Length + 1] : [];
        }

        public string Name => _instrument.Name;

        private bool IsGauge => _isGauge;

        private bool IsHistogram => _isHistogram;

        private bool IsCounter => !IsHistogram && !IsGauge;

        /// <summary>Starts an observable instrument's observation (a no-op for recorded counters and histograms).</summary>
        public void BeginObservation()
        {
            if (_isObserved)
            {
                _observation++;
            }
        }

        /// <summary>Drops the observable instrument's series that the observation just made did not report, as if they had never been.</summary>
        public void EndObservation()
        {
            if (!_isObserved)
            {
                return;
            }

            foreach (var (key, series) in _series)
            {
                if (series.Observation != _observation && _series.TryRemove(key, out _))
                {
                    Interlocked.Increment(ref _seriesVersion);
                }
            }
        }

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
            else if (_isObserved)
            {
                // Observable instruments are recorded only while a scrape observes them, under its lock; an observable
                // counter reports its running total, so it is set like a gauge.
                series.Set(value);
                series.Observation = _observation;
            }
            else
            {
                series.Add(value);
            }
        }

        /// <summary>
        /// The family in the text format 0.0.4 or, with <paramref name="openMetrics"/>, in OpenMetrics 1.0, where a
        /// bucket that holds an exemplar prints it after its value.
        /// </summary>
        public void Write(IBufferWriter<byte> output, bool openMetrics)
        {
            output.Write(openMetrics ? _openMetricsHeader : _textHeader);
            var exemplars = openMetrics && _exemplars ? _exemplarSnapshot : null;
            foreach (var s in SortedSeries())
            {
                if (IsHistogram)
                {
                    var (count, sum) = s.Snapshot(_snapshot, exemplars);
                    var cumulative = 0L;
                    for (var i = 0; i < _buckets.Length; i++)
                    {
                        cumulative += _snapshot[i];
                        WriteSample(output, _bucketName, s.Labels, _bucketBounds[i], cumulative, newLine: exemplars is null);
                        WriteExemplar(output, exemplars, i);
                    }

                    WriteSample(output, _bucketName, s.Labels, _bucketBounds[_buckets.Length], count, newLine: exemplars is null);
                    WriteExemplar(output, exemplars, _buckets.Length);
                    WriteSample(output, _sumName, s.Labels, default, sum);
                    WriteSample(output, _countName, s.Labels, default, count);
                }
                else
                {
                    WriteSample(output, openMetrics ? _openMetricsName : _name, s.Labels, default, s.Value);
                }
            }
        }

        /// <summary>The series in ordinal order of their label text, sorted again only when one was added or removed.</summary>
        private Series[] SortedSeries()
        {
            var version = Volatile.Read(ref _seriesVersion);
            if (version != _sortedVersion)
            {
                var sorted = _series.Values.ToArray();
                Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                _sorted = sorted;
                _sortedVersion = version;
            }

            return _sorted;
        }

        /// <summary>Ends a bucket's line, with <c> # {trace_id="…",span_id="…"} value timestamp</c> when it holds an exemplar.</summary>
        private static void WriteExemplar(IBufferWriter<byte> output, Exemplar[]? exemplars, int bucket)
        {
            if (exemplars is null)
            {
                return;
            }

            ref readonly var e = ref exemplars[bucket];
            if (e.TraceId != default)
            {
                Span<byte> id = stackalloc byte[16];
                output.Write(" # {trace_id=\""u8);
                e.TraceId.CopyTo(id);
                WriteHex(output, id);
                output.Write("\",span_id=\""u8);
                e.SpanId.CopyTo(id[..8]);
                WriteHex(output, id[..8]);
                output.Write("\"} "u8);
                WriteNumber(output, e.Value);
                output.Write(" "u8);
                var span = output.GetSpan(64);
                if (!(e.TimestampMs / 1000.0).TryFormat(span, out var written, "0.###", CultureInfo.InvariantCulture))
                {
                    throw new InvalidOperationException("a timestamp longer than 64 bytes");
                }

                output.Advance(written);
            }

            output.Write("\n"u8);
        }

        private static void WriteSample(IBufferWriter<byte> output, ReadOnlySpan<byte> name, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> extra, double value, bool newLine = true)
        {
            output.Write(name);
            if (labels.Length > 0 || extra.Length > 0)
            {
                output.Write("{"u8);
                output.Write(labels);
                if (extra.Length > 0)
                {
                    if (labels.Length > 0)
                    {
                        output.Write(","u8);
                    }

                    output.Write(extra);
                }

                output.Write("}"u8);
            }

            output.Write(" "u8);
            WriteNumber(output, value);
            if (newLine)
            {
                output.Write("\n"u8);
            }
        }

        /// <summary>An id's bytes in lowercase hex, as <c>ToHexString</c> writes them.</summary>
        private static void WriteHex(IBufferWriter<byte> output, ReadOnlySpan<byte> id)
        {
            var span = output.GetSpan(id.Length * 2);
            if (!Convert.TryToHexStringLower(id, span, out var written))
            {
                throw new InvalidOperationException("no room for the hex of an id");
            }

            output.Advance(written);
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
                return _seriesByLabels.TryGetValue(labels, out var series) ? series : Add(labels.ToString());
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }
            }
        }

        /// <summary>A label set seen for the first time (or a series another thread added meanwhile).</summary>
        private Series Add(string labels)
        {
            var created = new Series(labels, _buckets, _exemplars);
            while (true)
            {
                if (_series.TryAdd(labels, created))
                {
                    // After the add, so a scrape that sees this version also sees the series.
                    Interlocked.Increment(ref _seriesVersion);
                    return created;
                }

                if (_series.TryGetValue(labels, out var existing))
                {
                    return existing;
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
    private sealed class Series(string key, double[] buckets, bool exemplars)
    {
        /// <summary>The label text (<c>k="v",…</c>, values escaped), which orders the series in a scrape.</summary>
        public string Key { get; } = key;

        /// <summary>The label text as UTF-8, as every scrape writes it.</summary>
        public byte[] Labels { get; } = Encoding.UTF8.GetBytes(key);

        /// <summary>A gauge's last observation that reported this series (see <see cref="InstrumentState.EndObservation"/>).</summary>
        public int Observation { get; set; }

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

    /// <summary>A sample value as <see cref="Format"/> writes it, as UTF-8 in place.</summary>
    private static void WriteNumber(IBufferWriter<byte> output, double v)
    {
        if (!double.IsFinite(v))
        {
            output.Write(double.IsPositiveInfinity(v) ? "+Inf"u8 : double.IsNegativeInfinity(v) ? "-Inf"u8 : "NaN"u8);
            return;
        }

        var span = output.GetSpan(32);
        if (!v.TryFormat(span, out var written, "R", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("a number longer than 32 bytes");
        }

        output.Advance(written);
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
